import type { AppInvite, InviteStatus } from '../../sdk/hub-model.ts';
import { memberRole, roleOf } from './member.ts';
import { idOf, textOf } from './required.ts';

/** Pure mapper for a BusinessRoleRequest listed under pending_users (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users). */

export interface RawRoleRequest {
  id: string;
  email?: string;
  role?: string;
  tasks?: string[];
  finance_role?: string;
  status?: string;
  created_time?: string | number;
  expiration_time?: string | number;
  expiry_time?: string | number;
}

/**
 * Graph status → ours. Only PENDING is documented; the rest follow the business request status
 * enum (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users [INF]). An invite past its expiration_time is expired even when Meta still says PENDING.
 */
export function inviteStatusOf(status: string | undefined, expiresAt: string | number | undefined, now = Date.now()): InviteStatus {
  const s = (status ?? 'PENDING').toUpperCase();
  if (s === 'EXPIRED') return 'expired';
  if (s === 'DECLINE' || s === 'DECLINED') return 'declined';
  if (s === 'CANCELED' || s === 'CANCELLED') return 'canceled';
  if (s === 'APPROVE' || s === 'ACCEPTED' || s === 'APPROVED') return 'accepted';
  const expires = expiryMs(expiresAt);
  if (expires !== undefined && expires < now) return 'expired';
  return 'pending';
}

/** Graph datetimes are `2014-01-07T23:26:09+0000` (https://developers.facebook.com/docs/graph-api/guides/versioning); ISO 8601 wants `+00:00`. */
export function graphDate(value: string): string {
  return value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
}

/**
 * Epoch ms of a Graph datetime: ISO 8601 with a `+0000` offset as Graph writes it
 * (https://developers.facebook.com/docs/graph-api/guides/versioning), another ISO 8601 form, or
 * unix seconds (as Graph gives `expires_at` on debug_token); undefined when unreadable, so one odd
 * value never fails a whole listing (README [INF]).
 */
export function graphTimeMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value * 1000 : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const ms = Date.parse(graphDate(value.trim()));
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * An invite's expiry in epoch ms, or undefined for none. Graph's own unix-seconds times use 0 for
 * "never" (`expires_at` on https://developers.facebook.com/docs/graph-api/reference/debug_token),
 * so a Graph giving a never-expiring invite `expiration_time: 0` (or any time not after the epoch)
 * means no expiry (README [INF]); read as 1970 it made every such invite expired, and hubwarden
 * re-sent it: a second invite to someone who still holds the first.
 */
export function expiryMs(value: unknown): number | undefined {
  const ms = graphTimeMs(value);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

function isoOf(value: unknown): string | undefined {
  const ms = graphTimeMs(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/**
 * The role an invite gives, read as a member's is (mappers/member.ts memberRole): `role`, or the
 * add-on role its `tasks` or `finance_role` (the "pre-assigned Finance role",
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-role-request)
 * hold. Meta does not say whether an invite's `role` keeps an add-on role or, like the
 * business_users edge, only the base role (README [INF]); read from `role` alone, an invite for
 * FINANCE_EDITOR shown as EMPLOYEE would have its role "changed" again at every check.
 * `role` is a default field of the request, and every read that uses it asks for it by name: an
 * answer without it is refused as a member's is (mappers/member.ts roleOf), never read as EMPLOYEE
 * (an ADMIN invite would read as already changed to EMPLOYEE, and never be downgraded).
 */
export function inviteRole(raw: Pick<RawRoleRequest, 'id' | 'role' | 'tasks' | 'finance_role'>, details: { notApplied?: boolean } = {}): string {
  const finance = typeof raw.finance_role === 'string' ? raw.finance_role : undefined;
  const tasks = [...(Array.isArray(raw.tasks) ? raw.tasks : []), ...(finance ? [finance] : [])];
  return memberRole({ role: roleOf(raw, 'invite', details), tasks, ...(finance ? { finance_permission: finance } : {}) });
}

/**
 * The expiry an invite carries: a Graph that fills only `expiry_time` may still send
 * `expiration_time` as 0 or an empty string (an unset field's default), and `??` took that
 * "no expiry" over the real one: a lapsed invite held pending for ever, never re-sent.
 */
function expiryOf(raw: Pick<RawRoleRequest, 'expiration_time' | 'expiry_time'>): string | number | undefined {
  return expiryMs(raw.expiration_time) !== undefined ? raw.expiration_time : raw.expiry_time;
}

/** An invite's status from its own fields alone: for the reads that never use its role (is it still pending?). */
export function inviteStatus(raw: Pick<RawRoleRequest, 'status' | 'expiration_time' | 'expiry_time'>, now = Date.now()): InviteStatus {
  return inviteStatusOf(raw.status, expiryOf(raw), now);
}

export function toInvite(raw: RawRoleRequest, now = Date.now()): AppInvite {
  const createdAt = isoOf(raw.created_time);
  const expiresMs = expiryMs(expiryOf(raw));
  const expiresAt = expiresMs === undefined ? undefined : new Date(expiresMs).toISOString();
  return {
    id: idOf(raw, 'invite'),
    email: textOf(raw as unknown as Record<string, unknown>, 'email', 'invite').toLowerCase(),
    role: inviteRole(raw),
    ...(Array.isArray(raw.tasks) && raw.tasks.length > 0 ? { tasks: raw.tasks.map((t) => t.toUpperCase()) } : {}),
    status: inviteStatus(raw, now),
    ...(createdAt ? { createdAt } : {}),
    ...(expiresAt ? { expiresAt } : {}),
  };
}
