import { ConnectorError, isConnectorError } from '../../sdk/connector-error.ts';
import type { ChangeResult } from '../../sdk/hub-model.ts';
import type { TikTokContext } from '../tiktok-context.ts';
import { boundMemberRow, listAdmins } from '../read/members.ts';
import { isPassing, isRefusal, recheckPassed } from '../tiktok-errors.ts';
import { tokenStillAdmin } from '../read/credential.ts';
import type { MemberRow } from '../mappers/rows.ts';
import { assertRole } from './roles.ts';
import { assertId } from './ids.ts';
import { isAlreadyGone } from './gone.ts';

/**
 * A member's role and seat (TikTok API for Business v1.3 `/bc/member/update/`,
 * `/bc/member/delete/` with `user_id`). The last BOUND admin is never demoted or removed: the
 * connector reads the admins first and refuses locally (conflict), whatever TikTok would say.
 */
/** The token's own user is never removed or demoted: it would revoke the hub's own access. */
function assertNotTokenUser(ctx: TikTokContext, memberId: string, what: string): void {
  if (ctx.tokenUserId === memberId) {
    throw new ConnectorError('conflict', `${what}: refused: ${memberId} is the access token's own user (tiktok.tokenUserId); removing or demoting it revokes hubwarden's access`, { notApplied: true });
  }
}

/** Refuses (conflict) when `memberId` is the only one of the BC's BOUND `admins`. */
function refuseIfLastAdmin(ctx: TikTokContext, admins: readonly MemberRow[], memberId: string, what: string): void {
  if (admins.length === 1 && String(admins[0].user_id) === memberId) {
    throw new ConnectorError('conflict', `${what}: refused: it would remove or demote the last admin of Business Center ${ctx.bcId}`, { notApplied: true });
  }
}

/**
 * A role change is idempotent (the connector contract: a change already in place answers
 * `already-done`), and `/bc/member/update/` answers code 0 either way, so the role is read first
 * from the BOUND admins (`/bc/member/get/` filtered by `user_role`, the one read the last-admin
 * rule needs anyway). Roles are ADMIN or STANDARD: a BOUND member who is not an admin is
 * STANDARD. For STANDARD the update is still sent: its 40007 is the only sign of a user who is
 * not a member at all (setting the role they hold changes nothing).
 */
export async function changeMemberRole(ctx: TikTokContext, memberId: string, role: string): Promise<ChangeResult> {
  const what = `tiktok-business: make member ${memberId} ${role} in Business Center ${ctx.bcId}`;
  assertRole(role, what);
  assertId(memberId, 'memberId', what);
  if (role !== 'ADMIN') assertNotTokenUser(ctx, memberId, what);
  const admins = await listAdmins(ctx, what);
  const isAdmin = admins.some((a) => String(a.user_id) === memberId);
  if (role === 'ADMIN' && isAdmin) return 'already-done';
  if (role !== 'ADMIN') refuseIfLastAdmin(ctx, admins, memberId, what);
  try {
    await ctx.client.call('POST', 'bc/member/update', { bc_id: ctx.bcId, user_id: memberId, user_role: role }, what);
  } catch (err) {
    const standing = await standingAfterRefusal(ctx, err, memberId, what);
    if (standing === 'gone') throw notAMember(ctx, err, memberId, what);
    // The member already has the role: TikTok does not say an update that changes nothing
    // answers 0, and refuses one with nothing to change [INF #17].
    if (standing && !standing.denied && standing.row.user_role === role) return 'already-done';
    if (standing?.denied) throw refusedForMember(ctx, err, memberId, what);
    throw err;
  }
  return role !== 'ADMIN' && !isAdmin ? 'already-done' : 'done';
}

/**
 * TikTok's code for a `user_id` that is not a member is not documented (40007 assumed,
 * open [INF #18]), nor is its answer to an update that changes nothing: a refusal
 * (40000, 40002, 40050) of an update or delete is checked against the BOUND members. So is a
 * 40001 ("no permission"), which may be TikTok's word for a user it does not know, but only
 * while `/bc/get/` still shows the token's user as an ADMIN: otherwise it is the token's, and
 * the hub stops writing. 'gone': not a member (the member left); their row: still one (`denied`:
 * TikTok said 40001 about this member while the token is an ADMIN: the refusal is the member's,
 * the token's own user among them where TikTok protects it, undocumented [INF #16]);
 * undefined: neither code, the token is no longer an ADMIN, or the check failed.
 */
async function standingAfterRefusal(ctx: TikTokContext, err: unknown, memberId: string, what: string): Promise<{ row: MemberRow; denied: boolean } | 'gone' | undefined> {
  const denied = isConnectorError(err) && err.providerCode === '40001';
  if (!isRefusal(err) && !denied) return undefined;
  try {
    if (denied && !(await tokenStillAdmin(ctx))) return undefined;
    const row = await boundMemberRow(ctx, memberId, what);
    return row ? { row, denied } : 'gone';
  } catch (recheck) {
    // Throttled or a fault: try the change again later, rather than fail it or pause the hub.
    if (isPassing(recheck)) throw recheckPassed(recheck, err, what);
    return undefined;
  }
}

/** A 40001 about one member while the token is an ADMIN: that change fails (conflict); the hub goes on writing. */
function refusedForMember(ctx: TikTokContext, err: unknown, memberId: string, what: string): ConnectorError {
  const hint = ctx.tokenUserId ? '' : `; if ${memberId} is the access token's own user, set tiktok.tokenUserId so hubwarden never tries`;
  return new ConnectorError('conflict', `${what}: conflict: TikTok refused it (40001, "no permission") while the token's user is still an ADMIN of Business Center ${ctx.bcId}, so the refusal is about member ${memberId}, not the token${hint}`, {
    providerCode: '40001', notApplied: true, cause: err,
  });
}

function notAMember(ctx: TikTokContext, err: unknown, memberId: string, what: string): ConnectorError {
  const code = err instanceof ConnectorError ? err.providerCode : undefined;
  return new ConnectorError('not-found', `${what}: not-found: ${memberId} is not a member of Business Center ${ctx.bcId} (TikTok answered ${code})`, { notApplied: true, cause: err });
}

export async function removeMember(ctx: TikTokContext, memberId: string): Promise<ChangeResult> {
  const what = `tiktok-business: remove member ${memberId} from Business Center ${ctx.bcId}`;
  assertId(memberId, 'memberId', what);
  assertNotTokenUser(ctx, memberId, what);
  refuseIfLastAdmin(ctx, await listAdmins(ctx, what), memberId, what);
  try {
    await ctx.client.call('POST', 'bc/member/delete', { bc_id: ctx.bcId, user_id: memberId }, what);
    return 'done';
  } catch (err) {
    // 40007 on delete: already gone (someone removed them by hand). Only 40007 (gone.ts).
    if (isAlreadyGone(err)) return 'already-done';
    const standing = await standingAfterRefusal(ctx, err, memberId, what);
    if (standing === 'gone') return 'already-done';
    if (standing?.denied) throw refusedForMember(ctx, err, memberId, what);
    throw err;
  } finally {
    ctx.holdings.invalidate();
  }
}
