import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../config/schema.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { startWatchdog } from './watchdog.ts';
import '../app-state/records.ts';
import '../tasks/task-record.ts';
import { collect } from '../store/store.ts';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import { standingsOfHub } from '../standing/standing.ts';
import { planHub } from '../plan/plan-hub.ts';
import { classify } from '../safety/classify.ts';

/** A MemoryStore that says several replicas share it (Store.shared). */
class SharedMemoryStore extends MemoryStore {
  readonly shared = true;
}

const hubs = configSchema.parse({ hubs: [{ id: 'acme', connector: 'meta-business', meta: { businessId: '1' } }] }).hubs;
const log = { warn() {}, error() {} };

test('the watchdog on three replicas sharing a store runs one round per interval between them', async () => {
  const store = new SharedMemoryStore();
  const rounds: string[] = [];
  const started = Date.now();
  const dogs = ['a', 'b', 'c'].map((replica) => startWatchdog({ store, hubs, log, intervalMs: 100, connectorFor: () => { rounds.push(replica); return undefined; } }));
  // Waited for, not timed (a loaded machine's timers slip): four rounds, then at most one per
  // interval that passed. Three watchdogs each keeping their own interval run three per interval.
  const deadline = started + 5_000;
  while (rounds.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  dogs.forEach((d) => d.stop());
  const intervals = Math.floor((Date.now() - started) / 100) + 1;
  assert.ok(rounds.length >= 4 && rounds.length <= intervals + 1, `${rounds.length} rounds in ${intervals} intervals: ${rounds.join('')}`);
});

test('on a store one process uses, each watchdog keeps its own interval (as before)', async () => {
  const store = new MemoryStore();
  const rounds: { replica: string; at: number }[] = [];
  const dogs = ['a', 'b'].map((replica) => startWatchdog({ store, hubs, log, intervalMs: 100, connectorFor: () => { rounds.push({ replica, at: Date.now() }); return undefined; } }));
  // Waited for, not timed, so a loaded machine whose timers slip still passes.
  const of = (r: string) => rounds.filter((x) => x.replica === r);
  const deadline = Date.now() + 5_000;
  while ((of('a').length < 3 || of('b').length < 3) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  dogs.forEach((d) => d.stop());
  const order = rounds.map((r) => r.replica).join('');
  assert.ok(of('a').length >= 3 && of('b').length >= 3, order);
  // No slot shared between them: both run in the same interval (started together, their rounds
  // come moments apart). Watchdogs that took turns by slot would never both run in one.
  const together = of('a').filter((a) => of('b').some((b) => Math.abs(b.at - a.at) < 50)).length;
  assert.ok(together >= 2, `rounds in the same interval: ${together} (${order})`);
});

// README (Matching): "a lapsed exemption is audited and the member returns to matching"; an owner's
// exempt / unexempt queue a reconcile pass (member-service.ts `decide`). A lapse must do the same, and
// write the standing back, or the seat stays unprotected-but-untouched and the IdP keeps `exempted`
// until the next check for updates.
test('a lapsed exemption retired by the watchdog re-plans the hub and writes the standing back', async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  const hub = testHub();
  const at = '2026-11-01T00:00:00.000Z';
  const now = new Date('2026-12-01T00:00:00.000Z');
  await store.transact((tx) => {
    // Kim is in no team any more: only the exemption kept her seat.
    tx.put('directoryUsers', hub.id, 'u-kim', testUser('u-kim', 'kim@example.com'));
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-kim', { hubId: hub.id, id: 'm-kim', email: 'kim@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('memberMatches', hub.id, 'm-kim', { hubId: hub.id, memberId: 'm-kim', outcome: 'exempted', directoryUserId: 'u-kim', manual: false, at });
    tx.put('exemptions', hub.id, 'm-kim', { hubId: hub.id, memberId: 'm-kim', reason: 'trial', by: 'owner', at, until: '2026-11-15T00:00:00.000Z' });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const written: string[] = [];
  const dog = startWatchdog({ store, hubs: [hub], log, intervalMs: 3_600_000, clock: () => now, connectorFor: () => undefined, writeback: { run: async (h) => { written.push(h); } } });
  await dog.runOnce();
  dog.stop();
  assert.equal(await store.get('exemptions', hub.id, 'm-kim'), undefined, 'retired');
  assert.equal((await standingsOfHub(store, hub.id, now)).get('u-kim')?.standing, 'onboarded', 'no longer exempted for write-back');
  assert.deepEqual(written, [hub.id], 'the standing is written back now, not at the next check for updates');
  const tasks = await collect(store.list('tasks', hub.id));
  assert.deepEqual(tasks.map((t) => [t.kind, t.status]), [['reconcile-hub', 'queued']], 'the hub is re-planned, as after an owner\'s unexempt');
  // The pass that runs removes the seat the exemption protected, through the settle window's brakes.
  const result = await planHub(store, hub, { now });
  const removal = result.operations.find((o) => o.kind === 'remove-member');
  assert.ok(removal, result.operations.map((o) => o.key).join());
  assert.equal(classify(removal), 'settle');
  // A second round with nothing lapsed queues nothing more and writes nothing.
  await startWatchdog({ store, hubs: [hub], log, clock: () => now, connectorFor: () => undefined, writeback: { run: async (h) => { written.push(h); } } }).runOnce();
  assert.deepEqual(written, [hub.id]);
});

// The run fails at its start (it throws), or stops part way and says so in its report (`stopped`).
const refusals = [
  { how: 'throws', run: async () => { throw new Error('okta: 401 E0000011 Invalid token provided'); } },
  { how: 'stops part way', run: async () => ({ hubId: 'h', written: 3, failed: 7, stopped: 'okta: 401 E0000011 Invalid token provided' }) },
];
for (const refused of refusals) test(`a write-back the identity provider refuses after a lapsed exemption (the run ${refused.how}) is audited as failed, with the exemption lapse`, async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  const hub = testHub();
  const at = '2026-11-01T00:00:00.000Z';
  const now = new Date('2026-12-01T00:00:00.000Z');
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-kim', testUser('u-kim', 'kim@example.com'));
    tx.put('appMembers', hub.id, 'm-kim', { hubId: hub.id, id: 'm-kim', email: 'kim@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('exemptions', hub.id, 'm-kim', { hubId: hub.id, memberId: 'm-kim', reason: 'trial', by: 'owner', at, until: '2026-11-15T00:00:00.000Z' });
  });
  await startWatchdog({ store, hubs: [hub], log, clock: () => now, connectorFor: () => undefined, writeback: refused }).runOnce();
  const audit = await collect(store.list('audit', hub.id));
  assert.ok(audit.some((e) => e.action === 'exemption-lapsed' && e.outcome === 'ok'), 'the lapse itself');
  const failed = audit.find((e) => e.action === 'writeback.run');
  assert.ok(failed, audit.map((e) => e.action).join());
  assert.equal(failed.outcome, 'failed');
  assert.deepEqual(failed.trigger, { type: 'agent', detail: 'watchdog: exemption lapsed' });
  assert.match(failed.why, /after an exemption lapsed on hub .* stopped: okta: 401 E0000011 Invalid token provided/);
});
