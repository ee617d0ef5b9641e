import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { inviteRowId } from '../standing/row-ids.ts';
import { emailKey } from '../matching/email-key.ts';
import { collect, type Transaction } from '../store/store.ts';
import type { DriftHoldRecord } from '../safety/drift-holds.ts';
import type { HubSnapshot } from './snapshot.ts';

/**
 * Rows a check for updates gives a new id, with the person unchanged: an invite the agent recorded
 * before it knew Meta's id (`invite:pending:<email>`) becomes the listed invite of that email, and
 * an accepted invite becomes the member it created (Meta gives the business user a new id:
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users).
 */
/**
 * A row under a new id: `formerId` when the connector names the old id (`AppInvite.formerIds`:
 * the same row, only its id derivation changed, former-ids.ts), else found by the rules above.
 */
export interface RowRename {
  from: string;
  to: string;
  email: string;
  formerId?: true;
}

export function renamedRows(previous: Pick<HubSnapshot, 'members' | 'invites'>, next: Pick<HubSnapshot, 'members' | 'invites'>): RowRename[] {
  const lower = emailKey;
  const before = new Set(previous.invites.map((i) => i.id));
  const after = new Set(next.invites.map((i) => i.id));
  const membersBefore = new Set(previous.members.map((m) => m.id));
  const gone = new Map<string, string>(); // email → id of a pending invite the new snapshot no longer holds
  for (const i of previous.invites) if (i.status === 'pending' && !after.has(i.id)) gone.set(lower(i.email), i.id);
  const renames: RowRename[] = [];
  for (const i of next.invites) {
    const was = before.has(i.id) ? undefined : gone.get(lower(i.email));
    if (was !== undefined) renames.push({ from: inviteRowId(was), to: inviteRowId(i.id), email: lower(i.email) });
  }
  for (const m of next.members) {
    if (membersBefore.has(m.id)) continue;
    // The member names Meta's invite id; an invite recorded as `pending:<email>` is found by email.
    const was = m.inviteId !== undefined && before.has(m.inviteId) ? m.inviteId : m.email ? gone.get(lower(m.email)) : undefined;
    if (was !== undefined && !renames.some((r) => r.from === inviteRowId(was))) renames.push({ from: inviteRowId(was), to: m.id, email: lower(m.email ?? '') });
  }
  return renames;
}

/**
 * An owner's decisions on a row follow it to its new id, in the transaction that saves the
 * snapshot and before matching reads them: an exemption left on the old id protects nothing (the
 * plan then cancelled an exempted invite), and a manual match or guest decision would be lost.
 * A decision already on the new id is the newer one and is kept; the one on the old id is
 * dropped, and the audit says so with what it was (an owner can lay it again). Once carried,
 * nothing is left under the old id: a second run carries nothing.
 */
export async function carryDecisions(tx: Transaction, hubId: string, renames: readonly RowRename[], audit: { trigger: Trigger; taskId: string }): Promise<void> {
  if (renames.some((r) => r.formerId)) await carryDriftHolds(tx, hubId, renames.filter((r) => r.formerId), audit);
  for (const { from, to, email, formerId } of renames) {
    // Who the row was automatically matched to follows it too: matching keeps that person's seat
    // when the IdP has changed their email since (match-members.ts). Matching rewrites it anyway.
    // So does a dispute (its candidates): it stays until an owner decides, and on the new id it
    // was settled by the email alone, handing the seat to the user who had claimed it. And an
    // exempted row's person (its record is `manual` because of the exemption, which is carried
    // below): without it the seat lost its directory user, who then stood as having no seat.
    const [matched, matchedNow] = await Promise.all([tx.get('memberMatches', hubId, from), tx.get('memberMatches', hubId, to)]);
    const carried = matched && (!matched.manual || matched.outcome === 'exempted') && (matched.directoryUserId || matched.candidates?.length);
    if (carried && !matchedNow) tx.put('memberMatches', hubId, to, { ...matched, memberId: to });
    for (const collection of ['exemptions', 'matchDecisions'] as const) {
      const [old, current] = await Promise.all([tx.get(collection, hubId, from), tx.get(collection, hubId, to)]);
      if (!old) continue;
      tx.delete(collection, hubId, from);
      const what = collection === 'exemptions' ? 'exemption' : "owner's match decision";
      const because = formerId ? 'the connector now gives the same row that id (it names the old one as former)' : 'the app now lists the person under that id';
      const action = collection === 'exemptions' ? 'member-exempted' : 'member-matched';
      const subject = { memberId: to, ...(email ? { email } : {}) };
      if (current) {
        appendAudit(tx, {
          hubId, trigger: audit.trigger, taskId: audit.taskId, action, outcome: 'skipped', subject,
          why: `${what} on ${from} not carried to ${to}: ${to} has its own, which is newer and is kept; the one on ${from} is dropped (${because})`,
          detail: { carriedFrom: from, dropped: old },
        });
        continue;
      }
      tx.put(collection, hubId, to, { ...old, memberId: to });
      appendAudit(tx, {
        hubId, trigger: audit.trigger, taskId: audit.taskId, action, outcome: 'ok', subject,
        why: `${what} on ${from} carried to ${to}: ${because}`,
        detail: { carriedFrom: from },
      });
    }
  }
}

/**
 * A hold on a hand-made change (`safety.drift: report`) follows a row whose id only changed
 * (`formerId`): left on the old id it ended as "the row is gone", and the next plan undid the
 * change the owner had been asked about. A hold already on the new id is kept.
 */
async function carryDriftHolds(tx: Transaction, hubId: string, renames: readonly RowRename[], audit: { trigger: Trigger; taskId: string }): Promise<void> {
  const to = new Map(renames.map((r) => [r.from, r]));
  const holds: ReadonlyArray<Readonly<DriftHoldRecord>> = await collect(tx.list('driftHolds', hubId));
  for (const hold of holds) {
    const rename = to.get(hold.rowId);
    if (!rename) continue;
    const id = rename.to + hold.id.slice(hold.rowId.length); // `${rowId}|change…` (drift-holds.ts holdId)
    tx.delete('driftHolds', hubId, hold.id);
    const kept = await tx.get('driftHolds', hubId, id);
    if (!kept) tx.put('driftHolds', hubId, id, { ...hold, id, rowId: rename.to });
    appendAudit(tx, {
      hubId, trigger: audit.trigger, taskId: audit.taskId, action: 'drift-hold-carried', outcome: kept ? 'skipped' : 'ok',
      subject: { memberId: rename.to, ...(rename.email ? { email: rename.email } : {}) },
      why: kept
        ? `hold on ${hold.id} not carried to ${id}: ${id} has its own, which is kept; the one on ${hold.rowId} is dropped`
        : `hold on ${hold.id} carried to ${id}: the connector now gives the same row that id (it names the old one as former)`,
      detail: { carriedFrom: hold.id, ...(kept ? { dropped: hold } : {}) },
    });
  }
}
