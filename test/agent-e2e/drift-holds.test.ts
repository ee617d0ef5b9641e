/**
 * `safety.drift`: a role changed by hand in Meta (Business Settings, not hubwarden) is kept under
 * `report` for as long as it stays, through later checks, SCIM pushes and the settle pass, and
 * undone under `correct`; a leaver loses a seat made by hand whatever the policy.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { collect } from '../../agent/store/store.ts';
import { checkForUpdates, HUB, onboard, settle, silent, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';

/** Someone with access to the business, changing it by hand through the Graph API. */
const byHand = (h: Harness) => createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: h.url }, { log: silent });
const roleOf = (h: Harness, id: string) => h.emulator.control.state().users.find((u) => u.id === id)?.role;

const kinds = await suiteStores('memory', 'lowdb', 'postgres');
// Every describe below beside the others: each has its own harness (agent, store, emulator), and
// most of a case is a settle window waited out, idle. A describe's own cases run one after the
// other (concurrency: false; they would inherit the parent's), each on what the one before did.
describe('drift holds on each store, side by side', { concurrency: true }, () => {
  for (const kind of kinds) {
    describe(`drift: report keeps a change made by hand (${kind.kind})`, { skip: kind.skip, concurrency: false }, () => {
      let h: Harness;
      before(async () => { h = await startHarness({ store: kind }); await checkForUpdates(h); });
      after(() => h.close());

      test('a role changed by hand survives two further checks, a SCIM push for the person and another person\'s settle pass', async () => {
        const jane = await onboard(h, 'u-jane', 'jane@example.com', 'Meta Advertisers');
        const bob = await onboard(h, 'u-bob', 'bob@example.com', 'Meta Advertisers');
        assert.equal(roleOf(h, jane), 'EMPLOYEE');
        await byHand(h).changeMemberRole!(jane, 'ADMIN');
        await checkForUpdates(h);
        await settle(h);
        assert.equal(roleOf(h, jane), 'ADMIN', 'kept after the check that found it');

        for (let n = 0; n < 2; n++) {
          await checkForUpdates(h);
          await settle(h);
          assert.equal(roleOf(h, jane), 'ADMIN', `kept after check ${n + 2}`);
        }
        const holds = await collect(h.store.list('driftHolds', HUB));
        assert.deepEqual(holds.map((x) => [x.rowId, x.change, x.before, x.after]), [[jane, 'role', ['EMPLOYEE'], ['ADMIN']]]);
        await h.directory.setActive('u-jane', true); // a SCIM push for Jane: her reconcile-person
        await settle(h);
        assert.equal(roleOf(h, jane), 'ADMIN', 'kept after a SCIM push for her');
        await h.directory.patchGroup('Meta Advertisers', [], ['u-bob']); // Bob's removal: a settle pass
        await until('bob removed', () => !roleOf(h, bob), 8_000);
        await settle(h);
        assert.equal(roleOf(h, jane), 'ADMIN', 'kept through another person\'s settle pass');
        const held = (await h.agent.api.audit({ hubId: HUB, email: 'jane@example.com', action: 'change-member-role' })).items;
        assert.ok(held.some((e) => e.outcome === 'skipped' && /made by hand in the app; reported, not corrected/.test(e.why)), JSON.stringify(held));
        assert.equal((await h.agent.api.plan(HUB)).filter((o) => o.kind === 'held:change-member-role' && o.memberId === jane).length, 1);
      });

      test('the hold ends when the directory moves on: Jane joins the admins, then leaves them, and gets the role her group gives', async () => {
        const jane = h.emulator.control.state().users.find((u) => u.email === 'jane@example.com')!.id;
        await h.directory.patchGroup('Meta Admins', ['u-jane']);
        await settle(h); // her MANAGE task sent before the check reads the app
        await checkForUpdates(h); // the hub's pass: the plan no longer puts back EMPLOYEE, so the hold ends
        assert.deepEqual(await collect(h.store.list('driftHolds', HUB)), []);
        assert.ok((await h.agent.api.audit({ hubId: HUB, action: 'drift-hold-ended' })).items.some((e) => e.subject?.memberId === jane));
        await h.directory.patchGroup('Meta Admins', [], ['u-jane']);
        await until('Jane back to EMPLOYEE', async () => { await settle(h); return roleOf(h, jane) === 'EMPLOYEE'; }, 10_000);
      });

      test('a leaver\'s seat made by hand is still removed', async () => {
        await h.directory.createUser('u-walk', 'walk.in@example.com'); // in the directory, in no group
        const { inviteId } = await byHand(h).invite!({ email: 'walk.in@example.com', role: 'EMPLOYEE' });
        const { memberId } = h.emulator.control.acceptInvite(inviteId);
        await checkForUpdates(h);
        await settle(h);
        assert.equal(roleOf(h, memberId), 'EMPLOYEE', 'a member added by hand is kept under report');
        assert.ok((await collect(h.store.list('driftHolds', HUB))).some((x) => x.rowId === memberId && x.change === 'seat'));
        await h.directory.setActive('u-walk', false);
        await until('the leaver\'s seat removed', () => !roleOf(h, memberId), 8_000);
      });
    });

    describe(`drift: correct undoes a change made by hand (${kind.kind})`, { skip: kind.skip, concurrency: false }, () => {
      let h: Harness;
      before(async () => { h = await startHarness({ store: kind, safety: { drift: 'correct' } }); await checkForUpdates(h); });
      after(() => h.close());

      test('a role changed by hand is put back after the check that finds it', async () => {
        const jane = await onboard(h, 'u-jane', 'jane@example.com', 'Meta Advertisers');
        await byHand(h).changeMemberRole!(jane, 'ADMIN');
        await checkForUpdates(h);
        await until('Jane back to EMPLOYEE', async () => { await settle(h); return roleOf(h, jane) === 'EMPLOYEE'; }, 10_000);
        assert.deepEqual(await collect(h.store.list('driftHolds', HUB)), []);
      });
    });
  }
});
