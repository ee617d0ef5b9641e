/**
 * Members and invitations: `/bc/member/get/`, `/invite/`, `/update/`, `/delete/`
 * (TikTok API for Business v1.3 BC member endpoints; limits from the help article "How to add
 * members to your TikTok Business Center": 4,000 members, of whom at most 20 Admins).
 */
import type { CallContext } from '../context.ts';
import { missing, paramError, noPermission } from '../envelope.ts';
import type { AdvertiserRole, MemberRow, UserRole } from '../model.ts';
import { paginate } from '../paging.ts';
import { pageParams } from '../params.ts';

export const USER_ROLES: readonly UserRole[] = ['ADMIN', 'STANDARD'];
const FINANCE_ROLES = ['MANAGER', 'ANALYST'] as const;
const RELATION_STATUSES = ['BOUND', 'PENDING', 'REJECTED', 'UNBOUND'] as const;
const ADVERTISER_ROLES: readonly AdvertiserRole[] = ['ADMIN', 'OPERATOR', 'ANALYST'];
const ASSET_TYPES_KNOWN = ['ADVERTISER', 'CATALOG', 'DOMAIN', 'LEAD', 'PIXEL', 'STOREFRONT', 'TIKTOK_SHOP', 'TT_ACCOUNT'] as const;
export const MAX_MEMBERS = 4_000;
export const MAX_ADMINS = 20;

/** A member row as the API shows it: PENDING and REJECTED rows carry no user_id or user_name. */
export function renderMember(row: MemberRow, extra: Record<string, unknown> = {}): Record<string, unknown> {
  // A former member's UNBOUND row (readings.ts keepRemovedAsUnbound) keeps its user_id.
  const bound = row.relation_status === 'BOUND' || (row.relation_status === 'UNBOUND' && row.user_id !== undefined);
  return {
    ...(bound ? { user_id: row.user_id, user_name: row.user_name ?? '' } : {}),
    user_email: row.user_email,
    user_role: row.user_role,
    relation_status: row.relation_status,
    ...(row.finance_role ? { ext_user_role: { finance_role: row.finance_role } } : {}),
    ...extra,
  };
}

/**
 * Whether a member row matches `filtering.keyword`: a case-insensitive substring of `user_email`
 * or `user_name` [INF #47], or another reading's (names only; case-sensitive: readings.ts).
 */
export function memberKeywordMatch(c: CallContext, row: MemberRow, keyword: string | undefined): boolean {
  if (!keyword) return true;
  const fold = (s: string) => (c.rt.readings.keywordCaseSensitive ? s : s.toLowerCase());
  const k = fold(keyword);
  return (!c.rt.readings.keywordNamesOnly && fold(row.user_email).includes(k)) || fold(row.user_name ?? '').includes(k);
}

export function listMembers(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'child_bc_id', 'filtering', 'page', 'page_size']);
  const bcId = f.id('bc_id', true);
  const filter = f.object('filtering', ['keyword', 'user_role', 'relation_status']);
  const keyword = filter?.string('keyword');
  const role = filter?.enumValue('user_role', USER_ROLES);
  const status = filter?.enumValue('relation_status', RELATION_STATUSES);
  const { page, pageSize } = pageParams(f, 20);
  c.member(bcId, 'read');
  c.noChildBc(f, 'child_bc_id');
  const rows = c.world.rowsOf(bcId).filter((r) =>
    (!role || r.user_role === role)
    && (status ? r.relation_status === status : !c.rt.readings.unfilteredListsBoundOnly || r.relation_status === 'BOUND')
    && memberKeywordMatch(c, r, keyword));
  const { list, page_info } = paginate(rows, page, pageSize, c.rt.faults.shortPage(pageSize, c.call.endpoint, page, rows.length), c.rt.readings.pagePastEndCode);
  const rendered = list.map((r) => renderMember(r));
  // Another reading (readings.ts invitationUserId): invitations carry a placeholder user_id.
  const placeholder = c.rt.readings.invitationUserId;
  if (placeholder) for (const r of rendered) if (r.relation_status === 'PENDING' || r.relation_status === 'REJECTED') Object.assign(r, { user_id: placeholder, user_name: '' });
  // Another reading (readings.ts omitRelationStatus): rows without the field.
  if (c.rt.readings.omitRelationStatus) for (const r of rendered) delete r.relation_status;
  // Another reading (readings.ts omitUserRole): rows without the field.
  if (c.rt.readings.omitUserRole) for (const r of rendered) delete r.user_role;
  return { list: rendered, page_info };
}

/** Whether an advertiser_role ranks above a share's ceiling (ADMIN > OPERATOR > ANALYST). */
export function aboveShare(role: AdvertiserRole, ceiling: AdvertiserRole | undefined): boolean {
  return ceiling !== undefined && ADVERTISER_ROLES.indexOf(role) < ADVERTISER_ROLES.indexOf(ceiling);
}

function countOf(rows: MemberRow[], admin: boolean): number {
  return rows.filter((r) => (r.relation_status === 'BOUND' || r.relation_status === 'PENDING') && (!admin || r.user_role === 'ADMIN')).length;
}

export function inviteMembers(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'emails', 'user_role', 'ext_user_role', 'asset_type', 'asset_ids', 'advertiser_role']);
  const bcId = f.id('bc_id', true);
  const emails = f.emailList('emails', { min: 1, max: 50 });
  const userRole = f.enumValue('user_role', USER_ROLES, { default: 'STANDARD' })!;
  const finance = f.object('ext_user_role', ['finance_role'])?.enumValue('finance_role', FINANCE_ROLES);
  f.enumValue('asset_type', ASSET_TYPES_KNOWN, { default: 'ADVERTISER', valid: ['ADVERTISER'] });
  // Required by the gateway rule `asset_ids*` although the OpenAPI list omits it.
  const assetIds = f.idList('asset_ids', { required: true, max: 50 })!;
  const advertiserRole = f.enumValue('advertiser_role', ADVERTISER_ROLES, { default: 'ANALYST' })!;
  if (c.rt.readings.refuseInviteWithoutAssets && userRole === 'STANDARD' && assetIds.length === 0) {
    throw paramError('asset_ids: a Standard member needs at least one ad account');
  }
  c.member(bcId, 'admin');
  for (const id of assetIds) {
    const found = c.world.assetInBc(bcId, id);
    if (!found) throw noPermission(`asset_ids: no permission to access asset ${id}`);
    if (found.asset.asset_type !== 'ADVERTISER') throw paramError(`asset_ids: ${id} is not an ADVERTISER asset`);
    // An invitation gives its ad accounts as an assignment would (on acceptance), so a shared-in
    // one cannot be given above the role its owner shared it with, as on `/bc/asset/assign/`
    // (40001). TikTok's invite docs (https://business-api.tiktok.com/portal/docs/api-reference/v1.3,
    // `/bc/member/invite/`) say nothing either way; accepting it and granting above the share on
    // acceptance would be the lenient answer [INF #22].
    if (found.share && aboveShare(advertiserRole, found.share.advertiser_role)) {
      throw noPermission(`advertiser_role: ${advertiserRole} is above the ${found.share.advertiser_role} the owner shared asset ${id} with`);
    }
  }
  const rows = c.world.rowsOf(bcId);
  const fresh: string[] = [];
  const replacing: MemberRow[] = [];
  const seen = new Set<string>();
  for (const email of emails) {
    const key = email.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const found = c.world.rowByEmail(bcId, email);
    // A former member's UNBOUND row stays beside a new invitation (readings.ts keepRemovedAsUnbound).
    const existing = found?.relation_status === 'UNBOUND' ? undefined : found;
    // Previously invited addresses, and members, are ignored: no change, no new email.
    if (existing && existing.relation_status !== 'REJECTED') {
      if (c.rt.readings.refuseExistingInvite) throw paramError(`emails: ${email} is already ${existing.relation_status === 'BOUND' ? 'a member' : 'invited'}`);
      continue;
    }
    if (existing && c.rt.readings.ignoreRejectedInvite) continue;
    if (existing) replacing.push(existing);
    fresh.push(email);
  }
  if (countOf(rows, false) + fresh.length > MAX_MEMBERS) throw paramError(`emails: a Business Center holds at most ${MAX_MEMBERS} members`);
  if (userRole === 'ADMIN' && countOf(rows, true) + fresh.length > MAX_ADMINS) throw paramError(`user_role: a Business Center holds at most ${MAX_ADMINS} Admins`);
  const now = c.rt.now();
  for (const row of replacing) c.world.removeRow(bcId, row);
  for (const email of fresh) {
    rows.push({
      bc_id: bcId, user_email: email, user_role: userRole, relation_status: 'PENDING',
      ...(finance ? { finance_role: finance } : {}),
      invited_at: now, expires_at: now + c.rt.inviteTtlMs,
      invite_assets: assetIds.map((asset_id) => ({ asset_id, advertiser_role: advertiserRole })),
    });
  }
  return {};
}

function boundAdmins(c: CallContext, bcId: string): number {
  return c.world.rowsOf(bcId).filter((r) => r.relation_status === 'BOUND' && r.user_role === 'ADMIN').length;
}

export function updateMember(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'user_id', 'user_role', 'ext_user_role', 'user_name', 'child_bc_id']);
  const bcId = f.id('bc_id', true);
  const userId = f.id('user_id', true);
  const role = f.enumValue('user_role', USER_ROLES);
  const finance = f.object('ext_user_role', ['finance_role'])?.enumValue('finance_role', FINANCE_ROLES);
  const name = f.string('user_name', { max: 250 });
  if (!role && !f.has('ext_user_role') && name === undefined) throw paramError('user_role: nothing to update (give user_role, ext_user_role or user_name)');
  c.member(bcId, 'admin');
  c.noChildBc(f, 'child_bc_id');
  const row = c.world.boundMember(bcId, userId);
  if (!row) throw missing(c.rt.readings.updateUnknownCode, `user_id: ${userId} is not a member of Business Center ${bcId}`);
  if (c.rt.readings.refuseUnchangedUpdate && role === row.user_role && !f.has('ext_user_role') && name === undefined) {
    throw paramError(`user_role: ${userId} is already ${role}; nothing to update`);
  }
  if (c.rt.readings.protectTokenUser && role === 'STANDARD' && userId === c.call.token.user_id) throw noPermission('user_id: no permission to demote yourself');
  if (role === 'STANDARD' && row.user_role === 'ADMIN' && boundAdmins(c, bcId) <= 1) {
    throw paramError('user_role: a Business Center must keep at least one Admin');
  }
  if (role === 'ADMIN' && row.user_role !== 'ADMIN' && countOf(c.world.rowsOf(bcId), true) >= MAX_ADMINS) {
    throw paramError(`user_role: a Business Center holds at most ${MAX_ADMINS} Admins`);
  }
  if (role) row.user_role = role;
  if (finance) row.finance_role = finance;
  if (name !== undefined) row.user_name = name;
  return {};
}

export function deleteMember(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'user_id', 'user_email', 'child_bc_id']);
  const bcId = f.id('bc_id', true);
  const userId = f.id('user_id');
  const email = f.email('user_email');
  if ((userId === undefined) === (email === undefined)) throw paramError('user_id: give exactly one of user_id (a member) or user_email (an invitation)');
  c.member(bcId, 'admin');
  c.noChildBc(f, 'child_bc_id');
  if (email !== undefined) {
    const byEmail = c.world.rowByEmail(bcId, email);
    // Another reading (readings.ts exactDeleteEmail): the address must be the listed one exactly.
    const found = c.rt.readings.exactDeleteEmail && byEmail?.user_email !== email ? undefined : byEmail;
    // A former member's UNBOUND row (readings.ts) is no invitation.
    const row = found?.relation_status === 'UNBOUND' ? undefined : found;
    if (!row && c.rt.readings.deleteUnknownCode === 0) return {};
    if (!row) throw missing(c.rt.readings.deleteUnknownCode || undefined, `user_email: no invitation for ${email} in Business Center ${bcId}`);
    if (row.relation_status === 'BOUND') throw paramError('user_email: this address belongs to a member; remove members by user_id');
    c.world.removeRow(bcId, row);
    return {};
  }
  const row = c.world.boundMember(bcId, userId!);
  if (!row && c.rt.readings.deleteUnknownCode === 0) return {};
  if (!row) throw missing(c.rt.readings.deleteUnknownCode || undefined, `user_id: ${userId} is not a member of Business Center ${bcId}`);
  if (c.rt.readings.protectTokenUser && userId === c.call.token.user_id) throw noPermission('user_id: no permission to remove yourself');
  if (row.user_role === 'ADMIN' && boundAdmins(c, bcId) <= 1) throw paramError('user_id: a Business Center must keep at least one Admin');
  if (c.rt.readings.keepRemovedAsUnbound) row.relation_status = 'UNBOUND';
  else c.world.removeRow(bcId, row);
  // Removing a member removes the asset access they held through this BC.
  c.world.dropAssignments(bcId, userId!);
  return {};
}
