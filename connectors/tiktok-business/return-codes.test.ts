import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toConnectorError } from './tiktok-errors.ts';
import { decideRetry } from '../../agent/tasks/retry-policy.ts';

/**
 * Every return code TikTok documents ("Return codes", https://business-api.tiktok.com/portal/docs?id=1737172488964097;
 * names from the official Python SDK's tiktok_code.py; "Rate limits",
 * https://business-api.tiktok.com/portal/docs/rate-limits/v1.3), answered to a write, as the
 * connector classifies it and as the task queue then acts: `wait-rate-limit` and `backoff` run the
 * task again later, `pause-hub` stops the hub's writes until access is fixed, `fail` ends the task
 * (audited, in hub health). `notApplied`: TikTok changed nothing, so a retry may send the write
 * again; without it (20001, HTTP 5xx) the retry reads first.
 */
type Row = [code: number | string, kind: string, action: string, notApplied: boolean];
const env = (code: number) => ({ status: 200, body: { code, message: 'm', request_id: 'r1', data: {} } });

const TABLE: Row[] = [
  // partially successful: the outcome is unknown, re-read before any retry
  [20001, 'unavailable', 'backoff', false],
  // parameters (40006: this call's parameters in this version), sandbox: permanent for the task (a bug or config)
  [40000, 'invalid-argument', 'fail', true], [40002, 'invalid-argument', 'fail', true], [40006, 'invalid-argument', 'fail', true],
  [40008, 'invalid-argument', 'fail', true], [40009, 'invalid-argument', 'fail', true],
  [40011, 'invalid-argument', 'fail', true], [40013, 'invalid-argument', 'fail', true], [40014, 'invalid-argument', 'fail', true],
  [41001, 'invalid-argument', 'fail', true], [41002, 'invalid-argument', 'fail', true],
  // the hub's version or host (the request URL every call shares): the hub pauses once, naming the key (README [INF] #67)
  [40010, 'permission-denied', 'pause-hub', true], [40051, 'permission-denied', 'pause-hub', true],
  // access: stop writing to the hub and report
  [40001, 'permission-denied', 'pause-hub', true], [40113, 'permission-denied', 'pause-hub', true], [40118, 'permission-denied', 'pause-hub', true],
  [40119, 'permission-denied', 'pause-hub', true], [40125, 'permission-denied', 'pause-hub', true], [40130, 'permission-denied', 'pause-hub', true],
  [41000, 'permission-denied', 'pause-hub', true],
  // the token: re-authorize, the hub is blocked
  [40101, 'unauthenticated', 'pause-hub', true], [40102, 'unauthenticated', 'pause-hub', true], [40104, 'unauthenticated', 'pause-hub', true],
  [40105, 'unauthenticated', 'pause-hub', true], [40106, 'unauthenticated', 'pause-hub', true],
  // the object does not exist (40007: callers turn it into already-done on a delete or unassign, write/gone.ts); a wrong ad account id
  [40007, 'not-found', 'fail', true], [40300, 'not-found', 'fail', true], [40301, 'not-found', 'fail', true],
  // a duplicate request: re-read (the writers do), then try again
  [40050, 'conflict', 'backoff', true],
  // too frequent: wait, then retry the same call (app scope)
  [40100, 'rate-limited', 'wait-rate-limit', true], [40016, 'rate-limited', 'wait-rate-limit', true],
  [40132, 'rate-limited', 'wait-rate-limit', true], [40133, 'rate-limited', 'wait-rate-limit', true],
  [61000, 'rate-limited', 'wait-rate-limit', true], [60001, 'rate-limited', 'wait-rate-limit', true],
  // write conflict and service errors: retry with backoff
  [40202, 'unavailable', 'backoff', true], [50000, 'unavailable', 'backoff', true], [50002, 'unavailable', 'backoff', true],
  [51060, 'unavailable', 'backoff', true], [51061, 'unavailable', 'backoff', true], [52000, 'unavailable', 'backoff', true],
  // undocumented: a 4xxxx is a client-side error (permanent); outside the documented families
  // (0, 20001, 4xxxx, 5xxxx, 6xxxx) neither success nor refusal: outcome unknown, bounded retries (README [INF] #71)
  [40999, 'invalid-argument', 'fail', true], [59999, 'unavailable', 'backoff', true],
  [20002, 'unavailable', 'backoff', false], [30000, 'unavailable', 'backoff', false], [1, 'unavailable', 'backoff', false], [-1, 'unavailable', 'backoff', false],
];

const BACKOFF = { baseMs: 1000, maxMs: 60_000, random: () => 0.5 };

describe('tiktok-business: every documented return code on a write, connector kind and queue action', () => {
  for (const [code, kind, action, notApplied] of TABLE) {
    test(`${code} → ${kind} → ${action}${notApplied ? ', not applied' : ', outcome unknown'}`, () => {
      const err = toConnectorError(env(Number(code)), 'tiktok-business: a write', () => 2000);
      assert.deepEqual([err.kind, err.notApplied === true, err.providerCode], [kind, notApplied, String(code)]);
      const decision = decideRetry(err, 1, BACKOFF);
      assert.equal(decision.action, action);
      if (action === 'wait-rate-limit') assert.equal(err.limitScope, 'app', 'the limit is per developer app: the whole hub waits');
    });
  }

  test('a 40100 waits at least a second (a QPS breach clears after the current second) and never more than TikTok\'s 5 min cap here', () => {
    const err = toConnectorError(env(40100), 'x', () => 1000);
    const d = decideRetry(err, 1, BACKOFF);
    assert.ok(d.action === 'wait-rate-limit' && d.delayMs >= 1000 && d.delayMs <= 300_000);
  });

  test('HTTP 200 without the envelope (an HTML page, text, no numeric code) is unavailable, outcome unknown, not our bug', () => {
    for (const body of [undefined, '<html>Bad gateway</html>', { message: 'OK' }, { code: true }]) {
      const e = toConnectorError({ status: 200, body }, 'x', () => 0);
      assert.deepEqual([e.kind, e.notApplied, e.providerCode], ['unavailable', undefined, 'no-envelope'], JSON.stringify(body));
    }
    assert.equal(decideRetry(toConnectorError({ status: 200, body: undefined }, 'x', () => 0), 12, BACKOFF).action, 'fail', 'bounded: given up after the 12th attempt');
  });

  test('HTTP 404 (wrong path or slash) is our bug; HTTP 5xx waits TikTok\'s ~5 min, outcome unknown', () => {
    const missing = toConnectorError({ status: 404, body: '404 page not found' }, 'x', () => 0);
    assert.deepEqual([missing.kind, missing.notApplied], ['internal', true]);
    const fault = toConnectorError({ status: 503, body: undefined }, 'x', () => 0);
    const d = decideRetry(fault, 1, BACKOFF);
    assert.deepEqual([fault.kind, fault.notApplied, d.action], ['unavailable', undefined, 'backoff']);
    assert.ok(d.action === 'backoff' && d.delayMs >= 300_000);
  });
});
