import { ConnectorError, isConnectorError, markedNotApplied } from '../../sdk/connector-error.ts';
import type { ChangeResult } from '../../sdk/hub-model.ts';
import type { TikTokContext } from '../tiktok-context.ts';
import { inviteIdOf, type MemberRow } from '../mappers/rows.ts';
import { findRow, listAdminInvitations, listAdmins } from '../read/members.ts';
import type { InviteAsset, InviteOutcome } from '../../sdk/capabilities.ts';
import { isSupportedAccess } from '../asset-roles.ts';
import { TIKTOK_ASSET_TYPES } from '../mappers/asset-types.ts';
import { assertEmail, type InviteAccess } from './invite-batcher.ts';
import { assertRole } from './roles.ts';
import { explainInviteDenied } from './asset-denied.ts';
import { isPassing, isRefusal, recheckPassed } from '../tiktok-errors.ts';
import { tokenStillAdmin } from '../read/credential.ts';
import { findAssetRow } from '../read/assets.ts';
import { assertIds } from './ids.ts';
import { isAlreadyGone } from './gone.ts';
import { ASSUMED_INVITE_LIFETIME_MS } from '../invite-lifetime.ts';

/**
 * Invitations by email (TikTok API for Business v1.3 `/bc/member/invite/`, `/bc/member/delete/`
 * with `user_email`). An invitation's id is its address as emailKey folds it (NFC, lower-cased): PENDING rows have no
 * user_id. TikTok ignores an address invited before, so a repeated invite never duplicates; a
 * retry still looks first, to answer `already-done` (pending) or name the member (bound).
 */
type InviteResult = InviteOutcome;

/** How long hubwarden takes an invitation it sent to last (invite-lifetime.ts, README [INF] #41). */
export { ASSUMED_INVITE_LIFETIME_MS };

export async function invite(ctx: TikTokContext, input: { email: string; role: string; assets?: readonly InviteAsset[]; firstAttempt?: boolean }): Promise<InviteResult> {
  const what = `tiktok-business: invite ${input.email} as ${input.role} to Business Center ${ctx.bcId}`;
  assertEmail(input.email, what);
  assertRole(input.role, what);
  const access = checkedAccessOf(input.assets, what);
  if (!input.firstAttempt) {
    const row = await findRow(ctx, input.email, what);
    const listed = alreadyListed(input.email, row);
    if (listed) return listed;
    // A declined invitation is revoked first: TikTok ignores addresses "invited before" and does
    // not say whether a declined one counts [INF #12]; revoked, it is new either way.
    if (row?.relation_status === 'REJECTED') await cancelInvite(ctx, inviteIdOf(input.email), row.user_email);
  }
  const existing = await sendInvite(ctx, input.email, input.role, what, access);
  return alreadyListed(input.email, existing) ?? { result: 'done', inviteId: inviteIdOf(input.email), assumedLifetimeMs: ASSUMED_INVITE_LIFETIME_MS };
}

/** A PENDING row is the invitation already made; a BOUND one names the member. */
function alreadyListed(email: string, row: MemberRow | undefined): InviteResult | undefined {
  if (row?.relation_status === 'PENDING') return { result: 'already-done', inviteId: inviteIdOf(email) };
  if (row?.relation_status === 'BOUND') return { result: 'already-done', inviteId: '', memberId: String(row.user_id) };
  return undefined;
}

/**
 * Sends one invite. An invite whose 40001 is one of its ad accounts (not in the BC, or above its
 * share) fails alone (asset-denied.ts). TikTok ignores an address invited before [GO], and does
 * not say whether an address already PENDING or BOUND is ignored or refused
 * ([INF #12]): a refusal (40000, 40002, 40050) is checked against the address's row,
 * and a PENDING or BOUND row is returned (the invite is already done); anything else fails. A
 * refusal of an invite with no ad accounts that names `asset_ids` says so plainly [INF #13].
 */
async function sendInvite(ctx: TikTokContext, email: string, role: string, what: string, access: InviteAccess | undefined): Promise<MemberRow | undefined> {
  try {
    await ctx.invites.send(email, role, what, access);
    return undefined;
  } catch (err) {
    if (isConnectorError(err) && err.providerCode === PARTIAL_SUCCESS) return partOfPartialSuccess(ctx, err, email, what);
    const why = await explainInviteDenied(ctx, err, access?.assetIds ?? [], what, access?.advertiserRole);
    if (!isRefusal(why)) throw why;
    // The call's ad accounts, not the address (every invite of the call shares them): no look-up.
    if (!access && why.field === 'asset_ids') {
      throw why.with({ message: `${what}: invalid-argument (asset_ids): TikTok refuses a ${role} invitation without an ad account; give the person's team an ad account (teams[].assets). TikTok said: ${why.message.split('invalid-argument (asset_ids): ')[1] ?? why.message}` });
    }
    // A look-up that was throttled or failed says nothing of the row: the invite is tried again
    // later (reading first) rather than failed for good on a refusal that may be a repeat.
    const row = await findRow(ctx, email, what, { thorough: true }).catch((recheck: unknown) => {
      if (isPassing(recheck)) throw recheckPassed(recheck, why, what);
      return undefined;
    });
    if (row?.relation_status === 'PENDING' || row?.relation_status === 'BOUND') return row;
    throw why;
  }
}

/**
 * 20001, "partially successful" (Return codes, https://business-api.tiktok.com/portal/docs?id=1737172488964097):
 * some addresses of the call may be invited, and the answer has no per-address result. Failed
 * whole, every invite of the batch was reported failed, the invited ones too. So each address is
 * read back (every status): listed PENDING, its part went through (done); BOUND, it is a member
 * (already-done); not listed, its part is the failure, still `unavailable` with the outcome
 * unknown, so the agent's retry reads first. A read that fails leaves the 20001 as it was.
 */
const PARTIAL_SUCCESS = '20001';

async function partOfPartialSuccess(ctx: TikTokContext, err: ConnectorError, email: string, what: string): Promise<MemberRow | undefined> {
  const row = await findRow(ctx, email, what, { thorough: true }).catch(() => undefined);
  if (row?.relation_status === 'PENDING') return undefined;
  if (row?.relation_status === 'BOUND') return row;
  throw err.with({ message: `${what}: unavailable: TikTok answered 20001 (partially successful) and ${email} is not listed as invited (${err.message.split(': unavailable: ').pop()})` });
}

/**
 * What an invite gives (TikTok API for Business v1.3 `bc_member_invite.yml`: `asset_ids`, at
 * most 50 ad accounts, with one `advertiser_role` on every one of them): the person's ad accounts
 * that share one role; when their ad accounts have several roles, the role most of them have (the
 * first of ADMIN, OPERATOR, ANALYST on a tie). The others, and every other asset type, are
 * assigned once the person has joined (the plan's assign-asset). None: `[]` and no role sent.
 */
export const INVITE_ASSET_LIMIT = 50;

/**
 * inviteAccessOf, its ad account ids checked before any call as the assign and unassign ids are
 * (ids.ts assertId: a digit string within int64, the gateway's `x-open-convert: int64(%s)`). The
 * config refuses such an id at start (definition.ts); this holds for any other caller, and before
 * a role change or re-send revokes the old invitation.
 */
function checkedAccessOf(assets: readonly InviteAsset[] | undefined, what: string): InviteAccess | undefined {
  const access = inviteAccessOf(assets);
  assertIds(access?.assetIds ?? [], 'asset_ids', what);
  return access;
}

export function inviteAccessOf(assets: readonly InviteAsset[] | undefined): InviteAccess | undefined {
  const byRole = new Map<string, string[]>();
  for (const a of assets ?? []) {
    const role = a.tasks.length === 1 ? a.tasks[0]! : undefined;
    if (a.asset.type !== 'ad_account' || !role || !isSupportedAccess('ad_account', [role])) continue;
    byRole.set(role, [...(byRole.get(role) ?? []), a.asset.id]);
  }
  let best: InviteAccess | undefined;
  for (const role of TIKTOK_ASSET_TYPES.ad_account.roles) {
    const ids = byRole.get(role);
    if (ids && (!best || ids.length > best.assetIds.length)) best = { assetIds: [...new Set(ids)].sort().slice(0, INVITE_ASSET_LIMIT), advertiserRole: role };
  }
  return best;
}

/** Revokes a pending (or declined) invitation; gone already: already-done; accepted meanwhile: conflict. */
export async function cancelInvite(ctx: TikTokContext, inviteId: string, listedAs?: string): Promise<ChangeResult> {
  const key = inviteId.replace(/^pending:/, '');
  const email = listedAs ?? key;
  const what = `tiktok-business: revoke the invitation of ${email} to Business Center ${ctx.bcId}`;
  try {
    await ctx.client.call('POST', 'bc/member/delete', { bc_id: ctx.bcId, user_email: email }, what);
    return 'done';
  } catch (err) {
    if (!isConnectorError(err)) throw err;
    // 40007 only (gone.ts): 40300/40301 name a wrong ad account, not a revoked invitation, and
    // fall through to fail as TikTok gave them.
    if (isAlreadyGone(err)) {
      // TikTok asks for the `user_email` "from /bc/member/get/" and does not say it compares
      // addresses case-insensitively [INF #44]; the id is the address folded (inviteIdOf). Gone only when
      // no invitation is listed under another spelling of it, else revoke that one (once).
      if (listedAs !== undefined) return 'already-done';
      // Not applied (40007): a look-up that cannot tell fails the revoke, to be tried again.
      const row = await findRow(ctx, key, what, { thorough: true, strict: true }).catch((recheck: unknown) => { throw markedNotApplied(recheck); });
      return settleRevoke(ctx, { inviteId, email, listedAs, row, err, what, sameSpelling: 'already-done' });
    }
    // 40050, "a duplicate request was sent" (Return codes, https://business-api.tiktok.com/portal/docs?id=1737172488964097):
    // an identical earlier request may have applied (hubwarden's reading, README [INF] #73), so the
    // address is read again and nothing is re-sent blindly. The invitation no longer listed: the first applied (already-done); accepted meanwhile:
    // conflict; still listed: the 40050 stands (not applied) and nothing more is sent now.
    // `strict`: "no longer listed" ends the revoke as done, so a row that may be this address's
    // (no `user_email`, an undocumented state) leaves it unknown, as after a 40007 [INF #66].
    if (err.providerCode === '40050') {
      const row = await findRow(ctx, key, what, { thorough: true, strict: true }).catch((recheck: unknown) => {
        if (isPassing(recheck)) throw recheckPassed(recheck, err, what);
        throw err;
      });
      if (row?.relation_status === 'BOUND') throw acceptedConflict(what, row.user_email ?? email, row, err);
      if (row?.relation_status !== 'PENDING' && row?.relation_status !== 'REJECTED') return 'already-done';
      throw err;
    }
    // 40001 may be TikTok's word for an address it does not know [INF #18]: only while the token is
    // still an ADMIN is it about the address, read back as after a 40007.
    if (err.providerCode === '40001') {
      const seen = await rowWhileAdmin(ctx, err, email, what);
      if (seen) return settleRevoke(ctx, { inviteId, email, listedAs, row: seen.row, err, what, sameSpelling: 'refused' });
    }
    // 40002 on an address that belongs to a member: the person accepted in the meantime. Any 40002
    // is checked by re-reading the row, not only one whose message starts with `user_email:`:
    // TikTok's messages are free text and the code is what to branch on ("Return codes",
    // https://business-api.tiktok.com/portal/docs?id=1737172488964097).
    if (err.kind === 'invalid-argument' && err.providerCode === '40002') {
      const row = await findRow(ctx, email, what, { thorough: true, strict: true }).catch((recheck: unknown) => { throw markedNotApplied(recheck); });
      // No row at all, or only a former member's (UNBOUND): the invitation is gone, whichever code
      // TikTok gives an unknown address (40007 in the emulator; TikTok's docs are silent on the
      // code [INF #18]), as after a 40007 or a 40050.
      return settleRevoke(ctx, { inviteId, email, listedAs, row, err, what, sameSpelling: 'refused' });
    }
    throw err;
  }
}

/**
 * A revoke TikTok refused as if `email` had no invitation (40007; 40001 or 40002, its code for an
 * unknown address being undocumented [INF #18]), settled from the address's row read again in
 * full (`thorough`: the invitations asked for by status too, as a read without a `relation_status`
 * filter may list members only [INF #8]). Listed BOUND: accepted meanwhile (conflict). Not listed,
 * or only as a former member (UNBOUND): gone (already-done). Listed PENDING or REJECTED under
 * another spelling, where TikTok may take the `user_email` only as listed [INF #44]: that one is
 * revoked (once). Listed under this very spelling: `sameSpelling` (40007, TikTok's "does not
 * exist", is already-done; a 40001 or 40002 is the refusal, not applied). Taken from an
 * unfiltered read alone, an invitation still listed was audited revoked, and the person could
 * still accept it.
 */
function settleRevoke(ctx: TikTokContext, r: { inviteId: string; email: string; listedAs: string | undefined; row: MemberRow | undefined; err: ConnectorError; what: string; sameSpelling: 'already-done' | 'refused' }): Promise<ChangeResult> | ChangeResult {
  if (r.row?.relation_status === 'BOUND') throw acceptedConflict(r.what, r.row.user_email ?? r.email, r.row, r.err);
  const listed = r.row && (r.row.relation_status === 'PENDING' || r.row.relation_status === 'REJECTED') ? r.row.user_email : undefined;
  if (!listed) return 'already-done';
  if (r.listedAs === undefined && listed !== r.email) return cancelInvite(ctx, r.inviteId, listed);
  if (r.sameSpelling === 'already-done') return 'already-done';
  throw r.err;
}

/** The address's row (read in full, as settleRevoke needs) while the token is still an ADMIN; undefined when it is not, or the check failed for good. */
async function rowWhileAdmin(ctx: TikTokContext, err: unknown, email: string, what: string): Promise<{ row: MemberRow | undefined } | undefined> {
  try {
    if (!(await tokenStillAdmin(ctx))) return undefined;
    return { row: await findRow(ctx, email, what, { thorough: true, strict: true }) };
  } catch (recheck) {
    if (isPassing(recheck)) throw recheckPassed(recheck, err, what);
    return undefined;
  }
}

/** A revoke of an address that is a member now: the person accepted in the meantime. */
function acceptedConflict(what: string, email: string, row: MemberRow, cause: unknown): ConnectorError {
  return new ConnectorError('conflict', `${what}: conflict: ${email} has accepted and is a member (${row.user_id}); remove the member instead`, { notApplied: true, cause });
}

/**
 * A pending invitation cannot be updated (it has no user_id for `/bc/member/update/`): revoke it
 * by address and invite again with the new role and, like any invite, the person's ad accounts
 * that share one role (no endpoint updates or resends an invitation, so `member/delete` with `user_email`, then
 * invite; the invite carries `asset_ids`, github.com/tiktok/tiktok-business-api-sdk `yml_files/bc_member_invite.yml`). Its id, the address,
 * stays the same. Looks first, so a repeat (or a retry after the revoke went through) does only
 * what is left.
 */
export async function changeInviteRole(ctx: TikTokContext, inviteId: string, role: string, assets?: readonly InviteAsset[]): Promise<ChangeResult> {
  const email = inviteId.replace(/^pending:/, '');
  const what = `tiktok-business: change the invitation of ${email} to ${role} in Business Center ${ctx.bcId}`;
  assertRole(role, what);
  const access = checkedAccessOf(assets, what);
  const row = await findRow(ctx, email, what, { thorough: true });
  if (row?.relation_status === 'BOUND') {
    throw new ConnectorError('conflict', `${what}: conflict: ${email} has accepted and is a member (${row.user_id}); change the member's role instead`, { notApplied: true });
  }
  if (row?.relation_status === 'PENDING' && row.user_role === role) return 'already-done';
  if (row && role === 'ADMIN' && row.user_role !== 'ADMIN') await assertAdminRoom(ctx, what);
  if (row) await assertAdAccountsInBc(ctx, access, what);
  if (row) await cancelInvite(ctx, inviteId, row.user_email);
  acceptedMeanwhile(await sendInvite(ctx, row?.user_email ?? email, role, what, access), email, what);
  return 'done';
}

/**
 * A Business Center holds at most 20 Admins ("How to add members to your TikTok Business Center",
 * https://ads.tiktok.com/help/article/how-to-add-members-to-business-center: "20 Admin roles").
 * A pending invitation's role can only change by revoke + invite, so an ADMIN invitation TikTok
 * refuses for the limit left the person with no invitation at all: the old one was already
 * revoked. Checked before the revoke instead, counting BOUND admins and pending ADMIN invitations
 * (whether TikTok counts the latter is not documented; the strict reading, README [INF] #14).
 */
export const MAX_ADMINS = 20;

async function assertAdminRoom(ctx: TikTokContext, what: string): Promise<void> {
  const bound = await listAdmins(ctx, what);
  const pending = await listAdminInvitations(ctx, what);
  if (bound.length + pending.length < MAX_ADMINS) return;
  throw new ConnectorError('invalid-argument', `${what}: invalid-argument (role): Business Center ${ctx.bcId} has ${bound.length} admins and ${pending.length} pending ADMIN invitations, and TikTok allows at most ${MAX_ADMINS} Admins; the pending invitation is kept as it is (revoking it for an ADMIN invitation TikTok refuses would leave none)`, {
    field: 'role', notApplied: true,
  });
}

/**
 * Likewise an ad account of the new invitation that is not owned by or shared into the Business
 * Center: TikTok refuses the invite (40001) after the old invitation was revoked. Each is looked up
 * first in the BC's own listing (`/bc/asset/get/`, keyword = its id); one missing fails the change
 * not-found naming it, the pending invitation kept. (A share below the role asked cannot be read
 * beforehand: TikTok's asset rows carry no share ceiling, README [INF] #25.)
 */
async function assertAdAccountsInBc(ctx: TikTokContext, access: InviteAccess | undefined, what: string): Promise<void> {
  const missing: string[] = [];
  for (const id of access?.assetIds ?? []) if (!(await findAssetRow(ctx, 'ad_account', id, what))) missing.push(id);
  if (missing.length === 0) return;
  throw new ConnectorError('not-found', `${what}: not-found: ad account${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not owned by or shared into Business Center ${ctx.bcId}; the pending invitation is kept as it is (revoking it for an invitation TikTok refuses would leave none): share ${missing.length > 1 ? 'them' : 'it'} into the Business Center or remove ${missing.length > 1 ? 'them' : 'it'} from the team's assets`, {
    notApplied: true,
  });
}

/** An invite refused because the address is a member now (sendInvite): conflict, as a revoke of it would be. */
function acceptedMeanwhile(row: MemberRow | undefined, email: string, what: string): void {
  if (row?.relation_status === 'BOUND') {
    throw new ConnectorError('conflict', `${what}: conflict: ${email} has accepted and is a member (${row.user_id})`, { notApplied: true });
  }
}

/**
 * TikTok has no resend: revoke, then invite again (both count against the rate limit). TikTok has
 * no idempotency key either ("re-read before retrying" after a timeout or a dropped connection), and
 * an invitation's id is its address. So when an earlier attempt of this re-send may have reached
 * TikTok (`earlierAttemptUnknown`, from the agent's task records: every replica and a restarted
 * process know it), the address is read first: listed PENDING with the role asked, it may be the
 * invitation that attempt sent (the old one was revoked before it went out), and it is not revoked:
 * the re-send is done, nothing sent. Revoked and invited again, the person got two invitation
 * emails in a row, the first one's link dead. TikTok's rows carry no sending time, so such a row
 * may also be the old invitation, left when that attempt's revoke did not apply: kept rather than
 * revoked when unsure [INF #68]. Not listed (or another role, or declined): revoked and invited once.
 */
export async function reinvite(ctx: TikTokContext, input: { inviteId: string; email: string; role: string; assets?: readonly InviteAsset[]; earlierAttemptUnknown?: boolean }): Promise<InviteResult> {
  const what = `tiktok-business: invite ${input.email} again as ${input.role} to Business Center ${ctx.bcId}`;
  assertEmail(input.email, what);
  assertRole(input.role, what);
  const access = checkedAccessOf(input.assets, what);
  const key = inviteIdOf(input.email);
  if (input.earlierAttemptUnknown) {
    const row = await findRow(ctx, input.email, what, { thorough: true });
    acceptedMeanwhile(row, input.email, what);
    if (row?.relation_status === 'PENDING' && row.user_role === input.role) {
      return { result: 'done', inviteId: key, assumedLifetimeMs: ASSUMED_INVITE_LIFETIME_MS };
    }
  }
  // As for a role change: an invitation TikTok would refuse for its ad accounts is not sent after
  // the old one was revoked (assertAdAccountsInBc).
  await assertAdAccountsInBc(ctx, access, what);
  await cancelInvite(ctx, input.inviteId || key);
  acceptedMeanwhile(await sendInvite(ctx, input.email, input.role, what, access), input.email, what);
  return { result: 'done', inviteId: key, assumedLifetimeMs: ASSUMED_INVITE_LIFETIME_MS };
}
