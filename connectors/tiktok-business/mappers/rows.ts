import type { AppAsset, AppInvite, AppMember, ListingGap } from '../../sdk/hub-model.ts';
import type { TikTokAssetType } from './asset-types.ts';
import { BC_ROLES } from '../write/roles.ts';
import { emailKey } from '../../sdk/email-key.ts';
import { ASSUMED_INVITE_LIFETIME_MS } from '../invite-lifetime.ts';

/** A `/bc/member/get/` row (TikTok API for Business v1.3 member object). */
export interface MemberRow {
  user_id?: string;
  user_name?: string;
  user_email?: string;
  user_role?: string;
  relation_status?: string;
  advertiser_role?: string;
  catalog_role?: string;
}

/** A `/bc/asset/get/` row. */
export interface AssetRow {
  asset_type?: string;
  asset_id?: string;
  asset_name?: string;
  relation_type?: string;
  [roleField: string]: unknown;
}

/**
 * A pending invitation has no user_id: its key is the address it went to as hubwarden compares
 * addresses (`emailKey`: NFC, trimmed, lower-cased), so an address listed decomposed ("e" +
 * U+0301) and one a directory spells precomposed (U+00E9) name one invitation, never two.
 * For an ASCII address that is the lower-cased address, as before.
 */
export function inviteIdOf(email: string): string {
  return emailKey(email);
}

/**
 * The ids releases before the NFC key gave the invitation (the address trimmed and lower-cased,
 * not normalized): for an address TikTok lists decomposed, another id than `inviteIdOf`'s. Given
 * to the agent as the invite's `formerIds`, so an exemption or an owner's match stored under the
 * old id follows the row; none for an ASCII or precomposed address, whose id did not change.
 */
export function formerInviteIdsOf(email: string): string[] {
  const before = email.trim().toLowerCase();
  return before === inviteIdOf(email) ? [] : [before];
}

/**
 * The row's `user_role` when it is one TikTok documents (ADMIN or STANDARD, `BCUserRole` in
 * github.com/tiktok/tiktok-business-api-sdk `yml_files/bc_*.yml`), else undefined. A row without one, or with another
 * value, is of no known role [INF #52]: never read as STANDARD, which would show an ADMIN as
 * STANDARD (a needed demotion missed, admins miscounted for the last-admin rule).
 */
export function knownRoleOf(row: MemberRow): string | undefined {
  return (BC_ROLES as readonly string[]).includes(row.user_role ?? '') ? row.user_role : undefined;
}

/**
 * A row's `user_email` as the connector keeps it: trimmed and lower-cased; blank is no address.
 * TikTok gives `user_email` as a plain string (the Go SDK's `Member`,
 * https://github.com/bububa/tiktok-business `model/bc/member_get.go`) and says nothing of its form;
 * kept as listed, a row's blanks and capitals showed in the record, every summary and audit
 * subject about the person [INF #72]. Revokes take the `user_email` as listed, read again (#44).
 */
export function rowEmail(row: MemberRow): string | undefined {
  return typeof row.user_email === 'string' && row.user_email.trim() !== '' ? row.user_email.trim().toLowerCase() : undefined;
}

/** A row of known role (`knownRoleOf`) as a member. */
export function toMember(row: MemberRow & { user_role: string }): AppMember {
  const email = rowEmail(row);
  return {
    id: String(row.user_id),
    ...(email ? { email } : {}),
    ...(row.user_name ? { name: row.user_name } : {}),
    role: row.user_role,
  };
}

/**
 * A row of a listing filtered by `relation_status`: the filter says its state when the row does
 * not (the Go SDK's `Member`, https://github.com/bububa/tiktok-business, lists the field, but a row may come without it [INF #43]); a row that names
 * another state than the one asked for is not of this listing.
 */
/**
 * Splits a page's rows into those of known role and a gap naming the others (`Page.incomplete`):
 * the agent fails a member or invitation listing that has one, so nothing is planned from a role
 * it would have had to guess [INF #52].
 */
export function splitByRole(rows: MemberRow[], name: (r: MemberRow) => string): { known: Array<MemberRow & { user_role: string }>; gap?: ListingGap } {
  const known: Array<MemberRow & { user_role: string }> = [];
  const unknown: string[] = [];
  for (const r of rows) {
    const role = knownRoleOf(r);
    if (role) known.push({ ...r, user_role: role });
    else unknown.push(`${name(r)} (${r.user_role === undefined || r.user_role === null || r.user_role === '' ? 'no user_role' : `user_role ${JSON.stringify(String(r.user_role).slice(0, 40))}`})`);
  }
  if (unknown.length === 0) return { known };
  return { known, gap: { reason: `the role of ${unknown.length} row(s) is not ADMIN or STANDARD, so it is not known: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}` } };
}

/** The `relation_status` values TikTok's API spec documents (`UserRelationStatusToBC`, github.com/tiktok/tiktok-business-api-sdk `yml_files/bc_member_get.yml`). */
export const RELATION_STATUSES = ['BOUND', 'PENDING', 'REJECTED', 'UNBOUND'] as const;

/**
 * A row naming a `relation_status` TikTok does not document (`bound`, `JOINED`): of no known
 * state, so neither of the filtered listing nor of another one [INF #66]. Taken for "of another
 * listing", it left the listing silently, which then looked complete with a member missing.
 */
export function ofUnknownStatus(row: MemberRow): boolean {
  const s = row.relation_status;
  return s !== undefined && s !== null && s !== '' && !(RELATION_STATUSES as readonly string[]).includes(s);
}

export function ofStatus(row: MemberRow, status: string): MemberRow | undefined {
  if (row.relation_status === undefined || row.relation_status === null || row.relation_status === '') return { ...row, relation_status: status };
  return row.relation_status === status ? row : undefined;
}

/** A row of the PENDING or REJECTED listing (its status from `ofStatus`), of known role (`knownRoleOf`). */
export function toInvite(row: MemberRow & { user_role: string }): AppInvite {
  const listed = row.user_email ?? '';
  const formerIds = formerInviteIdsOf(listed);
  const pending = row.relation_status !== 'REJECTED';
  return {
    id: inviteIdOf(listed), ...(formerIds.length > 0 ? { formerIds } : {}),
    email: rowEmail(row) ?? '', role: row.user_role, status: pending ? 'pending' : 'declined',
    // TikTok's rows carry no sending time or expiry: one not sent by hubwarden lapses too (#72).
    ...(pending ? { assumedLifetimeMs: ASSUMED_INVITE_LIFETIME_MS } : {}),
  };
}

export function toAsset(type: TikTokAssetType, row: AssetRow): AppAsset {
  return {
    type,
    id: String(row.asset_id),
    ...(row.asset_name ? { name: row.asset_name } : {}),
    // OWNER_PARTNER: a partner BC shared it with us.
    ownership: row.relation_type === 'OWNER_PARTNER' ? 'client' : 'owned',
  };
}
