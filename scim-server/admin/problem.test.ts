/**
 * The admin API maps errors to problem details by kind (agent/agent-error.ts, ConnectorError),
 * never by message text: a plain error that merely reads like a refusal is a 500 with a generic
 * detail, so an unknown failure is never reported as "not found".
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentError } from '../../agent/agent-error.ts';
import { ConnectorError } from '../../connectors/sdk/connector-error.ts';
import { StoreContention } from '../../agent/store/store-contention.ts';
import { toProblem } from './problem.ts';

describe('toProblem', () => {
  test('agent refusals map by kind and keep the message (without the log prefix)', () => {
    const cases = [
      [new AgentError('not-found', 'agent: no approval a-9'), 404, 'not-found', 'no approval a-9'],
      [new AgentError('conflict', 'agent: approval a-1 was already approved'), 409, 'conflict', 'approval a-1 was already approved'],
      [new AgentError('invalid-argument', 'agent: offboard needs an email, userName or externalId'), 400, 'invalid-request', 'offboard needs an email, userName or externalId'],
      [new AgentError('unavailable', 'agent: members is not available (no member service wired)'), 503, 'unavailable', 'members is not available (no member service wired)'],
    ] as const;
    for (const [err, status, slug, detail] of cases) {
      const p = toProblem(err).toJSON();
      assert.deepEqual([p.status, p.type, p.detail], [status, `https://hubwarden.dev/problems/${slug}`, detail], err.message);
    }
  });

  test('a plain error worded like a refusal is an internal error with a generic detail', () => {
    const p = toProblem(new Error('agent: hub h has no member 5')).toJSON();
    assert.equal(p.status, 500);
    assert.doesNotMatch(p.detail, /no member 5/);
  });

  test('a malformed %-escape in the path (express: URIError, status 400) is a 400 that says so', () => {
    const p = toProblem(Object.assign(new URIError("Failed to decode param '%zz'"), { status: 400 })).toJSON();
    assert.equal(p.status, 400);
    assert.match(p.detail, /malformed %-escape/);
  });

  test('a transaction the store gave up on (other writes kept winning) is a 503 to retry, not a 409', () => {
    const p = toProblem(new StoreContention(20, 'a read changed before commit'));
    assert.deepEqual([p.status, p.toJSON().type, p.headers['Retry-After']], [503, 'https://hubwarden.dev/problems/unavailable', '1']);
    assert.match(p.toJSON().detail, /nothing was changed, retry/);
  });

  // The Okta event hook reads bodies up to 8 MB (a large batch), the admin API up to 1 MB: the
  // 413 names the limit of the parser that refused, not always the admin API's.
  test('a body over the parser\'s limit: 413 naming that limit', () => {
    const tooLarge = (limit: number) => toProblem(Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, limit })).toJSON();
    assert.deepEqual([tooLarge(8 * 1024 * 1024).status, tooLarge(8 * 1024 * 1024).detail], [413, 'the request body is larger than 8 MB']);
    assert.equal(tooLarge(1024 * 1024).detail, 'the request body is larger than 1 MB');
    assert.equal(tooLarge(8 * 1024).detail, 'the request body is larger than 8 KB');
  });

  test('connector errors map through the same table', () => {
    assert.equal(toProblem(new ConnectorError('rate-limited', 'meta-business: list members: rate-limited')).status, 503);
  });
});
