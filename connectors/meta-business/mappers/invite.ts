import type { AppInvite, InviteStatus } from '../../sdk/hub-model.ts';

/** Pure mapper for a BusinessRoleRequest listed under pending_users (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users). */

export interface RawRoleRequest {
  id: string;
  email?: string;
  role?: string;
  tasks?: string[];
  status?: string;
  created_time?: string;
  expiration_time?: string;
  expiry_time?: string;
}

/**
 * Graph status → ours. Only PENDING is documented; the rest follow the business request status
 * enum (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users [INF]). An invite past its expiration_time is expired even when Meta still says PENDING.
 */
export function inviteStatusOf(status: string | undefined, expiresAt: string | undefined, now = Date.now()): InviteStatus {
  const s = (status ?? 'PENDING').toUpperCase();
  if (s === 'EXPIRED') return 'expired';
  if (s === 'DECLINE' || s === 'DECLINED') return 'declined';
  if (s === 'CANCELED' || s === 'CANCELLED') return 'canceled';
  if (s === 'APPROVE' || s === 'ACCEPTED' || s === 'APPROVED') return 'accepted';
  if (expiresAt && Date.parse(graphDate(expiresAt)) < now) return 'expired';
  return 'pending';
}

/** Graph datetimes are `2014-01-07T23:26:09+0000` (https://developers.facebook.com/docs/graph-api/guides/versioning); ISO 8601 wants `+00:00`. */
export function graphDate(value: string): string {
  return value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
}

export function toInvite(raw: RawRoleRequest, now = Date.now()): AppInvite {
  const expires = raw.expiration_time ?? raw.expiry_time;
  return {
    id: String(raw.id),
    email: (raw.email ?? '').toLowerCase(),
    role: (raw.role ?? 'EMPLOYEE').toUpperCase(),
    ...(Array.isArray(raw.tasks) && raw.tasks.length > 0 ? { tasks: raw.tasks.map((t) => t.toUpperCase()) } : {}),
    status: inviteStatusOf(raw.status, expires, now),
    ...(raw.created_time ? { createdAt: new Date(graphDate(raw.created_time)).toISOString() } : {}),
    ...(expires ? { expiresAt: new Date(graphDate(expires)).toISOString() } : {}),
  };
}
