/**
 * My access of a rehire (agent/matching/rehire-fixtures.ts): the leaver's account u1 deactivated or
 * deleted in the IdP, its removal of seat m-a queued, and the rehire u2 created with the same
 * email. Matching keeps m-a the leaver's until it is removed (match-members.ts `REMOVAL_IN_FLIGHT`)
 * and standing gives the rehire none; My access listed m-a, the leaver's role and assets, as the
 * rehire's seat (standing `onboarded`). Now it shows what is theirs: no seat while the removal is in
 * flight, then the fresh invite once it ran.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EMAIL, leaverThenRehire, runTasks } from '../../agent/matching/rehire-fixtures.ts';
import type { MemoryStore } from '../../agent/store/memory-store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardConfig, serveDashboard, signedIn } from './web-fixtures.ts';

/** The rehire fixtures' hub (agent/grants/grant-fixtures.ts testHub): Meta Advertisers are app employees. */
const config = dashboardConfig('rehire-my-access', `
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams:
      - { group: Meta Advertisers, appRole: EMPLOYEE, assets: [{ type: ad_account, id: act_111, tasks: [ADVERTISE, ANALYZE] }] }
      - { group: Meta Admins, hubRole: owner, appRole: ADMIN, assets: [{ type: ad_account, id: act_111, tasks: [MANAGE, ADVERTISE, ANALYZE] }] }
`, { oidc: false });

const servers: TestServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

/** The rehire signed in (by OIDC, with an IdP id naming neither account: Entra's default `externalId`) and their My access page. */
async function myAccessOf(store: MemoryStore): Promise<() => Promise<string>> {
  const sessions = new SessionStore(store);
  const server = await serveDashboard({ config, agent: new FakeAgent(), store, sessions });
  servers.push(server);
  const rehire = await signedIn(sessions, EMAIL, { idpUserIds: ['oid-of-the-rehire'] });
  return async () => {
    const res = await fetch(`${server.url}/ui/my-access`, { headers: { cookie: rehire.cookie } });
    assert.equal(res.status, 200);
    return res.text();
  };
}

const standingOf = (page: string) => /data-field="standing"><span class="badge ([a-z-]+)"/.exec(page)?.[1];

for (const deleted of [false, true]) describe(`My access of a rehire while the leaver's removal is in flight (leaver ${deleted ? 'deleted' : 'deactivated'})`, () => {
  test('the leaver\'s seat is not listed as theirs; after the removal, their own fresh invite is', async () => {
    const store = await leaverThenRehire({ deleted });
    // The leaver's seat reaches an asset the rehire's team does not: theirs, not the rehire's.
    const key = 'ad_account:act_999:m-a';
    await store.transact((tx) => { tx.put('appAssignments', 'meta-main', key, { hubId: 'meta-main', key, userId: 'm-a', userType: 'member', asset: { type: 'ad_account', id: 'act_999' }, tasks: ['MANAGE'] }); });
    const page = await myAccessOf(store);
    const during = await page();
    assert.doesNotMatch(during, /data-seat="m-a"/, 'the leaver\'s seat, its removal queued, is not the rehire\'s');
    assert.doesNotMatch(during, /act_999/, 'nor its assets');
    assert.equal(standingOf(during), 'none', 'no seat yet, as standing says');
    assert.match(during, /data-field="granted">EMPLOYEE \(Meta Advertisers\)/, 'what their own groups grant');
    assert.doesNotMatch(during, /\/my-access\/offers\//, 'nothing to claim');
    // The removal runs, and the rehire is invited afresh (rehire-after-removal.ts).
    assert.deepEqual((await runTasks(store)).calls, ['remove m-a', `invite ${EMAIL}`]);
    const afterwards = await page();
    assert.doesNotMatch(afterwards, /data-seat=/);
    assert.match(afterwards, /data-invite="inv-1"/, 'their own invite');
    assert.equal(standingOf(afterwards), 'invited');
  });
});
