import type { JWTPayload } from 'jose';
import { GRAPH_ERRORS } from './graph-error.ts';

/**
 * Application permissions (the token's `roles`) each call needs, per the permission tables of
 * "Get user", "Update user", "List extensionProperties" and "Create extensionProperty"
 * (https://learn.microsoft.com/graph/api/user-update,
 * https://learn.microsoft.com/graph/api/application-post-extensionproperty):
 * least privileged first. Application.ReadWrite.OwnedBy reaches only apps the caller owns. The
 * Lifecycle Workflows resume needs none for the apps the extension authorizes.
 */
export const USER_READ = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
export const USER_WRITE = ['User.ReadWrite.All', 'Directory.ReadWrite.All'];
const APPLICATION_READ = ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const APPLICATION_WRITE = ['Application.ReadWrite.All'];

export function rolesOf(caller: JWTPayload): string[] {
  return Array.isArray(caller.roles) ? (caller.roles as unknown[]).filter((r): r is string => typeof r === 'string') : [];
}

export function requireRole(caller: JWTPayload, anyOf: string[]): void {
  if (!rolesOf(caller).some((r) => anyOf.includes(r))) throw GRAPH_ERRORS.forbidden();
}

export function requireApplicationPermission(caller: JWTPayload, app: { owners: string[] }, access: 'read' | 'write'): void {
  const roles = rolesOf(caller);
  if (roles.some((r) => (access === 'read' ? APPLICATION_READ : APPLICATION_WRITE).includes(r))) return;
  if (roles.includes('Application.ReadWrite.OwnedBy') && typeof caller.appid === 'string' && app.owners.includes(caller.appid)) return;
  throw GRAPH_ERRORS.forbidden();
}
