/**
 * End to end on a TikTok hub: check for updates through the task runner with the real connector
 * over the emulator, matching (case, second addresses, an unmatched contractor and the token's
 * own user), an owner's manual match and exemption, an accepted invitation, and write-back of
 * every directory user's standing to the Okta emulator through okta-sdk-nodejs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTikTokEmulator, TIKTOK_SANDBOX as S, type TikTokEmulator } from '../../connectors/tiktok-business/emulator/index.ts';
import type { MemberService } from '../../agent/members/member-service.ts';
import type { Store } from '../../agent/store/store.ts';
import { operationHandlers } from '../../agent/tasks/operations/operation-handler.ts';
import { pauseHub, resumeHub } from '../../agent/tasks/hub-state.ts';
import type { CheckRunRecord } from '../../agent/check-for-updates/check-run.ts';
import { DIR, HUB, hubConfig, LOGINS, OKTA_TOKEN, seedDirectory } from './business.ts';
import { suiteStores } from '../suite-stores.ts';
import { startWritebackWorld, type WritebackWorld } from '../writeback-world.ts';
import { silent, until } from './harness.ts';
import { E2E_TIER, pacedTikTokConnector } from './paced-connector.ts';

const owner = { type: 'admin' as const, actor: 'owner@sandbox.example' };
const [EVE, FRANK, CONTRACTOR] = S.standard;

// On the memory store and on PostgreSQL (test/suite-stores.ts), the two side by side: each has its
// own emulators and store; within a store the cases run in order, as before (`concurrency: 1`: it
// is inherited).
const kinds = await suiteStores('memory', 'postgres');
describe('check for updates and write-back on a TikTok hub, on each store', { concurrency: true }, () => { for (const kind of kinds) {
  describe(`check for updates and write-back on a TikTok hub (emulators, real SDKs) (${kind.kind})`, { skip: kind.skip, concurrency: 1 }, () => {
    let tiktok: TikTokEmulator;
    let apiUrl = '';
    let world: WritebackWorld;
    let service: MemberService;
    let store: Store;
    let closeApi: () => Promise<void>;

    before(async () => {
      tiktok = createTikTokEmulator({ rateLimits: E2E_TIER }); // with the pace of pacedTikTokConnector (paced-connector.ts)
      const api = await tiktok.listen(0);
      closeApi = api.close;
      apiUrl = api.url;
      world = await startWritebackWorld({
        kind, hubId: HUB, appUrl: api.url, hubConfig, oktaToken: OKTA_TOKEN, logins: LOGINS, seedDirectory,
        runner: { handlers: operationHandlers, backoffBaseMs: 600_000, backoffMaxMs: 600_000 },
        connector: (hub, config) => pacedTikTokConnector(hub, config, { log: silent }),
      });
      ({ service, store } = world);
    });
    after(async () => {
      await world.close();
      await closeApi();
    });

    const check = async () => {
      const task = await world.check();
      return { task, run: (await store.get('checkRuns', HUB, task.id)) as CheckRunRecord | undefined };
    };
    const outcomes = async () => Object.fromEntries((await service.members(HUB, { limit: 500 })).items.map((v) => [v.id, [v.status, v.directoryUserId ?? null]]));
    const profileOf = (dirId: string) => world.profileOf(dirId);

    test('imports the whole Business Center and gives every member its outcome (matching)', async () => {
      const { run } = await check();
      assert.equal((await store.get('appImports', HUB, HUB))?.complete, true);
      assert.equal(run?.counts?.members, 5);
      assert.equal(run?.counts?.assets, 5);
      assert.deepEqual(await outcomes(), {
        [S.tokenUserId]: ['unmatched', null], // the token's own user: in no directory, never written
        [S.admins[0]]: ['onboarded', DIR.ada], // the address differs in case only
        [EVE]: ['onboarded', DIR.eve], // matched on her second address
        [FRANK]: ['onboarded', DIR.frank],
        [CONTRACTOR]: ['unmatched', null], // added by hand with the agency address
        [`invite:${S.pendingEmail}`]: ['invited', DIR.newHire],
        [`invite:${S.rejectedEmail}`]: ['unmatched', null], // declined; the address is no directory user's
      });
      const eve = (await service.member(HUB, EVE))!;
      assert.deepEqual(eve.grantedBy, ['TikTok Advertisers']);
      assert.deepEqual(eve.assets?.find((a) => a.id === S.adAccounts[0]), { type: 'ad_account', id: S.adAccounts[0], tasks: ['OPERATOR'] });
      // An ADMIN reaches every asset of the BC without an assignment: the view says so.
      assert.equal(eve.reachesAllAssets, undefined);
      assert.equal((await service.member(HUB, S.admins[0]))?.reachesAllAssets, true);
      assert.equal((await service.health(HUB))?.credential?.valid, true);
    });

    test('write-back: each directory user carries its standing in Okta', async () => {
      const { task } = await check();
      assert.equal((task.result as { writeback?: string }).writeback, 'done');
      assert.deepEqual(profileOf(DIR.ada), ['onboarded', 'ADMIN', undefined]);
      assert.deepEqual(profileOf(DIR.eve), ['onboarded', 'STANDARD', undefined]);
      assert.deepEqual(profileOf(DIR.newHire), ['invited', 'STANDARD', undefined]);
      assert.deepEqual(profileOf(DIR.casey), ['pending', undefined, undefined]);
    });

    test("an owner's manual match and exemption survive the next import and reach Okta; an accepted invitation is linked", async () => {
      await service.matchMember(HUB, CONTRACTOR, { directoryUserId: DIR.casey, hubRole: 'collaborator' }, owner);
      await service.exemptMember(HUB, FRANK, { reason: 'finance manager kept by hand' }, owner);
      await store.transact(async (tx) => tx.put('appInvites', HUB, S.pendingEmail, { ...(await tx.get('appInvites', HUB, S.pendingEmail))!, sentByHubwarden: true }));
      const { userId } = tiktok.control.acceptInvite(S.bcId, S.pendingEmail, { name: 'New Hire' });
      const { run } = await check();
      const now = await outcomes();
      assert.deepEqual(now[CONTRACTOR], ['onboarded', DIR.casey]);
      assert.deepEqual(now[FRANK], ['exempted', DIR.frank]);
      assert.deepEqual(now[userId], ['onboarded', DIR.newHire]);
      assert.equal(now[`invite:${S.pendingEmail}`], undefined);
      assert.deepEqual(run?.changes?.acceptedInvites, [{ memberId: userId, inviteId: S.pendingEmail, email: S.pendingEmail }]);
      assert.deepEqual(profileOf(DIR.casey), ['onboarded', 'STANDARD', undefined]);
      assert.deepEqual(profileOf(DIR.frank), ['exempted', 'STANDARD', 'finance manager kept by hand']);
      assert.deepEqual(profileOf(DIR.newHire), ['onboarded', 'STANDARD', undefined]);
    });

    test('a role changed by hand in the Business Center is found as drift', async () => {
      const res = await fetch(`${apiUrl}/open_api/v1.3/bc/member/update/`, {
        method: 'POST', headers: { 'Access-Token': S.token, 'content-type': 'application/json' },
        body: JSON.stringify({ bc_id: S.bcId, user_id: EVE, user_role: 'ADMIN' }),
      });
      assert.equal(((await res.json()) as { code: number }).code, 0);
      const { run } = await check();
      assert.deepEqual(run!.changes!.roleChanges, [{ memberId: EVE, email: 'eve.moneypenny@sandbox.example', from: 'STANDARD', to: 'ADMIN' }]);
      assert.ok(run!.changes!.drift.some((d) => d.kind === 'role-changed' && d.memberId === EVE));
    });

    test("a paused hub whose token's user can read but is no longer an ADMIN stays paused after a check that read everything", async () => {
      // Paused by a write TikTok refused with 40001; the token's user was made STANDARD by hand.
      const state = tiktok.control.state();
      tiktok.control.seed({ ...state, members: state.members.map((m) => (m.user_id === S.tokenUserId ? { ...m, user_role: 'STANDARD' as const } : m)) });
      await store.transact((tx) => pauseHub(tx, HUB, 'no permission: only an ADMIN of the Business Center may do this [40001]', 'permission-denied', new Date()));
      try {
        // Not world.check(): it waits for the runner to go idle, and the reconcile the check asks
        // for waits while the hub is paused.
        // The check's end awaited (a bound of 20 s on a failure only: a loaded CI machine runs a
        // check on PostgreSQL far slower than a desk does).
        const asked = await service.checkForUpdates(HUB, owner);
        const task = await until(`check for updates ${asked.id} ended`, async () => {
          const t = await store.get('tasks', HUB, asked.id);
          return t && (t.status === 'completed' || t.status === 'failed') ? t : undefined;
        }, 20_000);
        assert.equal(task.status, 'completed', `a STANDARD member reads the whole Business Center (${task.lastError?.message ?? ''})`);
        assert.equal((await service.health(HUB))?.credential?.valid, false);
        assert.equal((await store.get('hubStates', '', HUB))?.paused, true, 'reading is no proof the token may write: the hub stays paused');
      } finally {
        tiktok.control.seed(state);
        await store.transact(async (tx) => void await resumeHub(tx, HUB));
      }
    });
  });
} }); // each store
