import { ConnectorError, markedNotApplied } from '../../sdk/connector-error.ts';

/**
 * Error kinds that are Graph refusing a write (an error answer: https://developers.facebook.com/docs/graph-api/guides/error-handling),
 * including a throttle (https://developers.facebook.com/docs/graph-api/overview/rate-limiting): the
 * call was not carried out. A timeout or a server error (`unavailable`) may have landed, so it is
 * never among them.
 */
const REFUSALS = new Set(['invalid-argument', 'unauthenticated', 'permission-denied', 'not-found', 'conflict', 'rate-limited']);

/**
 * `err`, marked not applied (ConnectorError.notApplied) when nothing reached the app: it came
 * before the write was sent (`sent` false), or the write was refused. The agent then knows the
 * attempt made nothing (TaskRecord.attemptsRefused): no invite to settle, no grant to own.
 */
export function notAppliedUnlessSent(err: unknown, sent: boolean): unknown {
  return err instanceof ConnectorError && (!sent || REFUSALS.has(err.kind)) ? markedNotApplied(err) : err;
}
