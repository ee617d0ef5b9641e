import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { compareRoles, unionTasks } from '../../connectors/meta-business/task-bundles.ts';
import type { AssetType } from '../../connectors/sdk/hub-model.ts';

/** How the app weighs roles and combines asset tasks (a connector's knowledge, issue 4 item 1). */
export interface RoleRules {
  compareRoles(a: string, b: string): number;
  unionTasks(type: AssetType, bundles: string[][]): string[];
}

/** Meta Business Manager's rules (connectors/meta-business/task-bundles.ts). */
export const META_ROLE_RULES: RoleRules = { compareRoles, unionTasks };

/** The connector's own rules where it has them, Meta's otherwise (the only app so far). */
export function roleRulesOf(connector: HubConnector | undefined): RoleRules {
  return {
    compareRoles: connector?.compareRoles?.bind(connector) ?? META_ROLE_RULES.compareRoles,
    unionTasks: connector?.unionTasks?.bind(connector) ?? META_ROLE_RULES.unionTasks,
  };
}
