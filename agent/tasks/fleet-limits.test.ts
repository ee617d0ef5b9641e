import type { HubConfigFile } from '../../config/schema.ts';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../../connectors/sdk/connector-error.ts';
import { postgresForTests, testSchema } from '../../test/postgres.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { roundTrips } from '../store/round-trips.test-double.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import type { Change, Store, Transaction } from '../store/store.ts';
import { enqueueTask } from './enqueue.ts';
import type { TaskHandler } from './handler.ts';
import { resumeHub } from './hub-state.ts';
import { blockScope } from './scope-blocks.ts';
import { TaskRunner, type TaskRunnerOptions } from './task-runner.ts';
import type { TaskRecord } from './task-record.ts';
import { until } from '../../test/agent-e2e/harness.ts';

/**
 * A hub's limits across replicas (fleet-limits.ts, scope-blocks.ts): two task runners, as two
 * replicas would run them, on one store the way replicas share it. First on a MemoryStore that
 * says it is shared (one process, every change reported with its record), then on two
 * PostgresStore instances on one schema (other replicas' changes reported as remote hints).
 */
const trigger = { type: 'admin' as const, actor: 'test' };
const silent = { debug() {}, info() {}, warn() {}, error() {} };

class FleetMemoryStore extends MemoryStore {
  readonly shared = true;
  private muted = 0;
  override subscribe(listener: (changes: readonly Change[]) => void): () => void {
    return super.subscribe((changes) => { if (this.muted === 0) listener(changes); });
  }
  /** Commits without telling anyone (a notification lost while the feed reconnected). */
  async quietly<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    this.muted++;
    try {
      return await this.transact(fn);
    } finally {
      this.muted--;
    }
  }
}

function runnerOn(store: Store, handlers: TaskHandler[], extra: Partial<TaskRunnerOptions> = {}): TaskRunner {
  return new TaskRunner({ store, handlers, hubs: () => new Map(), connectorFor: () => undefined, log: silent, backoffBaseMs: 5, backoffMaxMs: 20, pollMs: 50, ...extra });
}

const enqueue = (store: Store, n: number, o: { hubId?: string; scope?: string; prefix?: string; kind?: string } = {}) => store.transact(async (tx) => {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = `${o.prefix ?? 't'}${i}`;
    ids.push((await enqueueTask(tx, { hubId: o.hubId ?? 'h1', kind: o.kind ?? 'k', payload: { key }, idempotencyKey: key, trigger, summary: key, scope: o.scope ?? 'app' })).id);
  }
  return ids;
});

const statusOf = async (store: Store, id: string, hubId = 'h1') => (await store.get('tasks', hubId, id))?.status;
const allDone = (store: Store, ids: string[], hubId = 'h1') => async () => (await Promise.all(ids.map((id) => statusOf(store, id, hubId)))).every((s) => s === 'completed');

/**
 * The cases, each given two stores that are "the same store" seen from two replicas (on memory:
 * the same instance), and something that commits without any notification reaching `b`.
 */
interface Fleet {
  a: Store;
  b: Store;
  /** Commits as a replica whose notifications `b` never gets. */
  unheard<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R>;
}

function fleetCases(fleet: () => Promise<Fleet>): void {
  test('two runners together start no more tasks than one hub budget allows', async (t) => {
    const { a, b } = await fleet();
    const starts: number[] = [];
    const handler: TaskHandler = { kind: 'k', async run() { starts.push(Date.now()); return { status: 'completed' }; } };
    const ra = runnerOn(a, [handler], { requestsPerSecondPerHub: 20 });
    const rb = runnerOn(b, [handler], { requestsPerSecondPerHub: 20 });
    t.after(() => Promise.all([ra.stop(), rb.stop()]));
    await Promise.all([ra.start(), rb.start()]);
    const queuedAt = Date.now(); // no token is taken before there is work
    const ids = await enqueue(a, 40);
    await until('every task done', allDone(a, ids), 10_000);
    // Burst 20, then 20 per second: within 500 ms at most 20 + 10 (+1 for timer rounding). Each
    // runner keeping its own bucket would start all 40 at once.
    const early = starts.filter((s) => s - queuedAt < 500).length;
    assert.ok(early <= 31, `${early} tasks started in the first 500 ms`);
    assert.ok(Math.max(...starts) - queuedAt >= 950, 'the last tokens came at the budget rate');
  });

  test("a hub's concurrency holds across runners", async (t) => {
    const { a, b } = await fleet();
    let inFlight = 0;
    let most = 0;
    const handler: TaskHandler = { kind: 'k', async run() {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 100));
      inFlight--;
      return { status: 'completed' };
    } };
    const ra = runnerOn(a, [handler], { concurrencyPerHub: 2, pollMs: 20 });
    const rb = runnerOn(b, [handler], { concurrencyPerHub: 2, pollMs: 20 });
    t.after(() => Promise.all([ra.stop(), rb.stop()]));
    await Promise.all([ra.start(), rb.start()]);
    const ids = await enqueue(a, 12);
    await until('every task done', allDone(a, ids), 10_000);
    assert.equal(most, 2, 'at most two calling at once across both runners');
    await until('both give their call slots back once idle', async () => Object.keys((await a.get('hubBudgets', '', 'h1'))?.held ?? {}).length === 0, 2_000);
  });

  test("a killed replica's share of the concurrency lapses with its leases", async (t) => {
    const { a, b } = await fleet();
    const started: number[] = [];
    const rb = runnerOn(b, [{ kind: 'k', async run() { started.push(Date.now()); return { status: 'completed' }; } }], { concurrencyPerHub: 2, pollMs: 50 });
    t.after(() => rb.stop());
    // What a replica killed while holding two calls on the hub leaves behind.
    const lapses = Date.now() + 400;
    await a.transact((tx) => tx.put('hubBudgets', '', 'h1', { id: 'h1', hubId: 'h1', tokens: 100, at: Date.now(), held: { 'runner-killed': { n: 2, until: lapses } } }));
    await rb.start();
    const ids = await enqueue(b, 3);
    await until('every task done', allDone(b, ids));
    assert.ok(Math.min(...started) >= lapses, 'nothing ran while the dead replica\'s count held the hub full');
    assert.equal((await b.get('hubBudgets', '', 'h1'))?.held['runner-killed'], undefined, 'its entry is gone once lapsed');
  });

  test('a throttle seen by one runner holds that scope on the other, and only that scope', async (t) => {
    // Long enough that starting runner b, stopping a and running the free task fit inside it on a
    // loaded machine (at 400 ms a CI run under load saw the block lapse first).
    const BLOCK_MS = 2_000;
    const { a, b } = await fleet();
    const calls: Array<{ key: string; at: number }> = [];
    let throttled = false;
    const handler: TaskHandler = { kind: 'k', async run(task) {
      calls.push({ key: (task.payload as { key: string }).key, at: Date.now() });
      if (task.scope === 'invite:1' && !throttled) {
        throttled = true;
        throw new ConnectorError('rate-limited', 'invite limit reached', { retryAfterMs: BLOCK_MS, limitScope: 'invite:1' });
      }
      return { status: 'completed' };
    } };
    const ra = runnerOn(a, [handler]);
    t.after(() => ra.stop());
    await ra.start();
    const [first] = await enqueue(a, 1, { scope: 'invite:1', prefix: 'first' });
    await until('the throttle is recorded', async () => (await a.get('rateLimitBlocks', 'h1', 'invite:1')) !== undefined);
    // Runner b starts after the throttle: it knows of it only through the store.
    const rb = runnerOn(b, [handler]);
    t.after(() => rb.stop());
    await rb.start();
    await ra.stop();
    const held = await enqueue(b, 2, { scope: 'invite:1', prefix: 'held' });
    const free = await enqueue(b, 1, { scope: 'app', prefix: 'free' });
    await until('the other scope ran', allDone(b, free));
    assert.equal(await statusOf(b, held[0]!), 'queued', 'the throttled scope waits on the other runner too');
    await until('every invite ran after the block', allDone(b, [first!, ...held]), BLOCK_MS + 5_000);
    const [throttle, ...later] = calls.filter((c) => c.key !== 'free0');
    assert.equal(throttle!.key, 'first0');
    assert.equal(later.length, 3, 'each invite called once more, after the block');
    for (const c of later) assert.ok(c.at - throttle!.at >= BLOCK_MS - 20, `${c.key} called ${c.at - throttle!.at} ms after the throttle`);
  });

  test("a throttle on a scope no task runs under (a business, an ad account) reaches the other runner's connector", async (t) => {
    const { a, b } = await fleet();
    const handler: TaskHandler = { kind: 'k', async run() {
      throw new ConnectorError('rate-limited', 'business throttled (368)', { retryAfterMs: 60_000, limitScope: 'business:1' });
    } };
    const honoured: Array<{ hubId: string; scope: string; until: number }> = [];
    const connectorOf = (hubId: string) => ({ id: 'test', limits: { assetsPerAssignmentRead: 1 }, rateLimits: () => ({ usagePercent: {}, blockedUntil: {} }), honourBlock: (scope: string, until: number) => void honoured.push({ hubId, scope, until }) });
    const rb = runnerOn(b, [handler], { connectorFor: connectorOf });
    t.after(() => rb.stop());
    await rb.start();
    const ra = runnerOn(a, [handler]);
    t.after(() => ra.stop());
    await ra.start();
    const started = Date.now();
    await enqueue(a, 1, { scope: 'app', prefix: 'throttled' });
    await until('the other runner passed the block to its connector', () => honoured.some((h) => h.scope === 'business:1'));
    const seen = honoured.find((h) => h.scope === 'business:1')!;
    assert.equal(seen.hubId, 'h1');
    assert.ok(seen.until >= started + 59_000, 'until the block recorded by the runner that was throttled');
  });

  test('a block recorded unheard (before this runner started, or a notification lost) still reaches its connector', async (t) => {
    // Meta: "continued calls extend the block"; a business or ad account throttled has no task of
    // its own scope waiting, so only the connector's refusal keeps this replica from calling into it.
    const { b, unheard } = await fleet();
    const honoured: Array<{ hubId: string; scope: string; until: number }> = [];
    const connectorOf = (hubId: string) => ({ id: 'test', limits: { assetsPerAssignmentRead: 1 }, rateLimits: () => ({ usagePercent: {}, blockedUntil: {} }), honourBlock: (scope: string, until: number) => void honoured.push({ hubId, scope, until }) });
    const before = Date.now() + 60_000;
    await unheard((tx) => blockScope(tx, 'h1', 'business:1', before, 'business throttled (368)'));
    const rb = runnerOn(b, [], { connectorFor: connectorOf });
    t.after(() => rb.stop());
    await rb.start();
    await until('the block recorded before the start reached the connector', () => honoured.some((h) => h.scope === 'business:1' && h.until === before));
    const later = Date.now() + 120_000;
    await unheard((tx) => blockScope(tx, 'h1', 'act_2', later, 'ad account throttled (80004)'));
    await until('the block whose notification was lost reached the connector at the next poll', () => honoured.some((h) => h.scope === 'act_2' && h.until === later));
  });

  test('a hub paused by one runner holds its tasks on the other until it resumes', async (t) => {
    const { a, b } = await fleet();
    let denied = true;
    const handler: TaskHandler = { kind: 'k', async run() { if (denied) throw new ConnectorError('unauthenticated', 'token expired'); return { status: 'completed' }; } };
    // A configured hub: one taken out of the config holds its tasks no longer (task-pump.ts).
    const hubs = { hubs: () => new Map([['h1', { id: 'h1' } as HubConfigFile]]) };
    const ra = runnerOn(a, [handler], hubs);
    const rb = runnerOn(b, [handler], hubs);
    t.after(() => Promise.all([ra.stop(), rb.stop()]));
    await ra.start();
    await enqueue(a, 1, { prefix: 'first' });
    await until('the hub is paused', async () => (await a.get('hubStates', '', 'h1'))?.paused === true);
    await ra.stop();
    await rb.start();
    const [next] = await enqueue(b, 1, { prefix: 'next' });
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(await statusOf(b, next!), 'queued', 'not run while the hub is paused');
    denied = false;
    await a.transact((tx) => resumeHub(tx, 'h1'));
    await until('it runs once resumed', async () => (await statusOf(b, next!)) === 'completed');
  });

  test("a killed replica's lease is taken once it lapses, never before; the attempt is marked interrupted", async (t) => {
    const { a, b } = await fleet();
    const interrupted: boolean[] = [];
    const ranAt: number[] = [];
    const rb = runnerOn(b, [{ kind: 'k', async run(_task, ctx) { ranAt.push(Date.now()); interrupted.push(ctx.interrupted); return { status: 'completed' }; } }]);
    t.after(() => rb.stop());
    // What a replica killed mid-task leaves: the task running under its lease. Long enough for the
    // look below to land inside it on a loaded machine; the run's own time proves "never before".
    const leaseEnds = Date.now() + 1_000;
    const task = await a.transact(async (tx) => {
      const queued = await enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'killed', trigger, summary: 'k', scope: 'app' });
      const dead: TaskRecord = { ...queued, status: 'running', attempts: 1, lease: { owner: 'runner-killed', until: new Date(leaseEnds).toISOString() } };
      tx.put('tasks', 'h1', queued.id, dead);
      return dead;
    });
    await rb.start();
    await new Promise((r) => setTimeout(r, 200));
    const status = await statusOf(b, task.id);
    // Only a look made inside the lease can say it was left alone (a loaded machine may get here late).
    if (Date.now() < leaseEnds) assert.equal(status, 'running', 'a live lease of another replica is left alone');
    await until('taken after the lease lapsed', async () => (await statusOf(b, task.id)) === 'completed');
    assert.equal(ranAt.length, 1);
    assert.ok(ranAt[0]! >= leaseEnds, `run ${leaseEnds - ranAt[0]!} ms before the lease lapsed`);
    assert.deepEqual(interrupted, [true]);
  });

  test("a lease its live owner renewed is not taken, even when the renewal's notification was lost", async (t) => {
    const { a, b, unheard } = await fleet();
    let runs = 0;
    const rb = runnerOn(b, [{ kind: 'k', async run() { runs++; return { status: 'completed' }; } }], { pollMs: 60_000 });
    t.after(() => rb.stop());
    await rb.start();
    const lease = (ms: number) => ({ owner: 'runner-alive', until: new Date(Date.now() + ms).toISOString() });
    const task = await a.transact(async (tx) => {
      const queued = await enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'alive', trigger, summary: 'k', scope: 'app' });
      const held: TaskRecord = { ...queued, status: 'running', attempts: 1, lease: lease(150) };
      tx.put('tasks', 'h1', queued.id, held);
      return held;
    });
    await until('b knows of the lease', async () => (rb.nextDueAt() ?? 0) > 0);
    await unheard(async (tx) => tx.put('tasks', 'h1', task.id, { ...(await tx.get('tasks', 'h1', task.id))!, lease: lease(60_000) } as TaskRecord));
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(runs, 0, 'the claim read the renewed lease and left the task alone');
    assert.equal((await b.get('tasks', 'h1', task.id))?.lease?.owner, 'runner-alive');
  });

  test('the poll finds a task whose notification never came', async (t) => {
    const { b, unheard } = await fleet();
    let runs = 0;
    const rb = runnerOn(b, [{ kind: 'k', async run() { runs++; return { status: 'completed' }; } }], { pollMs: 100 });
    t.after(() => rb.stop());
    await rb.start();
    const [id] = await unheard((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'quiet', trigger, summary: 'k', scope: 'app' }).then((q) => [q.id]));
    await until('the poll ran it', async () => (await statusOf(b, id!)) === 'completed', 3_000);
    assert.equal(runs, 1);
  });
}

const db = await postgresForTests();

// The memory and the PostgreSQL runs side by side: each case opens stores and runners of its own
// (a fresh schema on PostgreSQL), and much of a case waits out a lease, a block or a poll, idle.
// A run's own cases still go one after the other (concurrency: false; they would inherit it).
describe('fleet limits on each store, side by side', { concurrency: true }, () => {
  describe('fleet limits: two runners on one shared memory store', { concurrency: false }, () => {
    fleetCases(async () => {
      const store = new FleetMemoryStore();
      return { a: store, b: store, unheard: (fn) => store.quietly(fn) };
    });
  });

  describe('fleet limits: two replicas (PostgresStore instances) on one schema', { skip: db.skip, concurrency: false }, () => {
    const open: Store[] = [];
    const drops: Array<() => Promise<void>> = [];
    after(async () => {
      await Promise.all(open.map((s) => s.close()));
      await Promise.all(drops.map((d) => d()));
    });
    const replica = async (schema: string, origin?: string) => {
      const store = new PostgresStore({ url: db.url, schema, poolSize: 3 });
      // A replica with another's id: the other takes its notifications for its own and drops them.
      // Its announcer too: it copied the id when the store was made, so setting `origin` alone left
      // its notifications heard by the other, and the cases below passed without the poll.
      if (origin) {
        Object.defineProperty(store, 'origin', { value: origin });
        (store as unknown as { announcer: { o: { origin: string } } }).announcer.o.origin = origin;
      }
      await store.open();
      open.push(store);
      return store;
    };
    test('a call slot is free again when its call ends, not when its outcome is committed', async (t) => {
      await Promise.all(open.splice(0).map((s) => s.close()));
      const { schema, drop } = testSchema(db.url, 'fleet-slot');
      drops.push(drop);
      const store = await replica(schema);
      // Outcome commits made slow: a transaction that records a completed task waits 300 ms first.
      const committed = new Map<string, number>();
      const slowEnds: Store = Object.assign(Object.create(store) as Store, {
        transact: <R>(fn: (tx: Transaction) => R | Promise<R>, options?: Parameters<Store['transact']>[1]) => {
          const ended: string[] = [];
          return store.transact(async (tx) => {
            ended.length = 0;
            const spy = Object.assign(Object.create(tx) as Transaction, {
              put: (c: never, p: string, id: string, r: never) => {
                if (c === 'tasks' && (r as TaskRecord).status === 'completed') ended.push(id);
                tx.put(c, p, id, r);
              },
            });
            const out = await fn(spy);
            if (ended.length > 0) await new Promise((r) => setTimeout(r, 300));
            return out;
          }, options).then((out) => {
            for (const id of ended) committed.set(id, Date.now());
            return out;
          });
        },
      });
      const started = new Map<string, number>();
      const runner = runnerOn(slowEnds, [{ kind: 'k', async run(task) { started.set(task.id, Date.now()); return { status: 'completed' }; } }], { concurrencyPerHub: 1 });
      t.after(() => runner.stop());
      await runner.start();
      const [first, second] = await enqueue(slowEnds, 2);
      await until('both done', allDone(store, [first!, second!]), 10_000);
      // The commit is visible in the store a moment before its transact() promise settles, where
      // `committed` is noted: under load the assertion read it first (NaN).
      await until('the first outcome noted', async () => committed.has(first!), 10_000);
      assert.ok(started.get(second!)! < committed.get(first!)!, `the second call started ${started.get(second!)! - committed.get(first!)!} ms after the first outcome's commit`);
    });

    fleetCases(async () => {
      // The previous case's replicas are done (cases run one after another): free their connections.
      await Promise.all(open.splice(0).map((s) => s.close()));
      const { schema, drop } = testSchema(db.url, 'fleet');
      drops.push(drop);
      const a = await replica(schema);
      const b = await replica(schema);
      const silentToB = await replica(schema, b.origin);
      // The runners define the fleet index on the stores they run on; the third store writes tasks too.
      runnerOn(silentToB, []);
      return { a, b, unheard: (fn) => silentToB.transact(fn) };
    });
  });
});

test('tasks queued while a pass of the pump launches others are read together, not one round trip each', async (t) => {
  // On a shared store the pump awaits its share between launches and each read is a round trip
  // (round-trips.test-double.ts answers a loop iteration later, as PostgreSQL does), so tasks are
  // queued and slots freed while a pass runs; the pass then reaches tasks its first read did not
  // cover.
  const fleet = new FleetMemoryStore();
  const { store: answered } = roundTrips(fleet);
  let readOneByOne = 0;
  const store = new Proxy(answered, {
    get(target, name) {
      const value = Reflect.get(target, name) as unknown;
      if (name !== 'get' || typeof value !== 'function') return value;
      return (collection: string, ...rest: unknown[]) => {
        if (collection === 'tasks' && /TaskRunner\.pump/.test(new Error().stack ?? '')) readOneByOne++;
        return value.call(target, collection, ...rest);
      };
    },
  });
  const runner = runnerOn(store, [{ kind: 'k', async run() { return { status: 'completed' }; } }], { concurrencyPerHub: 4, requestsPerSecondPerHub: 10_000 });
  t.after(() => runner.stop());
  await runner.start();
  const ids: string[] = [];
  for (let wave = 0; wave < 20; wave++) {
    ids.push(...await enqueue(fleet, 10, { prefix: `w${wave}-` }));
    await new Promise((r) => setImmediate(r));
  }
  await until('every task done', allDone(fleet, ids), 10_000);
  assert.equal(readOneByOne, 0, 'the pump read tasks one at a time');
});
