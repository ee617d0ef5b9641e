import { ConnectorError } from '../sdk/connector-error.ts';
import { toConnectorError, type GraphErrorContext } from './graph-errors.ts';

/**
 * What a Graph answer says about the call (https://developers.facebook.com/docs/graph-api/guides/error-handling,
 * write responses on each reference page). Meta's Python SDK reads "any body with an `error` key"
 * as a failure (FacebookResponse.is_success), whatever that key holds: an `error` that is no
 * envelope object (a string, `null`) answered with 200 passed for a success, and a write so
 * answered was recorded as made.
 */
export function hasErrorKey(body: unknown): boolean {
  return !!body && typeof body === 'object' && !Array.isArray(body) && 'error' in body;
}

/**
 * A write's answer (POST or DELETE): a POST that creates answers `{"id": "<numeric string>"}`, one
 * that updates or associates, and a DELETE, `{"success": true}`
 * (https://developers.facebook.com/docs/graph-api/reference, each page's "Return Type"); an empty
 * 200 counts as success (Meta's Python SDK, FacebookResponse.is_success). Anything else says not
 * that the change was made: `"success"` other than `true` (`false`, `"false"`, `null`), no body
 * but text that is no JSON, JSON that is no object, an object with neither `success` nor an `id`
 * (README [INF], the strict reading). Taken for success it would record a change never made (a
 * removal that left the person in place), so it is `unavailable`, outcome unknown: the task's
 * retry reads the state again before it writes.
 */
export function writeAnswered(body: unknown, text: string | undefined, ctx: GraphErrorContext): unknown {
  if (body === undefined && (text ?? '').trim() === '') return body;
  const b = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  if (b && 'success' in b) {
    if (b.success === true) return body;
    throw new ConnectorError('unavailable', `${ctx.what}: Graph answered "success": ${JSON.stringify(b.success) ?? 'undefined'} without an error; the change may not have been made`, { providerCode: 'success-false' });
  }
  if (b && ((typeof b.id === 'string' && b.id !== '') || typeof b.id === 'number')) return body;
  const shape = b ? 'an object with neither "success": true nor an id' : body === undefined ? 'a body that is not JSON' : `JSON that is not an object (${Array.isArray(body) ? 'a list' : typeof body})`;
  throw new ConnectorError('unavailable', `${ctx.what}: Graph answered the write with ${shape}; the change may not have been made`, { providerCode: 'write-unanswered' });
}

/**
 * `{"success": false}` on any answer: Graph did not do it and says not why (README [INF]). A read
 * answered so has no data either.
 */
export function notRefused(body: unknown, ctx: GraphErrorContext): unknown {
  if (body && typeof body === 'object' && !Array.isArray(body) && (body as { success?: unknown }).success === false) {
    throw new ConnectorError('unavailable', `${ctx.what}: Graph answered "success": false without an error; the change may not have been made`, { providerCode: 'success-false' });
  }
  return body;
}

/**
 * A failed GET op worth re-sending in the batch's next round: HTTP 5xx, or an answer the one
 * error table reads as `unavailable` (1, 2, a code it does not know flagged `is_transient`). Not 341:
 * an app-level limit like 4 (graph-errors.ts), which a call at once would only extend.
 */
export function isTransient(result: { status: number; body: unknown }, businessId: string): boolean {
  if (result.status >= 500) return true;
  if (result.status < 300 && !hasErrorKey(result.body)) return false;
  return toConnectorError({ status: result.status, body: result.body }, { what: '', businessId }).kind === 'unavailable';
}
