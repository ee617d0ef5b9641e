import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../../connectors/sdk/connector-error.ts';
import { StoreContention } from '../store/store-contention.ts';
import { StoreUnavailable } from '../store/store-unavailable.ts';
import { addKnownSecrets } from '../log/logger.ts';
import { backoffMs, decideRetry } from './retry-policy.ts';

describe('retry table', () => {
  const cases: Array<[ConnectorError, string]> = [
    [new ConnectorError('rate-limited', 'x', { retryAfterMs: 1234, limitScope: 'invite:1' }), 'wait-rate-limit'],
    [new ConnectorError('unavailable', 'x'), 'backoff'],
    [new ConnectorError('unauthenticated', 'x'), 'pause-hub'],
    [new ConnectorError('permission-denied', 'x'), 'pause-hub'],
    [new ConnectorError('invalid-argument', 'x'), 'fail'],
  ];
  for (const [err, action] of cases) test(`${err.kind} → ${action}`, () => assert.equal(decideRetry(err, 1, { baseMs: 100, maxMs: 1000 }).action, action));
  test('rate-limited waits exactly as long as the provider says, in its scope', () => {
    const d = decideRetry(new ConnectorError('rate-limited', 'x', { retryAfterMs: 1234, limitScope: 'invite:1' }), 1, { baseMs: 1, maxMs: 1 });
    assert.deepEqual([d.action === 'wait-rate-limit' && d.delayMs, d.action === 'wait-rate-limit' && d.scope], [1234, 'invite:1']);
  });
  test('unavailable backs off exponentially with jitter, then gives up', () => {
    assert.equal(backoffMs(1, { baseMs: 100, maxMs: 10_000, random: () => 0 }), 50);
    assert.equal(backoffMs(4, { baseMs: 100, maxMs: 10_000, random: () => 1 }), 800);
    assert.equal(backoffMs(30, { baseMs: 100, maxMs: 10_000, random: () => 1 }), 10_000);
    assert.equal(decideRetry(new ConnectorError('unavailable', 'x'), 12, { baseMs: 1, maxMs: 1 }).action, 'fail');
  });
  test('a transient error with a stated wait backs off at least that long, past the backoff cap; a longer backoff still wins', () => {
    // An app that advises waiting minutes after a server fault: retrying within a second hammers it.
    const o = { baseMs: 250, maxMs: 300_000, random: () => 1 };
    const stated = new ConnectorError('unavailable', 'x', { retryAfterMs: 5 * 60_000 });
    for (const attempt of [1, 2, 5]) {
      const d = decideRetry(stated, attempt, o);
      assert.deepEqual([d.action, d.action === 'backoff' && d.delayMs], ['backoff', 5 * 60_000], `attempt ${attempt}`);
    }
    const long = decideRetry(new ConnectorError('unavailable', 'x', { retryAfterMs: 10 * 60_000 }), 1, { baseMs: 1, maxMs: 1 });
    assert.equal(long.action === 'backoff' && long.delayMs, 10 * 60_000, 'not shortened to the backoff cap');
    const short = decideRetry(new ConnectorError('internal', 'x', { retryAfterMs: 10 }), 2, { baseMs: 1_000, maxMs: 10_000, random: () => 1 });
    assert.equal(short.action === 'backoff' && short.delayMs, 2_000, 'the backoff when it is longer');
    assert.equal(decideRetry(stated, 12, o).action, 'fail', 'still gives up after the rule\'s attempts');
    const none = decideRetry(new ConnectorError('unavailable', 'x'), 1, { baseMs: 250, maxMs: 300_000, random: () => 1 });
    assert.equal(none.action === 'backoff' && none.delayMs, 250, 'no stated wait: the backoff alone');
  });
  test('a non-connector error fails as internal', () => assert.equal(decideRetry(new Error('boom'), 1, { baseMs: 1, maxMs: 1 }).kind, 'internal'));
  test('a store transaction that kept meeting conflicts backs off and runs again (contention, not a fault), then gives up', () => {
    const busy = new StoreContention(20, '40001 (store: partition of directoryUsers changed after this transaction read it)');
    const d = decideRetry(busy, 1, { baseMs: 100, maxMs: 1000 });
    assert.deepEqual([d.action, d.kind, 'notApplied' in d], ['backoff', 'conflict', false]);
    assert.equal(decideRetry(busy, 12, { baseMs: 1, maxMs: 1 }).action, 'fail');
  });
  test('a store that refused a handler\'s read or write (unreachable, busy pool) backs off and runs again, not a failed task; then gives up', () => {
    const down = new StoreUnavailable('PostgreSQL unreachable: ECONNREFUSED', 2);
    const d = decideRetry(down, 1, { baseMs: 100, maxMs: 1000 });
    assert.deepEqual([d.action, d.kind, 'notApplied' in d], ['backoff', 'unavailable', false]);
    assert.equal(decideRetry(down, 12, { baseMs: 1, maxMs: 1 }).action, 'fail');
  });
});

test('an app code that echoes a credential is redacted before the task record keeps it', () => {
  const secret = 'EAAB-code+echo/token~0123456789';
  addKnownSecrets([secret]);
  // A proxy or broken endpoint quoting the request in the error body's code field: the code
  // becomes the task record's lastError.providerCode, stored and shown by the admin API.
  for (const kind of ['invalid-argument', 'unavailable', 'rate-limited', 'unauthenticated'] as const) {
    const err = new ConnectorError(kind, 'meta-business: refused: [redacted]', { providerCode: `${secret} access_token=${secret}`, retryAfterMs: 1000 });
    for (const attempt of [1, 99]) {
      const d = decideRetry(err, attempt, { baseMs: 1, maxMs: 1 });
      assert.ok(d.providerCode, kind);
      assert.ok(!JSON.stringify(d).includes(secret) && !JSON.stringify(d).includes('0123456789'), `${kind}: ${JSON.stringify(d)}`);
    }
  }
});
