import type { AppMember, AppSystemUser } from '../../sdk/hub-model.ts';

/** Pure mappers for people (Nango style). Graph shapes: https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users BusinessUser, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/system_users SystemUser. */

export interface RawBusinessUser {
  id: string;
  name?: string;
  email?: string;
  role?: string;
  tasks?: string[];
  business_role_request?: { id?: string };
}

/**
 * Add-on business roles a team may give (definition.ts), highest rank first (task-bundles.ts
 * ROLE_RANK). They share the role/tasks enum (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user).
 */
export const ADD_ON_ROLES = ['FINANCE_EDITOR', 'FINANCE_ANALYST', 'DEVELOPER', 'ADS_RIGHTS_REVIEWER'] as const;

/**
 * A member's role as hubwarden names it. `role` on the `business_users` edge reports only the base
 * role, Admin or Employee (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users); `tasks` carries base access plus add-ons such as
 * finance and developer. So a base EMPLOYEE whose tasks hold an add-on role is that add-on (the
 * highest when several): a member given FINANCE_EDITOR reads back FINANCE_EDITOR, not EMPLOYEE.
 * FINANCE_EDIT, FINANCE_VIEW and finance_permission have no documented meaning and are not mapped
 * (README [INF]).
 */
export function memberRole(raw: { role?: string; tasks?: string[] }): string {
  const base = (raw.role ?? 'EMPLOYEE').toUpperCase();
  if (base === 'ADMIN') return base;
  const tasks = new Set((Array.isArray(raw.tasks) ? raw.tasks : []).map((t) => String(t).toUpperCase()));
  return ADD_ON_ROLES.find((r) => tasks.has(r)) ?? base;
}

export function toMember(raw: RawBusinessUser): AppMember {
  return {
    id: String(raw.id),
    ...(raw.email ? { email: raw.email.toLowerCase() } : {}),
    ...(raw.name ? { name: raw.name } : {}),
    role: memberRole(raw),
    ...(Array.isArray(raw.tasks) && raw.tasks.length > 0 ? { tasks: raw.tasks.map((t) => t.toUpperCase()) } : {}),
    ...(raw.business_role_request?.id ? { inviteId: String(raw.business_role_request.id) } : {}),
  };
}

export interface RawSystemUser {
  id: string;
  name?: string;
  role?: string;
}

export function toSystemUser(raw: RawSystemUser): AppSystemUser {
  return { id: String(raw.id), ...(raw.name ? { name: raw.name } : {}), role: (raw.role ?? 'EMPLOYEE').toUpperCase() };
}
