import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TIKTOK_SANDBOX as S } from '../../connectors/tiktok-business/emulator/index.ts';
import { AD, BC, GROUP, PATCH, USER, roleOn, settle, startTikTokHub, until, type TikTokHarness } from './harness.ts';

/**
 * "BOUND, holding an asset no team gives → POST /bc/asset/unassign/ for grants hubwarden made
 * itself. Other grants only when safety.drift: correct" (the connector contract). Eve holds
 * OPERATOR on the team's ad account at the first import (someone else's grant); Jane's comes with
 * the invitation hubwarden sent. Both end up in a team that gives no ad account.
 */
const EVE = 'eve.moneypenny@sandbox.example';
const EVE_ID = S.standard[0];
const VIEWERS = { group: 'TikTok Viewers', appRole: 'STANDARD', assets: [] };
const unassignCalls = (h: TikTokHarness, userId: string) =>
  h.emulator.calls.filter((c) => c.endpoint === 'bc/asset/unassign' && c.code === 0 && (c.body as { user_id?: string }).user_id === userId);

async function inViewers(h: TikTokHarness, email: string): Promise<string> {
  const id = (await h.scim('POST', '/Users', { schemas: [USER], userName: email, emails: [{ primary: true, value: email }], active: true })).body.id as string;
  await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Viewers', members: [{ value: id }] });
  await h.agent.idle();
  return id;
}

// The two settings side by side (each its own hub), their cases in order (`concurrency: 1`: it is inherited).
describe('TikTok hub: a grant no team gives, by who made it', { concurrency: true }, () => {
  describe('safety.drift report (the default)', { concurrency: 1 }, () => {
    let h: TikTokHarness;
    before(async () => { h = await startTikTokHub('okta', { extraTeams: [VIEWERS] }); });
    after(() => h.close());

    test('a grant that was there at the first import is left, and the plan shows it held', async () => {
      assert.equal((await h.store.get('appAssignments', h.hubId, `ad_account:${AD}:${EVE_ID}`))?.madeBy, 'other');
      await inViewers(h, EVE);
      await settle(h, 1_200); // past the settle window
      await h.checkForUpdates();
      await h.agent.idle();
      assert.equal(roleOn(h.emulator, EVE_ID), 'OPERATOR');
      assert.equal(unassignCalls(h, EVE_ID).length, 0);
      const planned = await h.agent.api.plan(h.hubId);
      assert.ok(planned.some((p) => p.kind === 'held:unassign-asset' && /hubwarden did not make/.test(p.summary)), JSON.stringify(planned));
    });

    test('a grant that came with hubwarden\'s invitation is unassigned once no team gives it', async () => {
      const jane = (await h.scim('POST', '/Users', { schemas: [USER], userName: 'jane@example.com', emails: [{ primary: true, value: 'jane@example.com' }], active: true })).body.id as string;
      const advertisers = (await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: [{ value: jane }] })).body.id as string;
      await until('jane invited', () => h.emulator.control.state().members.some((m) => m.bc_id === BC && m.user_email === 'jane@example.com'));
      await h.agent.idle();
      const janeId = h.emulator.control.acceptInvite(BC, 'jane@example.com', { name: 'Jane Doe' }).userId;
      await h.checkForUpdates();
      await until('OPERATOR on the ad account', () => roleOn(h.emulator, janeId) === 'OPERATOR');
      await h.agent.idle();
      assert.equal((await h.store.get('appAssignments', h.hubId, `ad_account:${AD}:${janeId}`))?.madeBy, 'hubwarden');
      const viewers = ((await h.scim('GET', '/Groups?filter=displayName%20eq%20%22TikTok%20Viewers%22')).body.Resources as Array<{ id: string }>)[0]!.id;
      await h.scim('PATCH', `/Groups/${viewers}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: jane }] }] });
      await h.scim('PATCH', `/Groups/${advertisers}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${jane}"]` }] });
      await until('jane\'s ad account unassigned', () => unassignCalls(h, janeId).length === 1 && roleOn(h.emulator, janeId) === undefined, 8_000);
    });
  });

  describe('safety.drift correct', { concurrency: 1 }, () => {
    let h: TikTokHarness;
    before(async () => { h = await startTikTokHub('okta', { extraTeams: [VIEWERS], safety: { drift: 'correct' } }); });
    after(() => h.close());

    test('a grant that was there at the first import is unassigned too', async () => {
      await inViewers(h, EVE);
      await until('eve\'s ad account unassigned', () => unassignCalls(h, EVE_ID).length === 1 && roleOn(h.emulator, EVE_ID) === undefined, 8_000);
    });
  });
});
