import { ConnectorError, isConnectorError } from '../../sdk/connector-error.ts';
import type { ChangeResult } from '../../sdk/hub-model.ts';
import type { TikTokContext } from '../tiktok-context.ts';
import { inviteIdOf } from '../mappers/rows.ts';
import { findRow } from '../read/members.ts';
import type { InviteAsset, InviteOutcome } from '../../sdk/capabilities.ts';
import { isSupportedAccess } from '../asset-roles.ts';
import { TIKTOK_ASSET_TYPES } from '../mappers/asset-types.ts';
import { assertEmail, type InviteAccess } from './invite-batcher.ts';
import { assertRole } from './roles.ts';
import { explainInviteDenied } from './asset-denied.ts';

/**
 * Invitations by email (TikTok API for Business v1.3 `/bc/member/invite/`, `/bc/member/delete/`
 * with `user_email`). An invitation's id is its lower-cased address: PENDING rows have no
 * user_id. TikTok ignores an address invited before, so a repeated invite never duplicates; a
 * retry still looks first, to answer `already-done` (pending) or name the member (bound).
 */
type InviteResult = InviteOutcome;

/**
 * TikTok publishes no validity period for an invitation and keeps an expired one listed as
 * PENDING ("Invitation links stay valid only for a limited time",
 * https://ads.tiktok.com/help/article/how-to-add-members-to-business-center): hubwarden takes an
 * invitation it sent to be stale after 14 days, then re-sends it once (revoke, invite) and
 * reports it after that, rather than showing it as invited for ever [INF] (connector README).
 */
export const ASSUMED_INVITE_LIFETIME_MS = 14 * 24 * 3_600_000;

export async function invite(ctx: TikTokContext, input: { email: string; role: string; assets?: readonly InviteAsset[]; firstAttempt?: boolean }): Promise<InviteResult> {
  const what = `tiktok-business: invite ${input.email} as ${input.role} to Business Center ${ctx.bcId}`;
  assertEmail(input.email, what);
  assertRole(input.role, what);
  if (!input.firstAttempt) {
    const row = await findRow(ctx, input.email, what);
    if (row?.relation_status === 'PENDING') return { result: 'already-done', inviteId: inviteIdOf(input.email) };
    if (row?.relation_status === 'BOUND') return { result: 'already-done', inviteId: '', memberId: String(row.user_id) };
    // None, or REJECTED: a new invitation replaces a declined one.
  }
  await sendInvite(ctx, input.email, input.role, what, inviteAccessOf(input.assets));
  return { result: 'done', inviteId: inviteIdOf(input.email), assumedLifetimeMs: ASSUMED_INVITE_LIFETIME_MS };
}

/** An invite whose 40001 is one of its ad accounts (not in the BC, or above its share) fails alone (asset-denied.ts). */
async function sendInvite(ctx: TikTokContext, email: string, role: string, what: string, access: InviteAccess | undefined): Promise<void> {
  try {
    await ctx.invites.send(email, role, what, access);
  } catch (err) {
    throw await explainInviteDenied(ctx, err, access?.assetIds ?? [], what, access?.advertiserRole);
  }
}

/**
 * What an invite gives (TikTok API for Business v1.3 `bc_member_invite.yml`: `asset_ids`, at
 * most 50 ad accounts, with one `advertiser_role` on every one of them): the person's ad accounts
 * that share one role; when their ad accounts have several roles, the role most of them have (the
 * first of ADMIN, OPERATOR, ANALYST on a tie). The others, and every other asset type, are
 * assigned once the person has joined (the plan's assign-asset). None: `[]` and no role sent.
 */
export const INVITE_ASSET_LIMIT = 50;

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
export async function cancelInvite(ctx: TikTokContext, inviteId: string): Promise<ChangeResult> {
  const email = inviteId.replace(/^pending:/, '');
  const what = `tiktok-business: revoke the invitation of ${email} to Business Center ${ctx.bcId}`;
  try {
    await ctx.client.call('POST', 'bc/member/delete', { bc_id: ctx.bcId, user_email: email }, what);
    return 'done';
  } catch (err) {
    if (!isConnectorError(err)) throw err;
    if (err.kind === 'not-found') return 'already-done';
    // 40002 on an address that belongs to a member: the person accepted in the meantime. Any 40002
    // is checked by re-reading the row, not only one whose message starts with `user_email:`:
    // TikTok's messages are free text and the code is what to branch on ("Return codes",
    // https://business-api.tiktok.com/portal/docs?id=1737172488964097).
    if (err.kind === 'invalid-argument' && err.providerCode === '40002') {
      const row = await findRow(ctx, email, what);
      if (row?.relation_status === 'BOUND') {
        throw new ConnectorError('conflict', `${what}: conflict: ${email} has accepted and is a member (${row.user_id}); remove the member instead`, { notApplied: true, cause: err });
      }
    }
    throw err;
  }
}

/**
 * A pending invitation cannot be updated (it has no user_id for `/bc/member/update/`): revoke it
 * by address and invite again with the new role and, like any invite, the person's ad accounts
 * that share one role (the reference's "member/delete with user_email, then invite"; the invite
 * carries `asset_ids`, TikTok API for Business v1.3 `bc_member_invite.yml`). Its id, the address,
 * stays the same. Looks first, so a repeat (or a retry after the revoke went through) does only
 * what is left.
 */
export async function changeInviteRole(ctx: TikTokContext, inviteId: string, role: string, assets?: readonly InviteAsset[]): Promise<ChangeResult> {
  const email = inviteId.replace(/^pending:/, '');
  const what = `tiktok-business: change the invitation of ${email} to ${role} in Business Center ${ctx.bcId}`;
  assertRole(role, what);
  const row = await findRow(ctx, email, what);
  if (row?.relation_status === 'BOUND') {
    throw new ConnectorError('conflict', `${what}: conflict: ${email} has accepted and is a member (${row.user_id}); change the member's role instead`, { notApplied: true });
  }
  if (row?.relation_status === 'PENDING' && row.user_role === role) return 'already-done';
  if (row) await cancelInvite(ctx, inviteId);
  await sendInvite(ctx, row?.user_email ?? email, role, what, inviteAccessOf(assets));
  return 'done';
}

/** TikTok has no resend: revoke, then invite again (both count against the rate limit). */
export async function reinvite(ctx: TikTokContext, input: { inviteId: string; email: string; role: string; assets?: readonly InviteAsset[] }): Promise<InviteResult> {
  const what = `tiktok-business: invite ${input.email} again as ${input.role} to Business Center ${ctx.bcId}`;
  assertEmail(input.email, what);
  assertRole(input.role, what);
  await cancelInvite(ctx, input.inviteId || inviteIdOf(input.email));
  await sendInvite(ctx, input.email, input.role, what, inviteAccessOf(input.assets));
  return { result: 'done', inviteId: inviteIdOf(input.email), assumedLifetimeMs: ASSUMED_INVITE_LIFETIME_MS };
}
