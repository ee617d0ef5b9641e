import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../sdk/connector-error.ts';
import { decideRetry } from '../../agent/tasks/retry-policy.ts';
import { createTikTokBusiness } from './connector.ts';
import { silentLog, startTikTokTestBed } from './test-setup.ts';
import { toConnectorError } from './tiktok-errors.ts';
import { TIKTOK_SANDBOX as S } from './emulator/sandbox-ids.ts';

/**
 * Return codes that say the hub's configuration is wrong ("Return codes",
 * https://business-api.tiktok.com/portal/docs?id=1737172488964097): 40051 "invalid API version"
 * and 40010 "the domain is not supported for this version" are about the request URL every call
 * of the hub shares (`{apiBaseUrl}/open_api/{apiVersion}/…`). Taken as a bad argument, every task
 * of the hub failed for good one after another, each audited and reported, until the config was
 * fixed. They pause the hub once, with a reason naming the key to fix (README [INF] #67). 40006
 * ("the API version does not support these parameters") is about one call's parameters: that
 * task fails, and the hub's other writes (a leaver's removal) go on.
 */
const BACKOFF = { baseMs: 1000, maxMs: 60_000, random: () => 0.5 };
const env = (code: number, message = 'm') => ({ status: 200, body: { code, message, request_id: 'r1', data: {} } });

describe('tiktok-business: return codes about the hub\'s configuration', () => {
  test('40051 and 40010 pause the hub, naming tiktok.apiVersion / tiktok.apiBaseUrl; 40006 fails the task only', () => {
    for (const [code, key] of [[40051, 'tiktok.apiVersion'], [40010, 'tiktok.apiBaseUrl']] as const) {
      const err = toConnectorError(env(code, 'Invalid API version: v1.2'), 'tiktok-business: invite a@example.com', () => 0);
      assert.deepEqual([err.kind, err.notApplied, err.providerCode], ['permission-denied', true, String(code)]);
      assert.ok(err.message.includes(key), err.message);
      assert.match(err.message, /^tiktok-business: invite a@example\.com: permission-denied \(config\): /);
      assert.ok(err.message.includes(`[${code}, request_id r1]`), 'TikTok\'s own code and request id stay in the reason');
      const d = decideRetry(err, 1, BACKOFF);
      assert.equal(d.action, 'pause-hub');
      assert.ok(d.message.includes(key), 'the pause reason (hub health) names the key');
    }
    const params = toConnectorError(env(40006, 'unsupported parameter'), 'tiktok-business: invite a@example.com', () => 0);
    assert.deepEqual([params.kind, params.notApplied, decideRetry(params, 1, BACKOFF).action], ['invalid-argument', true, 'fail']);
    assert.match(params.message, /tiktok\.apiVersion does not support the parameters of this call/);
  });

  test('a hub on a version TikTok does not serve: its writes are permission-denied naming tiktok.apiVersion, and the credential check reports it', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = createTikTokBusiness({ businessCenterId: S.bcId, accessToken: S.token, apiBaseUrl: bed.url, apiVersion: 'v1.2', pace: { qps: 1000, qpm: 60_000 } }, { log: silentLog });
      const configProblem = (e: ConnectorError) => e.kind === 'permission-denied' && e.providerCode === '40051' && e.message.includes('tiktok.apiVersion');
      await assert.rejects(c.invite!({ email: 'new@example.com', role: 'STANDARD', firstAttempt: true }), configProblem);
      await assert.rejects(c.removeMember!(S.standard[0]!), configProblem);
      await assert.rejects(c.assignAsset!({ asset: { type: 'ad_account', id: S.adAccounts[0]! }, userId: S.standard[0]!, tasks: ['ANALYST'] }), configProblem);
      const health = await c.checkCredential!();
      assert.equal(health.valid, false);
      assert.match(health.problem ?? '', /tiktok\.apiVersion/);
      assert.ok(bed.emulator.calls.every((x) => x.code === 40051), 'nothing reached the API');
    } finally {
      await bed.close();
    }
  });

  test('40006 on an invite fails that invite (invalid-argument), and the hub\'s removals still go', async () => {
    const bed = await startTikTokTestBed({ faults: { codes: [{ match: '^bc/member/invite$', code: 40006, message: 'The API version does not support the parameter' }] } });
    try {
      const c = bed.connector();
      await assert.rejects(c.invite!({ email: 'new@example.com', role: 'STANDARD', assets: [{ asset: { type: 'ad_account', id: S.adAccounts[0]! }, tasks: ['ANALYST'] }], firstAttempt: true }),
        (e: ConnectorError) => e.kind === 'invalid-argument' && e.providerCode === '40006' && decideRetry(e, 1, BACKOFF).action === 'fail');
      assert.equal(await c.removeMember!(S.standard[0]!), 'done');
    } finally {
      await bed.close();
    }
  });
});
