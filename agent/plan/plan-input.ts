import type { HubConfigFile } from '../../config/schema.ts';
import type { AssetRef } from '../../connectors/sdk/hub-model.ts';
import '../app-state/records.ts';
import '../dispatch/departed-user.ts';
import { grantsOfHub } from '../grants/effective-grant.ts';
import type { RoleRules } from '../grants/role-rules.ts';
import { collect, type ReadView } from '../store/store.ts';
import type { PlanActual, PlanDesired } from './plan.ts';

/** The hub's desired state as the plan wants it, read from the store (the whole hub). */
export async function desiredOf(view: ReadView, hub: HubConfigFile, rules: RoleRules): Promise<PlanDesired> {
  const managed = new Map<string, AssetRef>();
  for (const t of hub.teams) for (const a of t.assets) managed.set(`${a.type}:${a.id}`, { type: a.type, id: a.id });
  const grants = await grantsOfHub(view, hub, rules);
  const departed: PlanDesired['departed'] = [];
  for await (const d of view.list('departedUsers', hub.id)) departed.push({ directoryUserId: d.directoryUserId, emails: d.emails });
  return { hubId: hub.id, grants, departed, managedAssets: [...managed.values()] };
}

/** The hub's app snapshot as the plan wants it (the whole hub). */
export async function actualOf(view: ReadView, hubId: string): Promise<PlanActual> {
  return {
    complete: (await view.get('appImports', hubId, hubId))?.complete === true,
    members: await collect(view.list('appMembers', hubId)),
    invites: await collect(view.list('appInvites', hubId)),
    systemUsers: await collect(view.list('appSystemUsers', hubId)),
    assignments: await collect(view.list('appAssignments', hubId)),
    matches: await collect(view.list('memberMatches', hubId)),
    exemptions: await collect(view.list('exemptions', hubId)),
  };
}
