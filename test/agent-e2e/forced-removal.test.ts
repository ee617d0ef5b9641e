import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { exempt } from '../../agent/members/member-decisions.ts';
import { checkForUpdates, HUB, hubConfig, onboard, startHarness, until, type Harness } from './harness.ts';

/**
 * An owner's removal and a leaver workflow's offboarding skip the re-plan before their call (they
 * are decisions, not plans), but an exemption an owner grants while such a removal waits (here:
 * Meta answering 5xx on the member, so the task backs off) is a later decision and wins.
 */
let h: Harness;
const owner = { type: 'admin' as const, actor: 'owner@example.com' };
const hub = hubConfig().hubs[0]!;
before(async () => { h = await startHarness(); await checkForUpdates(h); });
after(() => h.close());
const inMeta = (id: string) => h.emulator.control.state().users.some((u) => u.id === id);

const paths = [
  { name: "an owner's removal", userId: 'u-bob', email: 'bob@example.com', queue: (seat: string) => h.agent.api.removeMember(HUB, seat, owner) },
  { name: 'an Entra leaver offboarding', userId: 'u-leo', email: 'leo@example.com', queue: () => h.agent.api.offboard({ email: 'leo@example.com' }, { type: 'entra-lifecycle', idp: 'entra', detail: 'leaver' }) },
];

for (const p of paths) {
  test(`${p.name} waiting on Meta is not made once the member is exempted`, async () => {
    const seat = await onboard(h, p.userId, p.email, 'Meta Advertisers');
    h.emulator.control.setFaults({ errorRate: 1, match: `/${seat}` });
    await p.queue(seat);
    await until('an attempt refused by Meta', async () => (await h.agent.api.tasks({ hubId: HUB, kind: 'remove-member' })).items.find((t) => t.lastError && t.summary.includes(p.email)));
    await h.store.transact((tx) => exempt(tx, hub, seat, { reason: 'agency contact' }, owner, new Date()));
    h.emulator.control.setFaults({});
    const task = await until('the removal task ended', async () => (await h.agent.api.tasks({ hubId: HUB, kind: 'remove-member' })).items.find((t) => t.summary.includes(p.email) && t.status === 'completed'));
    assert.ok(task);
    assert.ok(inMeta(seat), 'an exempted member is never removed');
    const audit = (await h.agent.api.audit({ hubId: HUB, email: p.email, action: 'remove-member' })).items;
    assert.ok(audit.some((e) => e.outcome === 'skipped' && /exempted by owner@example.com since it was queued/.test(e.why)), JSON.stringify(audit.map((e) => `${e.outcome}: ${e.why}`)));
    assert.ok(!audit.some((e) => e.outcome === 'ok'));
  });
}
