import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../../sdk/connector-error.ts';
import type { HubConnector } from '../../sdk/definition.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';
import { servedTikTok, type Answer, type Op, type ServedTikTok } from '../rewriting-fetch.test-double.ts';

/**
 * A write is made only on the answer TikTok names a success: HTTP 200, `code` the JSON number 0
 * ("Return codes", https://business-api.tiktok.com/portal/docs?id=1737172488964097; TikTok's JS
 * client, js_sdk/src/ApiClient.js, checks `code === 0`), `data` absent, null or an object. Any other
 * answer to a write TikTok carried out is outcome unknown (`unavailable`, not `notApplied`): the
 * agent's retry reads first and finds it made (README [INF] #71).
 */
type Rewrite = (a: Answer) => Answer;
const EVE = S.standard[0];
const FRANK = S.standard[1];
const AD = { type: 'ad_account', id: S.adAccounts[1] };

const WRITES: Array<[string, (c: HubConnector) => Promise<unknown>, unknown]> = [
  ['invite', (c) => c.invite!({ email: 'fresh@example.com', role: 'STANDARD', firstAttempt: true }), undefined],
  ['promote', (c) => c.changeMemberRole!(EVE, 'ADMIN'), 'already-done'],
  ['remove', (c) => c.removeMember!(FRANK), 'already-done'],
  ['revoke', (c) => c.cancelInvite!(S.pendingEmail), 'already-done'],
  ['assign', (c) => c.assignAsset!({ asset: AD, userId: FRANK, tasks: ['OPERATOR'] }), 'already-done'],
];
const retryOf: Record<string, (c: HubConnector) => Promise<unknown>> = {
  invite: (c) => c.invite!({ email: 'fresh@example.com', role: 'STANDARD' }),
};

const ANSWERS: Array<[string, Rewrite]> = [
  ['code "0" (a string)', (a) => ({ status: 200, body: { ...a.body, code: String(a.body.code) } })],
  ['code 0 with data "failed"', (a) => ({ status: 200, body: { ...a.body, data: 'failed' } })],
  ['code 0 with data a list', (a) => ({ status: 200, body: { ...a.body, data: [{ code: 1 }] } })],
  ['code 0 with data false', (a) => ({ status: 200, body: { ...a.body, data: false } })],
  ['an HTML page', () => ({ status: 200, text: '<html><body>Bad gateway</body></html>' })],
  ['an empty body', () => ({ status: 200, text: '' })],
  ['JSON without code', (a) => ({ status: 200, body: { message: 'OK', data: a.body.data } })],
  ['code 20002 (no documented family)', (a) => ({ status: 200, body: { ...a.body, code: 20002, message: 'partly' } })],
];

describe('tiktok-business: a write answered with what TikTok does not name a success is outcome unknown, never done', () => {
  let tt: ServedTikTok;
  let rewrite: Rewrite | undefined;
  before(async () => { tt = await servedTikTok(); });
  after(() => tt.close());
  const connector = () => tt.connector(async (op: Op, forward) => {
    const a = await forward();
    return op.method === 'POST' && rewrite ? rewrite(a) : a;
  });

  for (const [answer, rw] of ANSWERS) {
    for (const [name, write, retried] of WRITES) {
      test(`${name} answered with ${answer}: unavailable, outcome unknown; the retry finds it made`, async () => {
        const c = connector();
        rewrite = rw;
        try {
          await assert.rejects(write(c), (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable' && e.notApplied !== true && !e.message.includes(S.token));
        } finally {
          rewrite = undefined;
        }
        const again = await (retryOf[name] ?? write)(c);
        assert.deepEqual(again, retried ?? { result: 'already-done', inviteId: 'fresh@example.com' });
      });
    }
  }

  test('code 0 with data {} is done (the documented success)', async () => {
    const c = connector();
    assert.equal(await c.removeMember!(FRANK), 'done');
  });

  test('a delete answered "40007" as a string is not answered already gone', async () => {
    const c = connector();
    rewrite = () => ({ status: 200, body: { code: '40007', message: 'not exist', data: {} } });
    try {
      await assert.rejects(c.removeMember!(FRANK), (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable' && e.notApplied !== true);
    } finally {
      rewrite = undefined;
    }
  });

  test('a write answered "40100" as a string still pauses the app scope, outcome unknown', async () => {
    const c = connector();
    rewrite = () => ({ status: 200, body: { code: '40100', message: 'too many', data: {} } });
    try {
      await assert.rejects(c.removeMember!(FRANK), (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable' && e.notApplied !== true && (e.retryAfterMs ?? 0) > 0);
    } finally {
      rewrite = undefined;
    }
    await assert.rejects(c.changeMemberRole!(EVE, 'ADMIN'), (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited' && e.providerCode === 'local');
  });
});
