import { isConnectorError } from '../../../connectors/sdk/connector-error.ts';
import { redactText } from '../../log/logger.ts';
import type { Operation } from '../../plan/operation.ts';
import type { TaskAuditInput } from '../handler.ts';
import { subjectOf } from './audit-subject.ts';

/**
 * The audit entry for an app change whose call went out and whose answer was lost (a timeout, a
 * connection dropped after sending, a 5xx: a ConnectorError of kind `unavailable` not marked
 * `notApplied`), written when
 * it happens, with outcome `unknown`: the app may hold the change. Before, nothing was written
 * until the task settled; a process that stopped for good in between (or a task that never ran
 * again) left the log without a word of a change the app may have made, such as an invite or a
 * removal sent to the app.
 *
 * Buffered with the attempt's other entries (TaskContext.audit), so it is written in the
 * transaction that records the attempt's end, only by the runner that still holds the attempt's
 * lease (attempt.ts `recordAttemptIn`): another replica that took the task over, or an end
 * recorded twice (end-batch.ts), writes none. An attempt that ends the task (it gave up) writes
 * none either: its `failed` entry counts the attempts of unknown outcome (`attemptsOutcomeUnknown`).
 * Undefined for an error the app answered with (refused: `notApplied`) or that is no connector's.
 */
export function lostAnswerAudit(op: Operation, err: unknown, attempt: number): TaskAuditInput | undefined {
  // Only `unavailable` is an answer that tells nothing (a timeout, a dropped connection, a 5xx, a
  // 200 no one can read). A throttle (`rate-limited`: Meta's codes 4/17/32/613/80000–80014,
  // https://developers.facebook.com/docs/graph-api/overview/rate-limiting; TikTok's 40100) and
  // every other kind are the app's own answer that it did not act, even where a connector leaves
  // them unmarked and the retry looks first anyway: audited as lost, a throttled burst would write
  // an `unknown` warning per person, each saying an answer was lost that the app gave.
  if (!isConnectorError(err) || err.notApplied || err.kind !== 'unavailable') return undefined;
  // A connector's invite looks for an invitation at the email unless the caller vouches for a clean
  // first attempt (capabilities.ts `firstAttempt`), which this one's retry is not; a re-send is
  // told that an earlier attempt may have reached the app. Every other change is idempotent: the
  // app answers one made already as already done (ChangeResult `already-done`).
  const next = op.kind === 'invite' || op.kind === 'reinvite'
    ? 'the next attempt looks the app up first and does not send it twice'
    : 'the next attempt sends it again, which the app answers as already done if it holds it';
  return {
    action: op.kind, subject: subjectOf(op), outcome: 'unknown',
    why: `${op.summary} (${op.reason}): sent to the app, its answer lost (${redactText(err.message)}), so the app may have made the change; ${next}. Until an entry for this task says what became of it, check the app`,
    detail: { effect: op.effect, reason: op.reason, attempt, kind: err.kind, outcomeUnknown: true },
  };
}

/**
 * Whether an attempt's `unknown` entries are written: only when the task runs again (its retry
 * settles what the lost answer left open). A task that gave up says it in its `failed` entry.
 */
export function writesUnknown(runsAgain: boolean, entry: Pick<TaskAuditInput, 'outcome'>): boolean {
  return entry.outcome !== 'unknown' || runsAgain;
}
