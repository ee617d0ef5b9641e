import type { HubConfigFile } from '../../config/schema.ts';
import { AgentError } from '../agent-error.ts';
import type { OfferView, TaskView } from '../api.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { findPerson } from '../dispatch/find-person.ts';
import type { ReadView, Store } from '../store/store.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import { replanPerson } from '../dispatch/replan-person.ts';
import { toTaskView, type TaskRecord } from '../tasks/task-record.ts';
import { offerDaysOf, offerLapsesAt, offersOfUser, offerStatusAt, type OfferRecord } from './offer-record.ts';
import { AMBIGUOUS_CLAIMANT, directoryUsersNamed, ownUsersAmong, type SignedInClaimant } from './claimant.ts';
import { computeGrant, groupNamesOf } from '../grants/effective-grant.ts';
import { roleRulesOfHub } from '../grants/role-rules.ts';
import { groupKey } from '../desired-state/directory-records.ts';

function toOfferView(hub: HubConfigFile, o: Readonly<OfferRecord>, now: Date): OfferView {
  const days = offerDaysOf(hub, o.group);
  return {
    id: o.id, hubId: o.hubId, ...(o.collection ? { collection: o.collection } : {}), appRole: o.appRole, assets: o.assets.map((a) => ({ ...a, tasks: [...a.tasks] })),
    status: offerStatusAt(o, now, days), offeredAt: o.offeredAt, ...(o.expiresAt ? { expiresAt: offerLapsesAt(o, days) } : {}), ...(o.claimedAt ? { claimedAt: o.claimedAt } : {}),
  };
}

/** Offers of the directory users with this email, on every hub (found by index and key). */
async function recordsOf(view: ReadView, hubs: Iterable<HubConfigFile>, email: string): Promise<Array<{ hub: HubConfigFile; offer: Readonly<OfferRecord> }>> {
  const out: Array<{ hub: HubConfigFile; offer: Readonly<OfferRecord> }> = [];
  for (const f of await findPerson(view, hubs, { email })) if (f.user) for (const offer of await offersOfUser(view, f.hub, f.user.id)) out.push({ hub: f.hub, offer });
  return out;
}

export async function offersOf(view: ReadView, hubs: Iterable<HubConfigFile>, email: string, now: Date): Promise<OfferView[]> {
  return (await recordsOf(view, hubs, email)).map(({ hub, offer }) => toOfferView(hub, offer, now));
}

/** Whether the person's current groups still make this offer (read through the claim's own transaction). */
async function stillOffered(view: ReadView, hub: HubConfigFile, offer: Readonly<OfferRecord>): Promise<boolean> {
  const user = await view.get('directoryUsers', hub.id, offer.directoryUserId);
  if (!user) return false;
  const grant = computeGrant(hub, user, await groupNamesOf(view, hub.id, user.id), roleRulesOfHub(hub));
  return grant.active && grant.offerable.some((s) => groupKey(s.group) === groupKey(offer.group));
}

const who = (t: Trigger) => `${t.type}${t.actor ? `:${t.actor}` : ''}`;

/**
 * Claims an offer: it becomes claimed, its grant joins the person's effective grant, and a
 * re-evaluation of the person (the returned task) invites and assigns as for any grant. Claiming
 * a claimed offer only asks for that re-evaluation again: the plan sees the invite already queued
 * or sent (keyed tasks, the snapshot), so a second claim never sends a second invite.
 */
export async function claimOffer(store: Store, hubs: Iterable<HubConfigFile>, email: string, offerId: string, trigger: Trigger, now: Date, claimant?: SignedInClaimant): Promise<TaskView> {
  const hubList = [...hubs];
  const out = await store.transact(async (tx): Promise<Readonly<TaskRecord> | { refused: AgentError }> => {
    const found = (await recordsOf(tx, hubList, email)).find((r) => r.offer.id === offerId);
    if (!found) throw new AgentError('not-found', `agent: ${email} has no offer ${offerId}`);
    const { hub, offer } = found;
    // A claim of a real offer that is refused is audited as failed, with who claimed and why it
    // was refused (the refusal is committed, then thrown): the person's trail shows the attempt.
    const refuse = (refused: AgentError) => {
      appendAudit(tx, {
        hubId: hub.id, trigger, action: 'offer-claimed', subject: { ...(offer.email ? { email: offer.email } : {}), directoryUserId: offer.directoryUserId, label: offer.group },
        why: `${who(trigger)} claimed offer ${offerId} for ${email}: refused, ${refused.message.replace(/^agent: /, '')}`, outcome: 'failed', detail: { offerId }, at: now.toISOString(),
      });
      return { refused };
    };
    if (claimant) {
      // The person claims for themselves: the offer must be made to a directory user the sign-in
      // names (claimant.ts), checked first, so another person's offer tells nothing of its state.
      const own = ownUsersAmong(await directoryUsersNamed(tx, hub, email), claimant.idpUserIds);
      if ('ambiguous' in own) return refuse(new AgentError('permission-denied', `agent: offer ${offerId} may be another person's: ${AMBIGUOUS_CLAIMANT}`));
      if (!own.users.some((u) => u.id === offer.directoryUserId)) return refuse(new AgentError('not-found', `agent: offer ${offerId} is another person's: the sign-in names another directory user with this email`));
    }
    // The team's offer days as configured now: an offer made before they were shortened lapses
    // by them, not by the expiry written then.
    const days = offerDaysOf(hub, offer.group);
    const status = offerStatusAt(offer, now, days);
    if (status === 'expired') return refuse(new AgentError('conflict', `agent: offer ${offerId} expired on ${offerLapsesAt(offer, days)}; it is made again when the person's group membership changes`));
    if (status === 'offered' && !(await stillOffered(tx, hub, offer))) {
      // The person left the claim team (or was deactivated or deleted) and the re-evaluation that
      // withdraws the offer has not run yet. Claimed now, it would stay claimed (claimed offers
      // outlive the membership), so a later return to the team would seat them without a claim.
      return refuse(new AgentError('not-found', `agent: offer ${offerId} is withdrawn: ${email} is no longer an active member of ${offer.group}`));
    }
    if (status === 'offered') {
      tx.put('offers', hub.id, offer.id, { ...offer, status: 'claimed', claimedAt: now.toISOString(), claimedBy: who(trigger) });
      appendAudit(tx, {
        hubId: hub.id, trigger, action: 'offer-claimed', subject: { ...(offer.email ? { email: offer.email } : {}), directoryUserId: offer.directoryUserId, label: offer.group },
        why: `${email} claimed ${offer.appRole} on hub ${hub.id} offered through ${offer.group}${offer.collection ? ` (collection ${offer.collection})` : ''}; the grant is now desired`,
        outcome: 'ok', detail: { offerId, claimedBy: who(trigger) }, at: now.toISOString(),
      });
    }
    return await enqueueTask(tx, {
      hubId: hub.id, ...replanPerson({ directoryUserId: offer.directoryUserId }, trigger, `grant ${email} the claimed offer ${offerId} on hub ${hub.id}`), reuse: 'unstarted', now,
    });
  });
  if ('refused' in out) throw out.refused;
  return toTaskView(out);
}

/**
 * A signed-in person claims one of their own offers (My access): as claimOffer, but refused
 * (audited as failed) when the offer is not made to a directory user their sign-in names:
 * another person with the same email (claimant.ts).
 */
export function claimOwnOffer(store: Store, hubs: Iterable<HubConfigFile>, person: SignedInClaimant, offerId: string, trigger: Trigger, now: Date): Promise<TaskView> {
  return claimOffer(store, hubs, person.email, offerId, trigger, now, person);
}
