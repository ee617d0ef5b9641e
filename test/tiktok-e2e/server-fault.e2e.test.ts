import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GROUP, USER, startTikTokHub, until, type TikTokHarness } from './harness.ts';

/**
 * TikTok answering an HTTP 5xx: its advice is to wait about 5 minutes and retry (connector
 * README [INF] #31). The invite task is run again no sooner than that, not within the agent's
 * short backoff (the harness's is 20 ms doubling to 200 ms), which hammered a failing TikTok and
 * spent the task's attempts in seconds. The test reads the task's next run time; it never waits.
 */
describe('TikTok hub: an HTTP 5xx is retried after TikTok\'s advised 5 minutes', () => {
  let h: TikTokHarness;
  before(async () => { h = await startTikTokHub('okta'); });
  after(() => h.close());
  const email = 'hank@example.com';

  test('an invite answered HTTP 503 waits ≥ 5 min before its next attempt, and calls TikTok once meanwhile', async () => {
    h.emulator.control.setFaults({ httpErrorRate: 1, match: 'bc/member/invite' });
    const user = await h.scim('POST', '/Users', { schemas: [USER], userName: email, emails: [{ primary: true, value: email }], active: true });
    await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: [{ value: user.body.id }] });
    const failed = () => h.emulator.calls.filter((c) => c.endpoint === 'bc/member/invite' && c.status === 503);
    await until('the invite answered 503', () => failed().length > 0);
    const waiting = async () => (await h.agent.api.tasks({ hubId: h.hubId, kind: 'invite', status: 'waiting' })).items[0];
    await until('the invite task waiting', async () => (await waiting()) !== undefined);
    const task = (await waiting())!;
    assert.equal(task.lastError?.kind, 'unavailable');
    assert.match(task.lastError?.message ?? '', /retry in 5 min/);
    const calledAt = failed()[0]!.at;
    assert.ok(Date.parse(task.nextRunAt!) - calledAt >= 5 * 60_000, `next attempt at ${task.nextRunAt}, ${Date.parse(task.nextRunAt!) - calledAt} ms after the 503`);
    await new Promise((r) => setTimeout(r, 500)); // longer than the harness's whole backoff would wait
    assert.equal(h.emulator.calls.filter((c) => c.endpoint === 'bc/member/invite').length, 1, 'TikTok not called again meanwhile');
  });
});
