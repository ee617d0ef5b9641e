/**
 * Who or what asked for a change. Every task and audit entry carries one.
 */
export interface Trigger {
  type: 'scim' | 'schedule' | 'admin' | 'cli' | 'okta-event-hook' | 'okta-workflows' | 'entra-lifecycle' | 'agent' | 'dashboard' | 'config';
  /** The identity provider (config key) for SCIM pushes and hooks. */
  idp?: string;
  /** Who: admin token label, signed-in email, Okta actor, hook event id… */
  actor?: string;
  /** Free text: the hook event uuid, the LCW task id, the cron expression. */
  detail?: string;
  /**
   * Why the person who asked asked (`--reason`, the admin API's `reason`): one line of plain text,
   * at most 500 characters (scim-server/admin/request-schemas.ts). It travels with the trigger into
   * the tasks it queues, so every audit entry the request causes states it (audit-log.ts).
   */
  reason?: string;
  /**
   * The hubs an admin token scoped to some hubs may act on (`server.adminTokens[].hubs`); absent:
   * every hub. It travels into the tasks the request queues, so a person-wide action (offboard,
   * re-evaluate) acts on these hubs only (dispatch/find-person.ts hubsOfTrigger), and its audit
   * entries say the scope.
   */
  hubs?: string[];
}

/**
 * What a SCIM request changed in the desired state, made explicit (a PATCH or PUT hands us the
 * patched record; the planner needs the delta: who joined, who left).
 */
export type DirectoryChange =
  | { kind: 'user-created'; userId: string }
  | { kind: 'user-updated'; userId: string; attributes: string[] }
  | { kind: 'user-activated'; userId: string }
  | { kind: 'user-deactivated'; userId: string }
  /**
   * `created`: the deleted user's creation time (RFC 7643 §3.1 `meta.created`), kept with the
   * deletion (departed-user.ts); absent on entries written before it was carried.
   */
  | { kind: 'user-deleted'; userId: string; userName: string; emails: string[]; created?: string }
  | { kind: 'group-created'; groupId: string; displayName: string; members: string[] }
  | { kind: 'group-renamed'; groupId: string; from: string; to: string; members: string[] }
  | { kind: 'group-members'; groupId: string; displayName: string; added: string[]; removed: string[] }
  | { kind: 'group-deleted'; groupId: string; displayName: string; members: string[] };

export interface DesiredStateDelta {
  hubId: string;
  trigger: Trigger;
  changes: DirectoryChange[];
}
