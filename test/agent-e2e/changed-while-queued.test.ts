import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { pauseHub, resumeHub } from '../../agent/tasks/hub-state.ts';
import type express from 'express';
import { callHold } from '../call-hold.ts';
import { checkForUpdates, HUB, invitePosts, onboard, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';

/**
 * A person's groups change while an app change for them is on its way. An invite task's key names
 * the person, not the role, so a role change meets the same task: it must still decide the role
 * Meta ends up with, whether the task was waiting its turn or already calling Meta. A change that
 * undoes a call in flight (re-added while removed, removed while invited) plans nothing while the
 * call is unrecorded; the person is re-planned once it is (tasks/operations/running-for-person.ts).
 */
const opTask = async (h: Harness, kind: string, email: string) =>
  (await collect(h.store.list('tasks', HUB))).find((t) => t.kind === kind && (t.payload as { op: { email: string } }).op.email === email);
const inviteTask = (h: Harness, email: string) => opTask(h, 'invite', email);
const pendingInvite = (h: Harness, email: string) => h.emulator.control.state().invites.find((i) => i.email === email && i.status === 'PENDING');

const INVITE_PATH = new RegExp(`^(/v[0-9.]+)?/${SANDBOX.businessId}/business_users/?$`);
const isInvitePost = (req: express.Request) => req.method === 'POST' && INVITE_PATH.test(req.path);

/**
 * Pushes a new user into Meta Advertisers with their invite call (POST business_users) taking
 * 1.5 s, makes `change` once that call has reached Meta, waits for the invite to be sent and then
 * for `settled`.
 */
async function duringInviteCall(h: Harness, holdNext: ReturnType<typeof callHold>['holdNext'], user: { id: string; email: string }, change: () => Promise<void>, settled: [what: string, probe: () => unknown]): Promise<void> {
  await h.directory.createUser(user.id, user.email);
  const inFlight = holdNext(isInvitePost);
  await h.directory.patchGroup('Meta Advertisers', [user.id]);
  await inFlight;
  assert.equal((await inviteTask(h, user.email))?.status, 'running', 'the invite task is the one calling Meta');
  await change();
  await until('the invite sent', () => invitePosts(h.emulator, user.email).some((c) => c.status === 200));
  await until(settled[0], settled[1]);
  await h.agent.idle();
}

const kinds = await suiteStores('memory', 'postgres');
// One store kind beside the other: each has its own harness (agent, store, emulator) and its own
// call hold, and most of a case is a held call or a settle window waited out, idle. A store's own
// cases run one after the other (concurrency: false; they would inherit the parent's).
describe('a group change while the invite is queued or running, on each store side by side', { concurrency: true }, () => {
  for (const kind of kinds) {
    describe(`a group change while the invite is queued or running (${kind.kind})`, { skip: kind.skip, concurrency: false }, () => {
      /** The Meta call a case needs in flight (test/call-hold.ts). */
      const { front, holdNext } = callHold();
      let h: Harness;
      before(async () => {
        h = await startHarness({ store: kind, front });
        await checkForUpdates(h);
      });
      after(() => h.close());

      test('moved to admins while the invite waits (hub paused): the invite goes out as ADMIN, once', async () => {
        await h.store.transact((tx) => pauseHub(tx, HUB, 'held by the test', 'test', new Date()));
        await h.directory.createUser('u-sam', 'sam@example.com');
        await h.directory.patchGroup('Meta Advertisers', ['u-sam']);
        await until('the invite queued', () => inviteTask(h, 'sam@example.com'));
        await h.directory.patchGroup('Meta Admins', ['u-sam']);
        await until('the change dispatched', async () => (await h.store.partitions('outbox')).length === 0);
        assert.equal((await inviteTask(h, 'sam@example.com'))?.status, 'queued', 'still the one task, waiting');
        await h.store.transact((tx) => resumeHub(tx, HUB));
        h.agent.runner.poke();
        const post = await until('the invite call', () => invitePosts(h.emulator, 'sam@example.com').find((c) => c.status === 200));
        assert.equal(post.body.role, 'ADMIN', 'the role the directory asks for now, not the one queued');
        await h.agent.idle();
        assert.equal(invitePosts(h.emulator, 'sam@example.com').length, 1);
      });

      test('moved to admins while the invite call is in flight: the pending invite is raised to ADMIN after it', async () => {
        await duringInviteCall(h, holdNext, { id: 'u-kim', email: 'kim@example.com' }, () => h.directory.patchGroup('Meta Admins', ['u-kim']),
          ['the pending invite raised to ADMIN', () => pendingInvite(h, 'kim@example.com')?.role === 'ADMIN']);
        assert.equal(invitePosts(h.emulator, 'kim@example.com').length, 1, 'one invite, its role changed after');
        const audit = await h.agent.api.audit({ hubId: HUB, email: 'kim@example.com' });
        assert.ok(audit.items.some((e) => e.action === 'change-invite-role' && e.outcome === 'ok'), 'the role change is audited');
      });

      test('re-added to the group while the removal call is in flight: invited again after it', async () => {
        const lee = await onboard(h, 'u-lee', 'lee@example.com', 'Meta Advertisers');
        const inFlight = holdNext((req) => req.method === 'DELETE' && new RegExp(`^(/v[0-9.]+)?/${lee}/?$`).test(req.path));
        await h.directory.patchGroup('Meta Advertisers', [], ['u-lee']);
        await inFlight;
        assert.equal((await opTask(h, 'remove-member', 'lee@example.com'))?.status, 'running', 'the removal task is the one calling Meta');
        await h.directory.patchGroup('Meta Advertisers', ['u-lee']);
        await until('the member removed', () => !h.emulator.control.state().users.some((u) => u.id === lee));
        await until('invited again', () => pendingInvite(h, 'lee@example.com'));
        await h.agent.idle();
        assert.equal(invitePosts(h.emulator, 'lee@example.com').filter((c) => c.status === 200).length, 2, 'the first invite, and one after the removal');
      });

      test('removed from the group while the invite call is in flight: the invite is cancelled after it', async () => {
        await duringInviteCall(h, holdNext, { id: 'u-max', email: 'max@example.com' }, () => h.directory.patchGroup('Meta Advertisers', [], ['u-max']),
          ['the invite cancelled after the settle window', () => h.emulator.calls.some((c) => c.method === 'DELETE' && c.status === 200) && !pendingInvite(h, 'max@example.com')]);
        assert.equal(pendingInvite(h, 'max@example.com'), undefined, 'no invite left for someone in no mapped group');
        const audit = await h.agent.api.audit({ hubId: HUB, email: 'max@example.com' });
        assert.ok(audit.items.some((e) => e.action === 'cancel-invite' && e.outcome === 'ok'), 'the cancellation is audited');
      });

      test('deleted in the IdP while the invite call is in flight: the invite is cancelled after it', async () => {
        await duringInviteCall(h, holdNext, { id: 'u-ida', email: 'ida@example.com' }, () => h.directory.deleteUser('u-ida'),
          ['the invite cancelled', () => !pendingInvite(h, 'ida@example.com')]);
        const audit = await h.agent.api.audit({ hubId: HUB, email: 'ida@example.com' });
        assert.ok(audit.items.some((e) => e.action === 'cancel-invite' && e.outcome === 'ok' && /deleted/.test(e.why)), 'cancelled as a deleted user\'s, audited');
      });
    });
  }
});
