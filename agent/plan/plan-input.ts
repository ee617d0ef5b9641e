import type { HubConfigFile } from '../../config/schema.ts';
import type { AssetRef } from '../../connectors/sdk/hub-model.ts';
import '../app-state/records.ts';
import '../dispatch/departed-user.ts';
import { grantsOfHub } from '../grants/effective-grant.ts';
import type { RoleRules } from '../grants/role-rules.ts';
import type { ReadView } from '../store/store.ts';
import type { PlanActual, PlanDesired } from './plan.ts';

/** The hub's desired state as the plan wants it, read from the store. */
export function desiredOf(view: ReadView, hub: HubConfigFile, rules: RoleRules): PlanDesired {
  const managed = new Map<string, AssetRef>();
  for (const t of hub.teams) for (const a of t.assets) managed.set(`${a.type}:${a.id}`, { type: a.type, id: a.id });
  return {
    hubId: hub.id,
    grants: grantsOfHub(view, hub, rules),
    departed: [...view.list('departedUsers', hub.id)].map((d) => ({ directoryUserId: d.directoryUserId, emails: d.emails })),
    managedAssets: [...managed.values()],
  };
}

/** The hub's app snapshot as the plan wants it. */
export function actualOf(view: ReadView, hubId: string): PlanActual {
  return {
    complete: view.get('appImports', hubId, hubId)?.complete === true,
    members: [...view.list('appMembers', hubId)],
    invites: [...view.list('appInvites', hubId)],
    systemUsers: [...view.list('appSystemUsers', hubId)],
    assignments: [...view.list('appAssignments', hubId)],
    matches: [...view.list('memberMatches', hubId)],
    exemptions: [...view.list('exemptions', hubId)],
  };
}
