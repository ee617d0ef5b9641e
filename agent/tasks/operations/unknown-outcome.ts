import type { HubConnector } from '../../../connectors/sdk/connector.ts';
import type { Operation } from '../../plan/operation.ts';
import type { TaskRecord } from '../task-record.ts';
import { earlierAttemptUnknown } from './unsettled-invites.ts';
import { removalLooksUp } from './settle-removal.ts';

/** What an audit entry adds when an earlier attempt of its task may have made the change. */
export interface UnknownNote { note: string; detail: { earlierAttemptUnknown: true } }

/**
 * Whether the task's own look-up settles an earlier attempt of unknown outcome before it ends as
 * not done (settle-invite.ts `settleOwnInvite`, settle-removal.ts `settleOwnRemoval`): then what it
 * found is what the entry says, and an entry that still says "not done" is true.
 */
function settledByLookUp(op: Operation, connector: HubConnector | undefined): boolean {
  if (op.kind === 'invite') return !!connector?.readPerson;
  return (op.kind === 'remove-member' || op.kind === 'cancel-invite') && removalLooksUp(op, connector);
}

/**
 * For a change this attempt does not make (no longer planned, stopped by an exemption, held for
 * the last admin): an earlier attempt of the task may have made it (its answer lost, its process
 * stopped mid-call), and nothing looked the app up. Audited as a plain "not done", a grant or a
 * role change the app had applied was in the person's trail as never made. Undefined when no
 * earlier attempt may have reached the app, or when a look-up settled it.
 */
export function notDoneMayHaveBeenMade(task: Readonly<TaskRecord>, op: Operation, connector: HubConnector | undefined): UnknownNote | undefined {
  if (!earlierAttemptUnknown(task) || settledByLookUp(op, connector)) return undefined;
  return { note: '; an earlier attempt\'s outcome is unknown (its answer was lost or it was cut off), so the app may hold the change: the next check for updates records what it holds', detail: { earlierAttemptUnknown: true } };
}

/**
 * For a change the app already had (`already-done`): after an earlier attempt of unknown outcome,
 * that attempt may be what made it. Audited as the app's own state alone, a change hubwarden made
 * read as one someone else had made.
 */
export function alreadyDoneMayBeOurs(task: Readonly<TaskRecord>): UnknownNote | undefined {
  if (!earlierAttemptUnknown(task)) return undefined;
  return { note: '; an earlier attempt, whose outcome was unknown (its answer was lost or it was cut off), may have made it', detail: { earlierAttemptUnknown: true } };
}
