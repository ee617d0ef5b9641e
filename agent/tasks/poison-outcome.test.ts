import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../../connectors/sdk/connector-error.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { postgresForTests } from '../../test/postgres.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { StoreUnavailable } from '../store/store-unavailable.ts';
import { UNRECORDED_ATTEMPTS_BEFORE_FAILING } from './lease.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import { collect } from '../store/store.ts';
import { enqueueTask } from './enqueue.ts';
import type { TaskHandler } from './handler.ts';
import { DEFAULT_RATE_LIMIT_WAIT_MS, MAX_STATED_WAIT_MS, decideRetry } from './retry-policy.ts';
import { pauseHub } from './hub-state.ts';
import { TaskRunner } from './task-runner.ts';
import type { TaskRecord } from './task-record.ts';

/** Outcomes the queue must still record: a connector's nonsense wait, a commit that always throws. */
const trigger = { type: 'admin' as const, actor: 'test' };
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const db = await postgresForTests();
const freshSchema = freshSchemas(db);

/**
 * Runs one task of `handler` for `ms`, or, given `until`, until the task reaches that status
 * (at most 10 s) and then one more second: a task handed back after an unrecorded outcome runs
 * again a second later (lease.ts releaseAfterFailure), so a call after the end would be seen.
 */
async function runFor(handler: TaskHandler, ms: number, until?: TaskRecord['status']): Promise<{ store: MemoryStore; task: TaskRecord; runner: TaskRunner }> {
  const store = new MemoryStore();
  const runner = new TaskRunner({ store, handlers: [handler], hubs: () => new Map(), connectorFor: () => undefined, log: silent });
  await runner.start();
  await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: handler.kind, payload: {}, idempotencyKey: 'a', trigger, summary: 'invite a@example.com' }));
  if (until) {
    const end = Date.now() + 10_000;
    while ((await collect(store.list('tasks', 'h1')))[0]?.status !== until && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, ms));
  const [task] = await collect(store.list('tasks', 'h1'));
  await runner.stop();
  return { store, task: task!, runner };
}

// Every case below beside the others: each runs a store and a runner of its own (a fresh schema on
// PostgreSQL) and spends its time waiting for the runner's one-second retries, idle.
describe('outcomes the queue must still record, every case side by side', { concurrency: true }, () => {
  describe('a rate limit whose stated wait is no usable number', () => {
    const o = { baseMs: 250, maxMs: 300_000, random: () => 1 };
    const waitOf = (ms: number, kind: 'rate-limited' | 'unavailable' = 'rate-limited') => {
      const d = decideRetry(new ConnectorError(kind, 'slow', { retryAfterMs: ms, limitScope: 'app' }), 1, o);
      return d.action === 'wait-rate-limit' || d.action === 'backoff' ? d.delayMs : undefined;
    };
    test('NaN, 0 or negative waits the default; Infinity or an absurd wait is capped', () => {
      for (const ms of [NaN, 0, -5]) assert.equal(waitOf(ms), DEFAULT_RATE_LIMIT_WAIT_MS, String(ms));
      for (const ms of [Infinity, 1e300]) assert.equal(waitOf(ms), MAX_STATED_WAIT_MS, String(ms));
      assert.equal(waitOf(1e300, 'unavailable'), MAX_STATED_WAIT_MS, 'a backoff\'s stated wait too');
      assert.equal(waitOf(1234), 1234, 'a real wait as stated');
    });

    for (const ms of [NaN, -5, Infinity]) {
      test(`a connector's wait of ${ms} neither loops calls into the limit nor goes unrecorded`, async () => {
        let runs = 0;
        const { task } = await runFor({ kind: 'k', async run() { runs++; throw new ConnectorError('rate-limited', 'slow', { retryAfterMs: ms, limitScope: 'app' }); } }, 1_300);
        assert.equal(runs, 1, 'called once, then waits');
        assert.equal(task.status, 'waiting');
        assert.match(task.waitReason ?? '', /^rate-limited app/);
        assert.equal(task.attemptsEnded, 1, 'the outcome was recorded');
      });
    }
  });

  describe('an outcome whose commit always throws (a poison task)', () => {
    test('fails after a few attempts, audited, instead of calling again every second for good', async () => {
      let runs = 0;
      const { store, task } = await runFor({ kind: 'invite', async run() {
        runs++;
        return { status: 'completed', commit: () => { throw new TypeError('cannot read properties of undefined (reading \'id\')'); } };
      } }, 1_200, 'failed');
      assert.equal(task.status, 'failed');
      assert.equal(runs, 3);
      assert.match(task.lastError?.message ?? '', /could not record its outcome.*reading 'id'/);
      const audit = (await collect(store.list('audit', 'h1'))).filter((a) => a.taskId === task.id);
      assert.equal(audit.length, 1);
      assert.deepEqual([audit[0]!.outcome, audit[0]!.action], ['failed', 'invite']);
      assert.match(audit[0]!.why, /invite a@example.com: could not record its outcome/);
    });
  });

  describe('a leaseless task (reconcile-person) whose commit always throws', () => {
    test('fails after as many attempts as a leased one, audited, instead of re-planning every second for good', async () => {
      let runs = 0;
      const { store, task } = await runFor({ kind: 'reconcile-person', local: true, leaseless: true, async run() {
        runs++;
        return { status: 'completed', commit: () => { throw new TypeError('cannot read properties of undefined (reading \'id\')'); } };
      } }, 1_200, 'failed');
      assert.equal(task.status, 'failed');
      assert.equal(runs, UNRECORDED_ATTEMPTS_BEFORE_FAILING);
      assert.equal(task.attempts, UNRECORDED_ATTEMPTS_BEFORE_FAILING);
      assert.match(task.lastError?.message ?? '', /could not record its outcome.*reading 'id'/);
      const audit = (await collect(store.list('audit', 'h1'))).filter((a) => a.taskId === task.id);
      assert.deepEqual(audit.map((a) => [a.outcome, a.action]), [['failed', 'reconcile-person']]);
    });

    test('a store that refuses its commits (an outage) never fails it: it runs again a second later, writing nothing meanwhile', async () => {
      let runs = 0;
      const { task } = await runFor({ kind: 'reconcile-person', local: true, leaseless: true, async run() {
        runs++;
        return { status: 'completed', commit: () => { if (runs <= UNRECORDED_ATTEMPTS_BEFORE_FAILING) throw new StoreUnavailable('EIO while appending to the journal', 1); } };
      } }, 1_200, 'completed');
      assert.equal(runs, UNRECORDED_ATTEMPTS_BEFORE_FAILING + 1);
      assert.equal(task.status, 'completed');
      assert.equal(task.attempts, 1, 'the refused attempts were never written');
    });
  });

  describe('an outcome whose commit always throws, on PostgreSQL (replicas share the store)', { skip: db.skip }, () => {
    test('fails after a few attempts, audited; no replica calls again for good', async (t) => {
      const store = new PostgresStore({ url: db.url, schema: freshSchema('poison'), poolSize: 4 });
      await store.open();
      t.after(() => store.close());
      let runs = 0;
      const handler: TaskHandler = { kind: 'k', async run() { runs++; return { status: 'completed', commit: () => { throw new TypeError('a bug in the commit'); } }; } };
      const runner = new TaskRunner({ store, handlers: [handler], hubs: () => new Map(), connectorFor: () => undefined, log: silent, pollMs: 100 });
      await runner.start();
      t.after(() => runner.stop(100));
      const task = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
      const end = Date.now() + 8_000;
      while ((await store.get('tasks', 'h1', task.id))?.status !== 'failed' && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      const done = (await store.get('tasks', 'h1', task.id))!;
      assert.equal(done.status, 'failed');
      assert.equal(runs, 3);
      assert.match(done.lastError?.message ?? '', /could not record its outcome.*a bug in the commit/);
    });
  });

  describe('a leaseless task whose commit always throws, on PostgreSQL', { skip: db.skip }, () => {
    test('fails after a few attempts, audited', async (t) => {
      const store = new PostgresStore({ url: db.url, schema: freshSchema('poison_leaseless'), poolSize: 4 });
      await store.open();
      t.after(() => store.close());
      let runs = 0;
      const handler: TaskHandler = { kind: 'reconcile-person', local: true, leaseless: true, async run() { runs++; return { status: 'completed', commit: () => { throw new TypeError('a bug in the commit'); } }; } };
      const runner = new TaskRunner({ store, handlers: [handler], hubs: () => new Map(), connectorFor: () => undefined, log: silent, pollMs: 100 });
      await runner.start();
      t.after(() => runner.stop(100));
      const task = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'reconcile-person', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
      const end = Date.now() + 8_000;
      while ((await store.get('tasks', 'h1', task.id))?.status !== 'failed' && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      const done = (await store.get('tasks', 'h1', task.id))!;
      assert.equal(done.status, 'failed');
      assert.equal(runs, UNRECORDED_ATTEMPTS_BEFORE_FAILING);
      assert.match(done.lastError?.message ?? '', /could not record its outcome.*a bug in the commit/);
      const audit = (await collect(store.list('audit', 'h1'))).filter((a) => a.taskId === task.id);
      assert.deepEqual(audit.map((a) => a.outcome), ['failed']);
    });
  });

  describe('a task of a hub taken out of the config while the hub was paused', () => {
    test('runs and is reported failed, rather than waiting for a resume that never comes', async () => {
      const store = new MemoryStore();
      await store.transact(async (tx) => { await pauseHub(tx, 'gone', 'token refused', 'unauthenticated', new Date()); });
      const handler: TaskHandler = { kind: 'k', async run(task, ctx) {
        return ctx.hub ? { status: 'completed' } : { status: 'failed', error: { kind: 'invalid-argument', message: `hub ${task.hubId} is not configured` } };
      } };
      const runner = new TaskRunner({ store, handlers: [handler], hubs: () => new Map(), connectorFor: () => undefined, log: silent });
      await runner.start();
      const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'gone', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 'invite a@example.com' }));
      await new Promise((r) => setTimeout(r, 300));
      const after = (await store.get('tasks', 'gone', t.id))!;
      await runner.stop();
      assert.equal(after.status, 'failed');
      const audit = (await collect(store.list('audit', 'gone'))).filter((a) => a.taskId === t.id);
      assert.deepEqual(audit.map((a) => a.outcome), ['failed']);
    });
  });
});
