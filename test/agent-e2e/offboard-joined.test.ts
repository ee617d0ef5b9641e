/**
 * Two offboardings of one person (a hub-scoped admin token's and an every-hub token's) halted on
 * one approval (safety.offboards: threshold, agent/dispatch/offboard-brake.ts), for a person with
 * two seats. Approved, the removals are queued once, under the first offboarding; the one that
 * joined waits for the same tasks. Each tells its leaver workflow `completed` only once every seat
 * is gone, and `failed` (naming the seat) when one removal failed: the workflow polling either task
 * must not hear "offboarded" while a seat remains.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type express from 'express';
import { checkForUpdates, HUB, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';
import { callHold } from '../call-hold.ts';
import { recordDesiredChange } from '../../agent/outbox.ts';
import { SANDBOX, sandboxFixture } from '../../connectors/meta-business/emulator/index.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';

const owner: Trigger = { type: 'admin', actor: 'owner@example.com' };
const scoped: Trigger = { type: 'admin', actor: 'admin-token:portal', hubs: [HUB] };
const everyHub: Trigger = { type: 'admin', actor: 'admin-token:okta-workflows' };

/** People already in the business, each with two seats (a member at each of their two emails), and one with one. */
const PEOPLE = [
  { user: 'u-kim', emails: ['kim@example.com', 'kim.lee@example.com'], seats: ['9100000000000001', '9100000000000002'] },
  { user: 'u-rob', emails: ['rob@example.com', 'rob.o@example.com'], seats: ['9100000000000003', '9100000000000004'] },
  { user: 'u-ola', emails: ['ola@example.com'], seats: ['9100000000000005'] },
];

function fixture() {
  const f = sandboxFixture();
  for (const p of PEOPLE) {
    p.seats.forEach((id, n) => f.businessUsers.push({ id, businessId: SANDBOX.businessId, name: `${p.user} ${n}`, email: p.emails[n]!, role: 'EMPLOYEE' }));
  }
  return f;
}

const { front, holdNext } = callHold();
const isDeleteOf = (id: string) => (req: express.Request) => req.method === 'DELETE' && new RegExp(`^(/v[0-9.]+)?/${id}/?$`).test(req.path);

for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`a joined offboarding of a person with two seats (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    const seat = (id: string) => h.emulator.control.state().users.some((u) => u.id === id);
    const status = async (id: string) => (await h.agent.api.task(id))?.status;
    /** Both tokens offboard `email`; both halt on one approval, which the owner approves. */
    const approvedTwice = async (email: string) => {
      const first = await h.agent.api.offboard({ email }, scoped);
      await until('first offboarding halted', async () => (await status(first.id)) === 'needs-approval', 8_000);
      const second = await h.agent.api.offboard({ email }, everyHub);
      assert.notEqual(second.id, first.id, 'two offboardings (keyed apart by token scope)');
      await until('second offboarding halted', async () => (await status(second.id)) === 'needs-approval', 8_000);
      const pending = (await h.agent.api.approvals(HUB)).filter((a) => a.status === 'pending');
      assert.equal(pending.length, 1, 'one approval for both');
      assert.equal(pending[0]!.operations.length, 2, 'holding both seats');
      return { first, second, approve: () => h.agent.api.decideApproval(pending[0]!.id, 'approve', owner) };
    };

    before(async () => {
      // 0 %: any offboarding with a removal already in the window halts; the first of an empty window goes.
      h = await startHarness({ store: kind, front, safety: { offboards: 'threshold', removalThresholdPercent: 0 }, emulator: { fixture: fixture() } });
      const at = new Date().toISOString();
      await h.store.transact((tx) => {
        for (const p of PEOPLE) {
          tx.put('directoryUsers', HUB, p.user, { hubId: HUB, id: p.user, userName: p.emails[0]!, active: true, email: p.emails[0]!, emails: p.emails, scim: {}, created: at, lastModified: at, version: 1 });
          recordDesiredChange(tx, { hubId: HUB, trigger: { type: 'scim', idp: 'okta' }, changes: [{ kind: 'user-created', userId: p.user }] });
        }
      });
      await h.directory.patchGroup('Meta Advertisers', PEOPLE.map((p) => p.user));
      await checkForUpdates(h);
      // Fills the removal window: the next offboardings halt.
      const ola = await h.agent.api.offboard({ email: 'ola@example.com' }, everyHub);
      await until('first offboarding completed', async () => (await status(ola.id)) === 'completed', 8_000);
    });
    after(() => h.close());

    test('approved: neither offboarding completes while the second seat\'s removal is still in flight', async () => {
      const [one, two] = PEOPLE[0]!.seats as [string, string];
      const { first, second, approve } = await approvedTwice('kim@example.com');
      const inFlight = holdNext(isDeleteOf(two), 2_500);
      await approve();
      await inFlight;
      await until('the first seat removed', () => !seat(one), 8_000);
      // The first seat's removal ended; give a wrongly woken offboarding its run.
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(seat(two), 'the second seat\'s removal is still in flight');
      for (const t of [first, second]) assert.notEqual(await status(t.id), 'completed', `offboarding ${t.id} is not "completed" while a seat remains`);
      for (const t of [first, second]) await until('offboarding completed', async () => (await status(t.id)) === 'completed', 10_000);
      assert.ok(!seat(two));
    });

    test('approved, and the second seat\'s removal fails: both offboardings fail, naming that seat', async () => {
      const [one, two] = PEOPLE[1]!.seats as [string, string];
      const { first, second, approve } = await approvedTwice('rob@example.com');
      h.emulator.control.setFaults({ errorRate: 1, match: two });
      try {
        await approve();
        for (const t of [first, second]) {
          const ended = await until('offboarding ended', async () => { const v = await h.agent.api.task(t.id); return v && ['completed', 'failed', 'cancelled'].includes(v.status) ? v : undefined; }, 20_000);
          assert.equal(ended.status, 'failed', `offboarding ${t.id}`);
          assert.match(ended.lastError?.message ?? '', /rob\.o@example\.com.*failed/, 'names the seat left in place');
        }
        assert.ok(!seat(one) && seat(two));
      } finally {
        h.emulator.control.setFaults({});
      }
    });
  });
}
