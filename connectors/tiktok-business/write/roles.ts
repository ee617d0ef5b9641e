import { ConnectorError } from '../../sdk/connector-error.ts';

/** Basic Business Center roles (`user_role`), highest first; finance roles are never touched. */
export const BC_ROLES = ['ADMIN', 'STANDARD'] as const;

export function assertRole(role: string, what: string): void {
  if (!(BC_ROLES as readonly string[]).includes(role)) {
    throw new ConnectorError('invalid-argument', `${what}: invalid-argument (role): "${role}" is not one of ${BC_ROLES.join(', ')}`, { field: 'role', notApplied: true });
  }
}
