import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GROUP, USER, invitePosts, startTikTokHub, until, type TikTokHarness } from './harness.ts';

/**
 * TikTok answers every call of the hub with 40051 ("invalid API version", Return codes,
 * https://business-api.tiktok.com/portal/docs?id=1737172488964097): the version the hub is
 * configured with is not served (any more). Each person's invite used to fail for good, one task
 * after another, each audited and reported, until the config was fixed. Now the hub pauses once,
 * its health naming tiktok.apiVersion, and the invites wait; fixed and checked, they go.
 */
const PEOPLE = ['ann.version@example.com', 'bob.version@example.com', 'cy.version@example.com'];

describe('TikTok hub: a return code that says the hub\'s configuration is wrong', () => {
  let h: TikTokHarness;
  before(async () => { h = await startTikTokHub('okta'); });
  after(() => h.close());
  const hubState = () => h.store.get('hubStates', '', h.hubId);

  test('40051 on every call: the hub pauses once naming tiktok.apiVersion, no task fails; once fixed and checked, the invites go', async () => {
    h.emulator.control.setFaults({ codes: [{ match: '.', code: 40051, message: 'Invalid API version: v1.3' }] });
    const ids: string[] = [];
    for (const email of PEOPLE) ids.push((await h.scim('POST', '/Users', { schemas: [USER], userName: email, emails: [{ primary: true, value: email }], active: true })).body.id as string);
    await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: ids.map((value) => ({ value })) });
    await until('hub paused', async () => (await hubState())?.paused === true, 20_000);
    // Every task the pause caught has handed back (none running): whatever would fail has by now.
    await until('no task running', async () => (await h.agent.api.tasks({ hubId: h.hubId, status: 'running' })).items.length === 0, 20_000);
    const state = await hubState();
    assert.equal(state?.pausedBy, 'permission-denied');
    assert.match(state?.pausedReason ?? '', /tiktok\.apiVersion/);
    const summary = await h.agent.api.hub(h.hubId);
    assert.match(summary?.health.pausedReason ?? '', /tiktok\.apiVersion/, 'one clear reason in the hub\'s health');
    const failed = (await h.agent.api.tasks({ hubId: h.hubId, status: 'failed' })).items;
    assert.deepEqual(failed.map((t) => t.lastError?.message), [], 'no task failed for good on the config');

    h.emulator.control.setFaults({});
    await h.checkForUpdates();
    assert.equal((await hubState())?.paused, false, 'a check that reads everything resumes the hub');
    for (const email of PEOPLE) await until(`${email} invited`, () => invitePosts(h.emulator, email)[0], 20_000);
  });
});
