import { ConnectorError } from '../../sdk/connector-error.ts';
import type { AppMember, AppSystemUser } from '../../sdk/hub-model.ts';
import { what } from '../meta-context.ts';
import { idOf } from './required.ts';

/** Pure mappers for people (Nango style). Graph shapes: https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users BusinessUser, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/system_users SystemUser. */

export interface RawBusinessUser {
  id: string;
  name?: string;
  email?: string;
  role?: string;
  tasks?: string[];
  finance_permission?: string;
  business_role_request?: { id?: string; email?: string };
  marked_for_removal?: boolean | string;
}

/**
 * Add-on business roles a team may give (definition.ts), highest rank first (task-bundles.ts
 * ROLE_RANK). They share the role/tasks enum (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user).
 */
export const ADD_ON_ROLES = ['FINANCE_EDITOR', 'FINANCE_ANALYST', 'DEVELOPER', 'ADS_RIGHTS_REVIEWER'] as const;

/**
 * `finance_permission` values and the add-on role each means. The BusinessUser reference lists the
 * field with values such as EDITOR and ANALYST
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user);
 * a business may report a finance role there rather than in `tasks` (README [INF]).
 */
const FINANCE_PERMISSION_ROLES: Record<string, string> = { EDITOR: 'FINANCE_EDITOR', ANALYST: 'FINANCE_ANALYST' };

/**
 * A member's role as hubwarden names it. `role` on the `business_users` edge reports only the base
 * role, Admin or Employee (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users); `tasks` carries base access plus add-ons such as
 * finance and developer, and a finance role may instead (or also) show as `finance_permission`.
 * So a base EMPLOYEE holding an add-on role in either place is that add-on (the highest when
 * several): a member given FINANCE_EDITOR reads back FINANCE_EDITOR, not EMPLOYEE, whichever of the
 * two fields Meta fills, and a repeated change is already-done instead of a change loop. ADMIN
 * wins over any add-on. FINANCE_EDIT and FINANCE_VIEW have no documented meaning and are not mapped
 * (README [INF]).
 */
export function memberRole(raw: { role: string; tasks?: string[]; finance_permission?: string }): string {
  const base = raw.role.toUpperCase();
  if (base === 'ADMIN') return base;
  const held = new Set((Array.isArray(raw.tasks) ? raw.tasks : []).map((t) => String(t).toUpperCase()));
  // An add-on in `role` itself (an invite's role holds any role of the enum; a Graph may so report
  // a member too) counts with those in tasks: FINANCE_ANALYST in role and DEVELOPER in tasks is
  // FINANCE_ANALYST, the higher, not whichever field happens to hold an add-on.
  if ((ADD_ON_ROLES as readonly string[]).includes(base)) held.add(base);
  const finance = typeof raw.finance_permission === 'string' ? FINANCE_PERMISSION_ROLES[raw.finance_permission.toUpperCase()] : undefined;
  if (finance) held.add(finance);
  return ADD_ON_ROLES.find((r) => held.has(r)) ?? base;
}

/**
 * The `role` Graph answered for a person or an invite, or a ConnectorError naming them. `role` is a
 * default field of the `business_users` and `system_users` edges and of a BusinessRoleRequest, and
 * the connector asks for it by name wherever it uses it (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users,
 * .../business/system_users, https://developers.facebook.com/docs/marketing-api/reference/business-role-request/),
 * so an answer without it is malformed.
 * The hub model has no "role unknown", and any role put in its place misleads: taken as EMPLOYEE,
 * an admin reads as already at EMPLOYEE (never demoted), a change to a finance role is planned as
 * an upgrade and runs at once, and a removal skips the last-admin check; an unranked placeholder
 * would still plan a change from a role the person may not hold. So the answer is not used: the
 * listing (or the read before a change) fails as `unavailable`, nothing is decided from it, and the
 * retry reads again (README [INF]). The message names the id only, never the request or a token.
 */
export function roleOf(raw: { id?: unknown; role?: unknown }, who: 'business user' | 'system user' | 'invite', details: { notApplied?: boolean } = {}): string {
  if (typeof raw.role === 'string' && raw.role.trim() !== '') return raw.role.trim();
  throw new ConnectorError('unavailable', what(`${who} ${String(raw.id ?? '(no id)')}: Graph answered it without its role (a default field, asked for by name); its role is unknown, so nothing is decided from this answer`), {
    providerCode: 'role-missing', ...details,
  });
}

/**
 * A business user's `email` as the connector keeps it: trimmed and lower-cased, as an invite's
 * (mappers/required.ts `textOf`); blank is no email (matched by id only). Meta's field table gives
 * `email` as a plain string (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user)
 * and says nothing of its form: kept as answered, a row's surrounding blanks showed in every
 * summary, audit subject and members-table row about the person (README [INF]).
 */
function memberEmail(raw: { email?: unknown }): string | undefined {
  return typeof raw.email === 'string' && raw.email.trim() !== '' ? raw.email.trim().toLowerCase() : undefined;
}

export function toMember(raw: RawBusinessUser): AppMember {
  const email = memberEmail(raw);
  return {
    id: idOf(raw, 'business user'),
    ...(email ? { email } : {}),
    ...(raw.name ? { name: raw.name } : {}),
    role: memberRole({ ...raw, role: roleOf(raw, 'business user') }),
    ...(Array.isArray(raw.tasks) && raw.tasks.length > 0 ? { tasks: raw.tasks.map((t) => t.toUpperCase()) } : {}),
    ...(raw.business_role_request?.id ? { inviteId: String(raw.business_role_request.id) } : {}),
    ...(typeof raw.business_role_request?.email === 'string' && raw.business_role_request.email.trim() !== '' ? { invitedEmail: raw.business_role_request.email.trim().toLowerCase() } : {}),
    ...(markedForRemoval(raw) ? { removalPending: true } : {}),
  };
}

/**
 * BusinessUser `marked_for_removal` (a bool in the BusinessUser field table,
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user).
 * Meta does not say what it means beyond its name; the strict reading (README [INF]) is a seat on
 * its way out: not one to count on (the last admin, a seat kept), not one to remove or invite again.
 */
export function markedForRemoval(raw: { marked_for_removal?: boolean | string }): boolean {
  return raw.marked_for_removal === true || String(raw.marked_for_removal).toLowerCase() === 'true';
}

export interface RawSystemUser {
  id: string;
  name?: string;
  role?: string;
}

export function toSystemUser(raw: RawSystemUser): AppSystemUser {
  return { id: idOf(raw, 'system user'), ...(raw.name ? { name: raw.name } : {}), role: roleOf(raw, 'system user').toUpperCase() };
}
