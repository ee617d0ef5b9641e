import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { toConnectorError, fieldOf } from './tiktok-errors.ts';
import { redactSecrets } from '../sdk/redact.ts';

const env = (code: number, message = 'm') => ({ status: 200, body: { code, message, request_id: 'r1', data: {} } });

describe('TikTok return codes → ConnectorError kinds', () => {
  const cases: Array<[number, string]> = [
    [40100, 'rate-limited'], [40016, 'rate-limited'], [40133, 'rate-limited'], [61000, 'rate-limited'], [60001, 'rate-limited'],
    [40104, 'unauthenticated'], [40105, 'unauthenticated'], [40102, 'unauthenticated'],
    [40001, 'permission-denied'], [40130, 'permission-denied'],
    [40007, 'not-found'], [40300, 'not-found'],
    [40050, 'conflict'],
    [40202, 'unavailable'], [50000, 'unavailable'], [51060, 'unavailable'], [52000, 'unavailable'], [20001, 'unavailable'],
    [40002, 'invalid-argument'], [40006, 'invalid-argument'], [40008, 'invalid-argument'],
    [40051, 'permission-denied'], [40010, 'permission-denied'],
  ];
  for (const [code, kind] of cases) {
    test(`${code} → ${kind}`, () => assert.equal(toConnectorError(env(code), 'x', () => 1000).kind, kind));
  }

  test('a non-zero code was not applied, except 20001 (partial success)', () => {
    assert.equal(toConnectorError(env(40002), 'x', () => 0).notApplied, true);
    assert.equal(toConnectorError(env(20001), 'x', () => 0).notApplied, undefined);
  });

  test('40100 takes the backoff wait, scope app; 61000 a fixed hour, 60001 5 minutes (README [INF] #61)', () => {
    const e = toConnectorError(env(40100), 'invite a', () => 2000);
    assert.deepEqual([e.retryAfterMs, e.limitScope, e.providerCode], [2000, 'app', '40100']);
    assert.match(e.message, /^invite a: rate-limited \(retry in 2 s\)/);
    assert.equal(toConnectorError(env(61000), 'x', () => 2000).retryAfterMs, 3_600_000);
    const maintenance = toConnectorError(env(60001), 'x', () => 2000);
    assert.deepEqual([maintenance.kind, maintenance.retryAfterMs, maintenance.limitScope], ['rate-limited', 300_000, 'app']);
  });

  test('HTTP 404 / 405 never reached the API (our bug: internal, not applied); 5xx is unavailable', () => {
    const e = toConnectorError({ status: 404, body: undefined }, 'x', () => 0);
    assert.deepEqual([e.kind, e.notApplied], ['internal', true]);
    assert.equal(toConnectorError({ status: 503, body: undefined }, 'x', () => 0).kind, 'unavailable');
  });

  test('HTTP 5xx carries TikTok\'s advised 5 min wait, outcome unknown; a 5xxxx service code in the envelope does not', () => {
    for (const status of [500, 502, 503, 504]) {
      const e = toConnectorError({ status, body: undefined }, 'invite a', () => 1000);
      assert.deepEqual([e.kind, e.retryAfterMs, e.notApplied, e.limitScope, e.providerCode], ['unavailable', 5 * 60_000, undefined, undefined, `http ${status}`]);
      assert.match(e.message, new RegExp(`^invite a: unavailable \\(retry in 5 min\\): HTTP ${status}$`));
    }
    for (const code of [50000, 50002, 51060]) assert.equal(toConnectorError(env(code), 'x', () => 1000).retryAfterMs, undefined, `code ${code}: retry with backoff`);
  });

  test('an HTTP redirect (never followed, so the token stays at the configured origin) is internal and says so', () => {
    const e = toConnectorError({ status: 307, body: undefined }, 'x', () => 0);
    assert.equal(e.kind, 'internal');
    assert.match(e.message, /HTTP 307 \(a redirect, not followed/);
  });

  test('HTTP 429 (a gateway in front of the API) is a rate limit on the app scope, waited for, not internal', () => {
    const e = toConnectorError({ status: 429, body: 'Too Many Requests' }, 'list members', () => 4000);
    assert.deepEqual([e.kind, e.retryAfterMs, e.limitScope, e.notApplied], ['rate-limited', 4000, 'app', true]);
    assert.match(e.message, /^list members: rate-limited \(retry in 4 s\): HTTP 429$/);
  });

  test('40002 names its field; messages keep the request_id and are redacted', () => {
    const e = toConnectorError(env(40002, 'user_email: this address belongs to a member'), 'x', () => 0, (s) => s.replace('member', '[redacted]'));
    assert.equal(e.field, 'user_email');
    assert.match(e.message, /request_id r1/);
    assert.match(e.message, /\[redacted\]/);
    assert.equal(fieldOf('filtering.user_id: bad'), 'filtering.user_id');
  });

  test('a long token echoed in a message is redacted before the message is cut, so no fragment of it remains', () => {
    const token = randomBytes(150).toString('hex');
    const redact = (s: string) => redactSecrets(s, [token]);
    // The cut (200 characters) falls inside the token, for each kind of message.
    for (const code of [40105, 40002, 40100, 50000]) {
      const e = toConnectorError(env(code, `the access token ${token} is invalid`), 'x', () => 1000, redact);
      for (let i = 0; i + 20 <= token.length; i++) assert.ok(!e.message.includes(token.slice(i, i + 20)), `${code}: a slice of the token at ${i} leaked: ${e.message}`);
      assert.match(e.message, /\[redacted\]/);
    }
  });
});
