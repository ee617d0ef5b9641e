import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import type { FaultConfig } from '../../connectors/meta-business/emulator/faults.ts';
import { checkForUpdates, HUB, invitePosts, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';

/**
 * An invite whose outcome is unknown (Meta made it, its answer was lost), then the IdP changes the
 * person's email. The invite at the old email may exist: it is looked up before the person is
 * invited at the new one (agent/tasks/operations/settle-invite.ts), so they never hold two
 * invitations. Found pending, it stays theirs, as an invite whose outcome was known does
 * (email-change.test.ts).
 *
 * The emulator makes the first invite and loses its answer (`lostReply`), and fails every look-up
 * of pending invites (`pending_users`) until the test lifts it, so the invite task cannot learn
 * what became of it before the email changes.
 */
const UNKNOWN: FaultConfig = { lostReply: { match: 'business_users$' }, errorRate: 1, match: 'pending_users' };

const inviteTask = async (h: Harness, email: string) =>
  (await collect(h.store.list('tasks', HUB))).find((t) => t.kind === 'invite' && (t.payload as { op: { email: string } }).op.email === email);
const pendingAt = (h: Harness, email: string) => h.emulator.control.state().invites.filter((i) => i.email === email && i.status === 'PENDING');

/** Pushes `id` into Meta Advertisers; returns the invite Meta made, whose answer the agent never got. */
async function inviteWithLostAnswer(h: Harness, id: string, email: string) {
  h.emulator.control.setFaults(UNKNOWN);
  await h.directory.createUser(id, email);
  await h.directory.patchGroup('Meta Advertisers', [id]);
  const invite = await until('the invite made, its answer lost', () => pendingAt(h, email)[0]);
  await until('the invite task retrying, its outcome unknown', async () => {
    const t = await inviteTask(h, email);
    return t && t.attempts >= 2 && t.status !== 'running' && t.status !== 'completed';
  });
  return invite;
}

for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`an invite of unknown outcome, then the email changes (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ store: kind });
      await checkForUpdates(h);
    });
    after(() => h.close());

    test('the invitation at the old email is found pending: recorded as theirs, audited, and none is sent to the new email', async () => {
      const first = await inviteWithLostAnswer(h, 'u-ann', 'ann@example.com');
      await h.directory.changeEmail('u-ann', 'ann.new@example.com');
      await until('the invite at the new email planned', () => inviteTask(h, 'ann.new@example.com'));
      h.emulator.control.setFaults({});
      await until('the invitation recorded as theirs', async () => (await h.store.get('memberMatches', HUB, `invite:${first.id}`))?.directoryUserId === 'u-ann');
      await h.agent.idle();

      assert.deepEqual(pendingAt(h, 'ann@example.com').map((i) => i.id), [first.id], 'the invitation at the old email stays');
      assert.equal(invitePosts(h.emulator, 'ann.new@example.com').length, 0, 'no second invitation');
      assert.ok(!h.emulator.calls.some((c) => c.method === 'DELETE'), 'nothing cancelled');
      const audit = await h.agent.api.audit({ hubId: HUB, email: 'ann@example.com' });
      const found = audit.items.find((e) => e.action === 'invite' && e.outcome === 'already-done' && e.subject?.memberId === `invite:${first.id}`);
      assert.ok(found, JSON.stringify(audit.items.map((e) => `${e.action} ${e.outcome}: ${e.why}`)));
      assert.equal(found.subject?.directoryUserId, 'u-ann');
      assert.match(found.why, /pending invitation .* recorded as theirs/);
    });

    test('accepted before the email changed: no new invitation, the seat is matched to the person and updated', async () => {
      const first = await inviteWithLostAnswer(h, 'u-bo', 'bo@example.com');
      const { memberId } = h.emulator.control.acceptInvite(first.id);
      await h.directory.changeEmail('u-bo', 'bo.new@example.com');
      await until('the invite at the new email planned', () => inviteTask(h, 'bo.new@example.com'));
      h.emulator.control.setFaults({});
      await until('the seat matched to the person, or an invitation sent', async () =>
        (await h.store.get('memberMatches', HUB, memberId))?.directoryUserId === 'u-bo' || invitePosts(h.emulator, 'bo.new@example.com').length > 0);
      assert.equal(invitePosts(h.emulator, 'bo.new@example.com').length, 0, 'no invitation at the new email');
      await until('the seat given its ad account', () => h.emulator.control.state().assignments.some((a) => a.assetId === 'act_111' && a.userId === memberId));
      await h.agent.idle();

      assert.equal(invitePosts(h.emulator, 'bo.new@example.com').length, 0, 'no invitation at the new email');
      assert.deepEqual(pendingAt(h, 'bo.new@example.com'), []);
      assert.equal((await h.store.get('memberMatches', HUB, memberId))?.outcome, 'onboarded');
      const audit = await h.agent.api.audit({ hubId: HUB, email: 'bo@example.com' });
      assert.ok(audit.items.some((e) => e.action === 'invite' && e.subject?.memberId === memberId && /accepted/.test(e.why)), 'what was found is audited');
    });

    test('while Meta cannot say what became of the first invite, none is sent to the new email', async () => {
      await inviteWithLostAnswer(h, 'u-cy', 'cy@example.com');
      await h.directory.changeEmail('u-cy', 'cy.new@example.com');
      await until('the new invite tried (sent, or held back three times)', async () =>
        invitePosts(h.emulator, 'cy.new@example.com').length > 0 || ((await inviteTask(h, 'cy.new@example.com'))?.attempts ?? 0) >= 3);
      assert.equal(invitePosts(h.emulator, 'cy.new@example.com').length, 0, 'nothing sent while the first invite is unresolved');

      h.emulator.control.setFaults({});
      await h.agent.api.reevaluatePerson({ email: 'cy.new@example.com' }, { type: 'admin', actor: 'e2e' });
      await until('the first invitation found and recorded as theirs', async () => {
        const rows = await collect(h.store.list('memberMatches', HUB));
        return rows.some((m) => m.directoryUserId === 'u-cy' && m.memberId.startsWith('invite:'));
      });
      await h.agent.idle();
      assert.equal(pendingAt(h, 'cy@example.com').length, 1, 'the first invitation stays');
      assert.equal(invitePosts(h.emulator, 'cy.new@example.com').length, 0, 'none sent once Meta answers either');
    });
  });
}
