/**
 * End to end: the app moved under a plan. Each case changes Meta by hand (as a person in Business
 * Settings would) after hubwarden's last look, then lets the directory ask for a change. Meta
 * refuses it with its own error; the operation task re-reads that person (targeted reads, no
 * import), re-plans and runs the corrected change. Every case ends with the app as the grant asks
 * (or the impossible grant reported), no failed task, and never a second invite.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { configSchema } from '../../config/schema.ts';
import { sandboxFixture, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { checkForUpdates, HUB, invitePosts, onboard, startHarness, until, type Harness } from '../agent-e2e/harness.ts';
import { suiteStores, type SuiteStore } from '../suite-stores.ts';

const BIZ = SANDBOX.businessId;
const P = SANDBOX.partner;
/** An ad account the partner owns and shares with our business: we are its client. */
const CLIENT_AD_ACCOUNT = 'act_555';

function start(kind: SuiteStore): Promise<Harness> {
  const fixture = sandboxFixture();
  fixture.assets.push({ type: 'ad_account', id: CLIENT_AD_ACCOUNT, name: 'Northwind client ads', ownerBusinessId: P.businessId });
  fixture.shares.push({ assetId: CLIENT_AD_ACCOUNT, partnerBusinessId: BIZ, permittedTasks: ['ADVERTISE', 'ANALYZE'], accessStatus: 'CONFIRMED' });
  const config = configSchema.parse({
    hubs: [{
      id: HUB, connector: 'meta-business', meta: { businessId: BIZ },
      teams: [
        { group: 'Meta Advertisers', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }] },
        { group: 'Meta Admins', hubRole: 'owner', appRole: 'ADMIN', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] }] },
        { group: 'Client Ads', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id: CLIENT_AD_ACCOUNT, tasks: ['ANALYZE'] }] },
      ],
      safety: { settleSeconds: 1, removalThresholdPercent: 50, confirmDeprovisioning: false },
    }],
  });
  // Expired invites listed with their status (the emulator's looser 'keep-expired' reading).
  return startHarness({ store: kind, emulator: { fixture, inviteVisibility: 'keep-expired' }, config });
}

/** A change made by hand in Meta, with our system user's token (or the partner's). */
async function byHand(h: { url: string }, method: 'POST' | 'DELETE', path: string, params: Record<string, string> = {}, token: string = SANDBOX.token) {
  const query = new URLSearchParams({ ...params, access_token: token });
  const r = await fetch(`${h.url}/v25.0/${path}?${query}`, { method });
  const body = await r.json() as { id?: string; error?: { message: string } };
  assert.equal(r.status, 200, JSON.stringify(body));
  return body;
}

const tasksOf = async (h: Harness, kind: string) => (await collect(h.store.list('tasks', HUB))).filter((t) => t.kind === kind);
const failedTasks = async (h: Harness) => (await collect(h.store.list('tasks', HUB))).filter((t) => t.status === 'failed').map((t) => `${t.kind}: ${t.lastError?.message}`);
const userByEmail = (h: Harness, email: string) => h.emulator.control.state().users.filter((u) => u.email === email);
const invitesOf = (h: Harness, email: string) => h.emulator.control.state().invites.filter((i) => i.email === email);
const tasksOn = (h: Harness, userId: string, assetId = 'act_111') => h.emulator.control.state().assignments.find((a) => a.userId === userId && a.assetId === assetId)?.tasks;
const staleAudit = async (h: Harness, action: string) => (await collect(h.store.list('audit', HUB))).filter((e) => e.action === action && (e.detail as { staleView?: boolean } | undefined)?.staleView);

// On the memory store and on PostgreSQL (test/suite-stores.ts).
for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`stale view: the app moved under the plan (agent over the Meta emulator) (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await start(kind);
      await checkForUpdates(h); // a complete snapshot: the plan trusts it
    });
    afterEach(async () => { await h.close(); });

    test('an invite accepted meanwhile: the role change on the invite gets 100/33; the member gets the role and assets instead', async () => {
      const email = 'ivy@sandbox.example';
      await h.directory.createUser('u-ivy', email);
      await h.directory.patchGroup('Meta Advertisers', ['u-ivy']);
      const invite = await until('invite', () => invitesOf(h, email).find((i) => i.status === 'PENDING'));
      await checkForUpdates(h); // hubwarden knows the invite by its Meta id
      const { memberId } = h.emulator.control.acceptInvite(invite.id); // accepted; hubwarden has not looked since
      await h.directory.patchGroup('Meta Admins', ['u-ivy']);
      await until('the role change task', async () => (await tasksOf(h, 'change-invite-role')).find((t) => t.status === 'completed'));
      await h.agent.idle();

      const refused = h.emulator.calls.find((c) => c.method === 'POST' && c.path === `/${invite.id}`);
      assert.equal(refused?.code, 100, 'Meta refused the role change on the accepted invite');
      const task = (await tasksOf(h, 'change-invite-role'))[0];
      assert.equal((task.result as { outcome: string }).outcome, 'corrected-stale-view');
      assert.deepEqual(userByEmail(h, email).map((u) => [u.id, u.role]), [[memberId, 'ADMIN']]);
      assert.deepEqual(tasksOn(h, memberId), ['MANAGE', 'ADVERTISE', 'ANALYZE']);
      assert.equal((await h.store.get('appMembers', HUB, memberId))?.role, 'ADMIN');
      assert.equal(await h.store.get('appInvites', HUB, invite.id), undefined);
      assert.equal((await staleAudit(h, 'change-invite-role')).length, 1);
      assert.match((await staleAudit(h, 'change-invite-role'))[0].why, /corrected stale view: .*no longer pending.*did instead: .*change ivy@sandbox.example's role EMPLOYEE → ADMIN/);
      assert.deepEqual(await failedTasks(h), []);
      assert.equal(invitePosts(h.emulator, email).length, 1);
    });

    test('inviting someone who already holds a seat: Meta says "already a member"; they get their assets instead', async () => {
      const email = 'walk.in@sandbox.example';
      const { id } = await byHand(h, 'POST', `${BIZ}/business_users`, { email, role: 'EMPLOYEE' });
      const { memberId } = h.emulator.control.acceptInvite(id!);
      await h.directory.createUser('u-walk', email);
      await h.directory.patchGroup('Meta Advertisers', ['u-walk']);
      await until('the invite task', async () => (await tasksOf(h, 'invite')).find((t) => t.status === 'completed' || t.status === 'failed'));
      await h.agent.idle();

      const refused = h.emulator.calls.filter((c) => c.method === 'POST' && c.path === `/${BIZ}/business_users` && c.body.email === email && c.code === 100);
      assert.equal(refused.length, 1, 'Meta refused the invite of a member');
      assert.equal(((await tasksOf(h, 'invite'))[0].result as { outcome: string }).outcome, 'corrected-stale-view');
      assert.deepEqual(userByEmail(h, email).map((u) => u.id), [memberId]);
      assert.deepEqual(invitesOf(h, email), [], 'no invite');
      assert.deepEqual(tasksOn(h, memberId), ['ADVERTISE', 'ANALYZE']);
      assert.equal((await h.store.get('appMembers', HUB, memberId))?.email, email);
      assert.equal((await staleAudit(h, 'invite')).length, 1);
      assert.deepEqual(await failedTasks(h), []);
    });

    test('a member removed by hand before our role change: they are invited with the new role instead', async () => {
      const email = 'rex@sandbox.example';
      const memberId = await onboard(h, 'u-rex', email, 'Meta Advertisers');
      await h.agent.idle();
      await byHand(h, 'DELETE', memberId);
      await h.directory.patchGroup('Meta Admins', ['u-rex']);
      await until('the role change task', async () => (await tasksOf(h, 'change-member-role')).find((t) => t.status === 'completed' || t.status === 'failed'));
      await h.agent.idle();

      assert.equal(((await tasksOf(h, 'change-member-role'))[0].result as { outcome: string }).outcome, 'corrected-stale-view');
      assert.deepEqual(userByEmail(h, email), []);
      assert.deepEqual(invitesOf(h, email).map((i) => [i.status, i.role]), [['PENDING', 'ADMIN']]);
      assert.equal(await h.store.get('appMembers', HUB, memberId), undefined);
      assert.equal((await staleAudit(h, 'change-member-role')).length, 1);
      assert.deepEqual(await failedTasks(h), []);
      // The role change and the asset upgrade both found the seat gone and both re-planned an
      // invite; the second was refused by Meta as already pending (and taken as already-done).
      assert.equal(invitePosts(h.emulator, email).filter((c) => c.status === 200).length, 2, 'the first invite, then one for the new role');
    });

    test('an asset unshared before our assignment: Meta answers 100/33; the grant cannot be met and is reported, not failed', async () => {
      const eve = SANDBOX.employees[0];
      await h.directory.createUser('u-eve', 'eve.moneypenny@sandbox.example');
      await h.directory.patchGroup('Meta Advertisers', ['u-eve']);
      await h.agent.idle();
      assert.ok(await h.store.get('appAssets', HUB, `ad_account:${CLIENT_AD_ACCOUNT}`), 'the client ad account was listed');
      await byHand(h, 'DELETE', `${CLIENT_AD_ACCOUNT}/agencies`, { business: BIZ }, P.token); // the owner takes it back
      await h.directory.patchGroup('Client Ads', ['u-eve']);
      await until('the assignment task', async () => (await tasksOf(h, 'assign-asset')).find((t) => t.status === 'completed' || t.status === 'failed'));
      await h.agent.idle();

      const task = (await tasksOf(h, 'assign-asset')).find((t) => (t.payload as { op: { asset: { id: string } } }).op.asset.id === CLIENT_AD_ACCOUNT)!;
      assert.equal(task.status, 'completed');
      assert.equal((task.result as { outcome: string }).outcome, 'reported');
      assert.equal(tasksOn(h, eve, CLIENT_AD_ACCOUNT), undefined);
      assert.deepEqual(tasksOn(h, eve), ['ADVERTISE', 'ANALYZE'], 'the rest of her grant holds');
      assert.equal(await h.store.get('appAssets', HUB, `ad_account:${CLIENT_AD_ACCOUNT}`), undefined, 'the snapshot forgot the asset');
      const reported = await staleAudit(h, 'assign-asset');
      assert.equal(reported.length, 1);
      assert.equal(reported[0].outcome, 'failed');
      assert.match(reported[0].why, /cannot be met: ad_account act_555 no longer exists or is no longer shared/);
      assert.deepEqual(await failedTasks(h), []);
    });

    test('an invite cancelled by hand before our re-send: the re-send invites once', async () => {
      const email = SANDBOX.expiredInviteEmail;
      assert.equal((await h.store.get('appInvites', HUB, SANDBOX.expiredInviteId))?.status, 'expired');
      await byHand(h, 'DELETE', SANDBOX.expiredInviteId);
      await h.directory.createUser('u-late', email);
      await h.directory.patchGroup('Meta Advertisers', ['u-late']);
      await until('the re-send task', async () => (await tasksOf(h, 'reinvite')).find((t) => t.status === 'completed' || t.status === 'failed'));
      await h.agent.idle();

      assert.equal((await tasksOf(h, 'reinvite'))[0].status, 'completed');
      assert.deepEqual(invitesOf(h, email).map((i) => [i.status, i.role]), [['PENDING', 'EMPLOYEE']]);
      assert.equal(invitePosts(h.emulator, email).length, 1);
      assert.deepEqual(await failedTasks(h), []);
      await checkForUpdates(h);
      await h.agent.idle();
      assert.equal(invitePosts(h.emulator, email).length, 1, 'no second invite after the next check');
    });
  });
}
