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

export function toMember(raw: RawBusinessUser): AppMember {
  return {
    id: String(raw.id),
    ...(raw.email ? { email: raw.email.toLowerCase() } : {}),
    ...(raw.name ? { name: raw.name } : {}),
    // The edge's `role` holds only the base role (ADMIN or EMPLOYEE, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users).
    role: (raw.role ?? 'EMPLOYEE').toUpperCase(),
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
