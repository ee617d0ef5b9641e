import type { Operation } from '../../plan/operation.ts';
import { PERSON_INDEX } from '../../plan/person-input.ts';
import { exemptionInForce } from '../../standing/exemption.ts';
import { inviteRowId } from '../../standing/row-ids.ts';
import type { ReadView } from '../../store/store.ts';

/**
 * Why a forced removal (an owner's removal, a leaver workflow's offboarding) may no longer run,
 * checked just before the call. Such a removal skips the re-plan: it is the owner's decision, not
 * the plan's, and was checked when it was queued (agent/plan/removal.ts). An exemption granted
 * while it waited (Meta down, the hub paused, a rate limit) is an owner's later decision and
 * wins: exempted rows are never removed. The row's own exemption is read, and for an invite also
 * those of the email's invite rows, since a check for updates may have given a provisional
 * invite row (`invite:pending:<email>`) its real id since it was queued.
 */
export async function exemptedSinceQueued(view: ReadView, hubId: string, op: Operation, now: Date): Promise<string | undefined> {
  if (op.effect !== 'removal') return undefined;
  const rows = new Set<string>();
  if (op.kind === 'remove-member') rows.add(op.memberId);
  if (op.kind === 'cancel-invite') {
    rows.add(inviteRowId(op.inviteId));
    if (op.email) for (const i of await view.lookup('appInvites', PERSON_INDEX.inviteByEmail, `${hubId}\u0000${op.email.toLowerCase()}`)) rows.add(inviteRowId(i.id));
  }
  for (const row of rows) {
    const exemption = await view.get('exemptions', hubId, row);
    if (exemptionInForce(exemption, now)) return `exempted by ${exemption!.by} since it was queued: exempted members are never removed`;
  }
  return undefined;
}
