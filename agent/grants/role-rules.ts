import { connectorById } from '../../connectors/registry.ts';
import { compareRoles, isAdminRole, type ConnectorDefinition } from '../../connectors/sdk/connector.ts';

/**
 * How a hub's app weighs roles and combines asset grants: the connector definition's knowledge
 * (`roles`, `assetTypes`), in the shape the grant computation and the plan use.
 */
export interface RoleRules {
  /** > 0 when app role `a` outranks `b`. */
  compareRoles(a: string, b: string): number;
  /**
   * Does the app's ranking know `role`? An app may report a role value its ranking does not list
   * (compareRoles weighs it lowest): a change away from it is not known to be an upgrade.
   */
  ranks(role: string): boolean;
  /** Is `role` the hub's admin role (the last holder is never removed or demoted)? */
  isAdmin(role: string | undefined): boolean;
  /** Does an admin reach every asset without an assignment (the connector's `roles.adminReachesAllAssets`)? For the views only; the plan does not read it. */
  adminReachesAllAssets?: boolean;
  /** The roles a team may give (the config's `appRole` values): what a seat may be changed to. */
  assignable: readonly string[];
  /** The access (permission names) a team's grant on an asset of `type` gives. */
  accessOf(type: string, grant: Record<string, unknown>): string[];
  /** Several teams' access on one asset as one; throws with a reason when nothing covers them. */
  combine(type: string, accesses: string[][]): string[];
}

export function roleRulesOf(definition: ConnectorDefinition): RoleRules {
  const typeRules = (type: string) => {
    const rules = definition.assetTypes[type];
    if (!rules) throw new Error(`${definition.id}: unknown asset type "${type}"`);
    return rules;
  };
  return {
    compareRoles: (a, b) => compareRoles(definition.roles, a, b),
    ranks: (role) => definition.roles.ranking.some((r) => r.toUpperCase() === role.toUpperCase()),
    isAdmin: (role) => isAdminRole(definition.roles, role),
    adminReachesAllAssets: definition.roles.adminReachesAllAssets === true,
    assignable: definition.roles.assignable,
    accessOf: (type, grant) => typeRules(type).accessOf(grant),
    combine: (type, accesses) => typeRules(type).combine(accesses),
  };
}

/** The rules of the connector a hub names (`connector:`); the config schema guarantees it exists. */
export function roleRulesOfHub(hub: { id: string; connector: string }): RoleRules {
  const definition = connectorById(hub.connector);
  if (!definition) throw new Error(`hub ${hub.id}: unknown connector "${hub.connector}"`);
  return roleRulesOf(definition);
}
