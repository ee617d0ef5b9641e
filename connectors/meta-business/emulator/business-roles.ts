/** Business roles and tasks: one enum for role and tasks everywhere (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user). */
import { invalidParameter } from './graph-error.ts';
import { checkTaskNames } from './task-bundles.ts';
import { listParam, type GraphParams } from './request-params.ts';

export const BUSINESS_ROLES = [
  'FINANCE_EDITOR', 'FINANCE_ANALYST', 'ADS_RIGHTS_REVIEWER', 'ADMIN', 'EMPLOYEE', 'DEVELOPER', 'PARTNER_CENTER_ADMIN',
  'PARTNER_CENTER_ANALYST', 'PARTNER_CENTER_OPERATIONS', 'PARTNER_CENTER_MARKETING', 'PARTNER_CENTER_EDUCATION',
  'MANAGE', 'DEFAULT', 'FINANCE_EDIT', 'FINANCE_VIEW',
] as const;

export function roleParam(params: GraphParams): string | undefined {
  const role = params.role;
  if (role === undefined || role === null || role === '') return undefined;
  const text = String(role);
  if (!(BUSINESS_ROLES as readonly string[]).includes(text)) {
    throw invalidParameter(`Param role must be one of {${BUSINESS_ROLES.join(', ')}} - got "${text}"`);
  }
  return text;
}

export function businessTasksParam(params: GraphParams): string[] | undefined {
  const tasks = listParam(params, 'tasks');
  return tasks === undefined ? undefined : checkTaskNames(tasks, BUSINESS_ROLES);
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export function emailParam(params: GraphParams, name = 'email'): string | undefined {
  const email = params[name];
  if (email === undefined || email === null || email === '') return undefined;
  const text = String(email).trim();
  if (!EMAIL.test(text)) throw invalidParameter(`Param ${name} must be a valid email address - got "${text}"`);
  return text;
}
