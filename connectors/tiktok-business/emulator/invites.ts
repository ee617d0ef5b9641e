/**
 * Test hooks the real API does not have: accept, decline or expire an invitation, by BC and
 * email. Acceptance makes (or reuses) the person's user_id, turns the row BOUND and gives the
 * invitation's ad accounts with its advertiser_role. An expired invitation stays listed as
 * PENDING: TikTok does not clear stale entries by itself (delvia.org "TikTok invite link has
 * expired"), and a second invite to it is ignored like any pending address.
 */
import type { EmulatorRuntime } from './context.ts';
import type { MemberRow } from './model.ts';
import { aboveShare } from './routes/members.ts';

export class InviteControlError extends Error {
  constructor(readonly status: 404 | 409, message: string) {
    super(message);
  }
}

function pendingRow(rt: EmulatorRuntime, bcId: string, email: string): MemberRow {
  const row = rt.world.rowByEmail(bcId, email);
  if (!row) throw new InviteControlError(404, `tiktok emulator: no invitation for ${email} in Business Center ${bcId}`);
  if (row.relation_status !== 'PENDING') throw new InviteControlError(409, `tiktok emulator: the invitation for ${email} is ${row.relation_status}, not PENDING`);
  return row;
}

export function acceptInvite(rt: EmulatorRuntime, bcId: string, email: string, person: { name?: string } = {}): { userId: string } {
  const row = pendingRow(rt, bcId, email);
  if (row.expires_at !== undefined && rt.now() >= row.expires_at) {
    throw new InviteControlError(409, `tiktok emulator: the invitation for ${email} has expired`);
  }
  const userId = rt.world.userIdFor(email);
  row.user_id = userId;
  row.user_name = person.name ?? email.split('@')[0];
  row.relation_status = 'BOUND';
  for (const ia of row.invite_assets ?? []) {
    // An ad account no longer in the BC, or shared in meanwhile below the invitation's role, is not
    // given: never access above what the owner shares [INF #22].
    const found = rt.world.assetInBc(bcId, ia.asset_id);
    if (!found || aboveShare(ia.advertiser_role, found.share?.advertiser_role) || rt.world.assignment(bcId, ia.asset_id, userId)) continue;
    rt.world.assignments.push({ bc_id: bcId, asset_type: 'ADVERTISER', asset_id: ia.asset_id, user_id: userId, role: ia.advertiser_role });
  }
  delete row.invite_assets;
  delete row.expires_at;
  return { userId };
}

export function declineInvite(rt: EmulatorRuntime, bcId: string, email: string): void {
  const row = pendingRow(rt, bcId, email);
  row.relation_status = 'REJECTED';
  delete row.invite_assets;
}

export function expireInvite(rt: EmulatorRuntime, bcId: string, email: string): void {
  const row = pendingRow(rt, bcId, email);
  row.expires_at = rt.now();
}
