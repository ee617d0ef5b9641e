import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { checkForUpdates, HUB, invitePosts, settle, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';

const JANE = 'jane@example.com';

// The agent's end-to-end flows on the memory store and on PostgreSQL (test/suite-stores.ts).
for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`Okta shape: Jane joins, accepts, moves to admins, leaves (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ store: kind });
      await checkForUpdates(h); // the first complete import
    });
    after(() => h.close());

    let memberId = '';

    test('added to "Meta Advertisers" → one invite as EMPLOYEE within a second', async () => {
      await h.directory.createUser('u-jane', JANE);
      const accepted = Date.now();
      await h.directory.patchGroup('Meta Advertisers', ['u-jane']);
      const post = await until('the invite call', () => invitePosts(h.emulator, JANE).find((c) => c.status === 200), 2_000);
      assert.ok(post.at - accepted < 1_000, `invite call ${post.at - accepted} ms after the push`);
      assert.equal(post.body.role, 'EMPLOYEE');
      await h.agent.idle();
      assert.equal(invitePosts(h.emulator, JANE).length, 1, 'exactly one invite');
      const invite = h.emulator.control.state().invites.find((i) => i.email === JANE);
      assert.equal(invite?.status, 'PENDING');
      assert.ok((await collect(h.store.list('appInvites', HUB))).some((i) => i.email === JANE && i.sentByHubwarden), 'the snapshot knows hubwarden sent it');
      const audit = (await h.agent.api.audit({ hubId: HUB, email: JANE }));
      assert.ok(audit.items.some((e) => e.action === 'invite' && e.outcome === 'ok' && e.trigger.idp === 'okta'), 'audited with its trigger');
    });

    test('a repeated push does not invite twice', async () => {
      await h.directory.patchGroup('Meta Advertisers', ['u-jane']);
      await h.agent.idle();
      assert.equal(invitePosts(h.emulator, JANE).length, 1);
    });

    test('accepts → ADVERTISE/ANALYZE on act_111', async () => {
      const invite = h.emulator.control.state().invites.find((i) => i.email === JANE)!;
      memberId = h.emulator.control.acceptInvite(invite.id, { name: 'Jane Doe' }).memberId;
      await checkForUpdates(h);
      const a = await until('act_111 assignment', () => h.emulator.control.state().assignments.find((x) => x.assetId === 'act_111' && x.userId === memberId));
      assert.deepEqual([...a.tasks].sort(), ['ADVERTISE', 'ANALYZE']);
    });

    test('moved to "Meta Admins" (removed first, then added) → ADMIN without losing access', async () => {
      let lostAccess = false;
      const watch = setInterval(() => {
        const s = h.emulator.control.state();
        const u = s.users.find((x) => x.id === memberId);
        const a = s.assignments.find((x) => x.assetId === 'act_111' && x.userId === memberId);
        if (!u || !a || !a.tasks.includes('ANALYZE')) lostAccess = true;
      }, 2);
      try {
        await h.directory.patchGroup('Meta Advertisers', [], ['u-jane']);
        await h.directory.patchGroup('Meta Admins', ['u-jane']);
        await until('ADMIN role', () => h.emulator.control.state().users.find((x) => x.id === memberId)?.role === 'ADMIN');
        await until('admin tasks', () => h.emulator.control.state().assignments.find((x) => x.assetId === 'act_111' && x.userId === memberId)?.tasks.includes('MANAGE'));
        await settle(h); // past the settle window
      } finally {
        clearInterval(watch);
      }
      assert.equal(lostAccess, false, 'Jane kept her seat and act_111 the whole time');
      assert.equal(h.emulator.calls.filter((c) => c.method === 'DELETE' && c.path.includes(memberId)).length, 0, 'no removal call');
      assert.equal(h.emulator.control.state().users.find((x) => x.id === memberId)?.role, 'ADMIN');
    });

    test('deactivated → seat removed (confirmDeprovisioning off)', async () => {
      await h.directory.setActive('u-jane', false);
      await until('removal', () => !h.emulator.control.state().users.some((x) => x.id === memberId), 6_000);
      const removal = await until('the removal audited', async () => (await h.agent.api.audit({ hubId: HUB, action: 'remove-member' })).items[0]);
      assert.equal(removal.outcome, 'ok');
      assert.match(removal!.why, /deactivated/);
      // The sandbox's own admins (not in the directory) are untouched.
      for (const id of SANDBOX.admins) assert.ok(h.emulator.control.state().users.some((x) => x.id === id));
    });
  });

  describe(`group move added first, then removed (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => { h = await startHarness({ store: kind }); await checkForUpdates(h); });
    after(() => h.close());

    test('upgrade at once; the later removal from the old group changes nothing', async () => {
      await h.directory.createUser('u-bob', 'bob@example.com');
      await h.directory.patchGroup('Meta Advertisers', ['u-bob']);
      await until('invite', () => h.emulator.control.state().invites.find((i) => i.email === 'bob@example.com'));
      const id = h.emulator.control.acceptInvite(h.emulator.control.state().invites.find((i) => i.email === 'bob@example.com')!.id).memberId;
      await checkForUpdates(h);
      await until('assignment', () => h.emulator.control.state().assignments.find((x) => x.assetId === 'act_111' && x.userId === id));
      await h.directory.patchGroup('Meta Admins', ['u-bob']);
      await until('ADMIN', () => h.emulator.control.state().users.find((x) => x.id === id)?.role === 'ADMIN');
      await h.directory.patchGroup('Meta Advertisers', [], ['u-bob']);
      await settle(h);
      const s = h.emulator.control.state();
      assert.equal(s.users.find((x) => x.id === id)?.role, 'ADMIN');
      assert.deepEqual([...s.assignments.find((x) => x.assetId === 'act_111' && x.userId === id)!.tasks].sort(), ['ADVERTISE', 'ANALYZE', 'MANAGE']);
    });
  });
}
