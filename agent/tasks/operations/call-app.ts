import { ConnectorError } from '../../../connectors/sdk/connector-error.ts';
import type { HubConnector } from '../../../connectors/sdk/connector.ts';
import type { ChangeResult } from '../../../connectors/sdk/hub-model.ts';
import type { Operation } from '../../plan/operation.ts';

export interface AppCallResult {
  result: ChangeResult;
  /** The invite's id after invite / reinvite. */
  inviteId?: string;
  /** After invite / reinvite: the email already belongs to this member (no invite was needed). */
  memberId?: string;
  /** After invite / reinvite, for an app that gives invitations no expiry: how long one is taken to last (InviteOutcome). */
  assumedLifetimeMs?: number;
}

function missing(connector: HubConnector, what: string): never {
  throw new ConnectorError('invalid-argument', `${connector.id}: this connector cannot ${what}`);
}

/**
 * Performs one planned operation through the hub's connector. Connector changes are idempotent
 * ("already so" is `already-done`), and Meta's invite first looks for a pending invite of the
 * email (pending_users?email=) unless the attempt is a clean first one (operation-handler.ts), so
 * an attempt repeated after a crash never invites twice. A re-send is told when an earlier attempt
 * of it (the task's, or an unfinished task's of the same change) may have reached the app, from
 * the task records in the store, so a restart or another replica knows it as well.
 */
export async function callApp(c: HubConnector, op: Operation, attempt: { firstAttempt?: boolean; earlierAttemptUnknown?: boolean } = {}): Promise<AppCallResult> {
  switch (op.kind) {
    case 'invite':
      if (!c.invite) missing(c, 'invite');
      return c.invite({ email: op.email, role: op.role, ...(op.assets?.length ? { assets: op.assets } : {}), ...(attempt.firstAttempt ? { firstAttempt: true } : {}) });
    case 'reinvite':
      if (!c.reinvite) missing(c, 're-send invites');
      return c.reinvite({ inviteId: op.inviteId, email: op.email, role: op.role, ...(op.assets?.length ? { assets: op.assets } : {}), ...(attempt.earlierAttemptUnknown ? { earlierAttemptUnknown: true } : {}) });
    case 'change-member-role':
      if (!c.changeMemberRole) missing(c, 'change member roles');
      return { result: await c.changeMemberRole(op.memberId, op.to) };
    case 'change-invite-role':
      if (!c.changeInviteRole) missing(c, 'change invite roles');
      return { result: await c.changeInviteRole(op.inviteId, op.to, ...(op.assets?.length ? [op.assets] : [])) };
    case 'assign-asset':
      if (!c.assignAsset) missing(c, 'assign assets');
      return { result: await c.assignAsset({ asset: op.asset, userId: op.memberId, tasks: op.tasks }) };
    case 'unassign-asset':
      if (!c.unassignAsset) missing(c, 'unassign assets');
      return { result: await c.unassignAsset({ asset: op.asset, userId: op.memberId }) };
    case 'remove-member':
      if (!c.removeMember) missing(c, 'remove members');
      return { result: await c.removeMember(op.memberId) };
    case 'cancel-invite':
      if (!c.cancelInvite) missing(c, 'cancel invites');
      return { result: await c.cancelInvite(op.inviteId) };
  }
}
