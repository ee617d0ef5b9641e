import type { HubConfigFile } from '../../config/schema.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { computeGrant, grantsOfHub, groupNamesOf, type EffectiveGrant, type OfferableSeat } from '../grants/effective-grant.ts';
import { roleRulesOfHub } from '../grants/role-rules.ts';
import type { ReadView, Transaction } from '../store/store.ts';
import { claimTeamsOf, claimedGroupsOf, offerIdOf, offerLapsesAt, offersOfUser, offerStatusAt, type OfferRecord } from './offer-record.ts';
import { groupKey } from '../desired-state/directory-records.ts';

/**
 * Keeping a person's offers in step with their groups. Offers never call the app: making,
 * withdrawing and expiring one only writes the offer and an audit entry. Claimed offers are kept
 * when the person leaves the group: their grant then drops out of the effective grant and the
 * seat goes through the ordinary removal path (settle window, safety brakes); an Okta or Entra
 * group move sent as remove-then-add therefore never asks for a second claim.
 */
export type OfferChange =
  | { kind: 'offer-made'; record: OfferRecord; why: string }
  | { kind: 'offer-updated'; record: OfferRecord; why: string; was: Pick<OfferRecord, 'appRole' | 'assets' | 'collection'> }
  | { kind: 'offer-withdrawn'; record: OfferRecord; why: string }
  | { kind: 'offer-expired'; record: OfferRecord; why: string };

const DAY_MS = 86_400_000;
const sameSeat = (o: OfferRecord, s: OfferableSeat) => o.appRole === s.appRole && JSON.stringify(o.assets) === JSON.stringify(s.assets) && o.collection === s.collection;
const teamName = (s: { group: string; collection?: string }) => `${s.group}${s.collection ? ` (collection ${s.collection})` : ''}`;
const seatText = (s: Pick<OfferRecord, 'appRole' | 'assets'>) => `${s.appRole}${s.assets.length ? ` with ${s.assets.map((a) => `${a.type} ${a.id} [${a.tasks.join(', ')}]`).join(', ')}` : ', no assets'}`;

/**
 * Pure: the changes to one person's offers. `grant` undefined: the directory user is gone.
 * An expired offer is made again only when the person's mapped groups changed since it was made.
 */
export function decideOffers(hubId: string, directoryUserId: string, grant: EffectiveGrant | undefined, existing: readonly OfferRecord[], now: Date): OfferChange[] {
  const out: OfferChange[] = [];
  const seats = new Map((grant?.active ? grant.offerable : []).map((s) => [groupKey(s.group), s]));
  const membership = grant?.mappedGroups.join(',') ?? '';
  for (const o of existing) {
    if (seats.has(groupKey(o.group)) || o.status === 'claimed') continue;
    const why = !grant ? 'deleted from the directory' : !grant.active ? 'deactivated in the directory' : `no longer in ${o.group}`;
    out.push({ kind: 'offer-withdrawn', record: o, why: `${why}; the offer was not claimed, nothing was sent to the app` });
  }
  for (const seat of seats.values()) {
    const o = existing.find((x) => groupKey(x.group) === groupKey(seat.group));
    const fresh: OfferRecord = {
      // The existing offer's id, also when filed under another Unicode form of the name (offerIdsOf).
      id: o?.id ?? offerIdOf(hubId, directoryUserId, seat.group), hubId, directoryUserId, ...(grant?.email ? { email: grant.email } : {}),
      group: seat.group, ...(seat.collection ? { collection: seat.collection } : {}), appRole: seat.appRole, assets: seat.assets,
      status: 'offered', offeredAt: now.toISOString(), expiresAt: new Date(now.getTime() + seat.offerDays * DAY_MS).toISOString(), membership,
    };
    if (!o) {
      out.push({ kind: 'offer-made', record: fresh, why: `member of ${teamName(seat)}: ${seat.appRole} offered until ${fresh.expiresAt}; nothing is sent to the app until claimed` });
    } else if (o.status === 'expired' || offerStatusAt(o, now, seat.offerDays) === 'expired') {
      // By the team's offer days now: shortened since the offer was made, it lapses by them.
      const lapsed = offerLapsesAt(o, seat.offerDays);
      if (o.status !== 'expired') out.push({ kind: 'offer-expired', record: { ...o, status: 'expired', ...(lapsed ? { expiresAt: lapsed } : {}) }, why: `not claimed by ${lapsed} (${seat.offerDays} days)` });
      else if (o.membership !== membership) out.push({ kind: 'offer-made', record: fresh, why: `group membership changed since the offer expired: ${teamName(seat)} offered again until ${fresh.expiresAt}` });
    } else if (!sameSeat(o, seat)) {
      // The team's seat changed in the config: the offer follows, and its owner sees why in the
      // audit log (every access change is audited with why, README "Audit log").
      const { collection: _c, ...rest } = o;
      const then = o.status === 'claimed' ? 'the claimed seat is changed in the app through the ordinary plan' : 'the offer is not claimed, nothing was sent to the app';
      out.push({
        kind: 'offer-updated', record: { ...rest, ...(seat.collection ? { collection: seat.collection } : {}), appRole: seat.appRole, assets: seat.assets },
        why: `the configuration of ${teamName(seat)} changed: the offer is now ${seatText(seat)} (was ${seatText(o)}); ${then}`,
        was: { appRole: o.appRole, assets: o.assets, ...(o.collection ? { collection: o.collection } : {}) },
      });
    }
  }
  return out;
}

/** Stages the changes and their audit entries (who: the trigger; why: the group). */
export function applyOfferChanges(tx: Transaction, changes: readonly OfferChange[], origin: { trigger: Trigger; taskId?: string; now: Date }): void {
  for (const c of changes) {
    const r = c.record;
    if (c.kind === 'offer-withdrawn') tx.delete('offers', r.hubId, r.id);
    else tx.put('offers', r.hubId, r.id, r);
    appendAudit(tx, {
      hubId: r.hubId, trigger: origin.trigger, ...(origin.taskId ? { taskId: origin.taskId } : {}), action: c.kind,
      subject: { ...(r.email ? { email: r.email } : {}), directoryUserId: r.directoryUserId, label: r.group }, why: c.why, outcome: 'ok',
      detail: { offerId: r.id, group: r.group, ...(r.collection ? { collection: r.collection } : {}), appRole: r.appRole, ...(c.kind === 'offer-updated' ? { assets: r.assets, was: c.was } : {}) },
      at: origin.now.toISOString(),
    });
  }
}

/**
 * The offer changes for some people of a hub (`directoryUserIds`: read by key and index), or for
 * the whole hub (undefined: also withdraws offers of deleted users and of teams no longer claim
 * teams). Reads through `view` (the caller's transaction when it stages them).
 */
export async function offerChangesOf(view: ReadView, hub: HubConfigFile, directoryUserIds: readonly string[] | undefined, now: Date): Promise<OfferChange[]> {
  if (claimTeamsOf(hub).length === 0 && (directoryUserIds !== undefined || (await view.count('offers', hub.id)) === 0)) return [];
  const rules = roleRulesOfHub(hub);
  const out: OfferChange[] = [];
  if (directoryUserIds) {
    for (const id of directoryUserIds) {
      const u = await view.get('directoryUsers', hub.id, id);
      const grant = u ? computeGrant(hub, u, await groupNamesOf(view, hub.id, id), rules, await claimedGroupsOf(view, hub, id)) : undefined;
      out.push(...decideOffers(hub.id, id, grant, await offersOfUser(view, hub, id), now));
    }
    return out;
  }
  const existing = new Map<string, OfferRecord[]>();
  for await (const o of view.list('offers', hub.id)) existing.set(o.directoryUserId, [...(existing.get(o.directoryUserId) ?? []), o]);
  for (const g of await grantsOfHub(view, hub, rules)) {
    out.push(...decideOffers(hub.id, g.directoryUserId, g, existing.get(g.directoryUserId) ?? [], now));
    existing.delete(g.directoryUserId);
  }
  for (const [id, offers] of existing) out.push(...decideOffers(hub.id, id, undefined, offers, now));
  return out;
}
