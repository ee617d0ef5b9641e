import type { AppInvite, InviteStatus } from '../../sdk/hub-model.ts';

/** Pure mapper for a BusinessRoleRequest listed under pending_users (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users). */

export interface RawRoleRequest {
  id: string;
  email?: string;
  role?: string;
  tasks?: string[];
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
  const expires = graphTimeMs(expiresAt);
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

function isoOf(value: unknown): string | undefined {
  const ms = graphTimeMs(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

export function toInvite(raw: RawRoleRequest, now = Date.now()): AppInvite {
  const expires = raw.expiration_time ?? raw.expiry_time;
  const createdAt = isoOf(raw.created_time);
  const expiresAt = isoOf(expires);
  return {
    id: String(raw.id),
    email: (raw.email ?? '').toLowerCase(),
    role: (raw.role ?? 'EMPLOYEE').toUpperCase(),
    ...(Array.isArray(raw.tasks) && raw.tasks.length > 0 ? { tasks: raw.tasks.map((t) => t.toUpperCase()) } : {}),
    status: inviteStatusOf(raw.status, expires, now),
    ...(createdAt ? { createdAt } : {}),
    ...(expiresAt ? { expiresAt } : {}),
  };
}
