import type { InviteAsset } from '../../connectors/sdk/capabilities.ts';
import type { AssetRef } from '../../connectors/sdk/hub-model.ts';
import { inviteRowId } from '../standing/row-ids.ts';

/**
 * What the plan asks the app to do. `effect` drives safety: grants and
 * upgrades go at once; downgrades wait the settle window; removals also need a complete listing,
 * the removal threshold and, for deprovisioning, maybe an owner's report (agent/safety).
 */
export type OperationEffect = 'grant' | 'upgrade' | 'downgrade' | 'removal';

/**
 * Why: `assigned` (the directory grants it), `group-change` (another team now applies),
 * `unassigned` (active, but no mapped group and no default team), `deactivated`, `deleted`
 * (the IdP deprovisioned the person), `expired-invite`.
 */
export type OperationReason = 'assigned' | 'group-change' | 'unassigned' | 'deactivated' | 'deleted' | 'expired-invite';

interface Base {
  /** Stable within a hub: the task's idempotency key is `${hubId}:${key}`. */
  key: string;
  summary: string;
  effect: OperationEffect;
  reason: OperationReason;
  email?: string;
  directoryUserId?: string;
  grantedBy?: string[];
}

export type Operation =
  | (Base & { kind: 'invite'; email: string; role: string; assets?: InviteAsset[] })
  | (Base & { kind: 'change-member-role'; memberId: string; from: string; to: string })
  | (Base & { kind: 'change-invite-role'; inviteId: string; from: string; to: string; assets?: InviteAsset[] })
  | (Base & { kind: 'assign-asset'; memberId: string; asset: AssetRef; tasks: string[]; from?: string[] })
  | (Base & { kind: 'unassign-asset'; memberId: string; asset: AssetRef; from: string[] })
  | (Base & { kind: 'remove-member'; memberId: string; role: string })
  | (Base & { kind: 'cancel-invite'; inviteId: string })
  | (Base & { kind: 'reinvite'; inviteId: string; email: string; role: string; resendCount: number; assets?: InviteAsset[] });

export type OperationKind = Operation['kind'];

/** An operation the plan held back, and why (shown by `hubwarden plan` and in the audit log). */
export interface HeldOperation {
  operation: Operation;
  why: string;
}

export interface PlanResult {
  operations: Operation[];
  held: HeldOperation[];
}

/** The member row id the operation acts on (app member id, or `invite:<id>`). */
export function memberRowOf(op: Operation): string | undefined {
  switch (op.kind) {
    case 'invite': return undefined;
    case 'change-invite-role': case 'cancel-invite': case 'reinvite': return inviteRowId(op.inviteId);
    default: return op.memberId;
  }
}
