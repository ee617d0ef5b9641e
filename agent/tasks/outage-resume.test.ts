import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../test/postgres.ts';
import { pgProxy } from '../../test/pg-proxy.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import { enqueueTask } from './enqueue.ts';
import type { TaskHandler } from './handler.ts';
import { TaskRunner } from './task-runner.ts';
import { until } from '../../test/agent-e2e/harness.ts';

/**
 * A replica cut off from PostgreSQL for a few seconds (a failover, a restart) while it runs a task,
 * another replica still reaching it: the cut replica's runner pauses and resumes, its lease (the
 * cut shorter than the lease) is renewed once the database answers and never taken by the other
 * replica, and a task enqueued during the cut runs once afterwards. Logging and stopping in an
 * outage: outage.test.ts; a lease that lapsed unrenewed: lease-lapse.test.ts.
 */
const db = await postgresForTests();
const freshSchema = freshSchemas(db);
const trigger = { type: 'admin' as const, actor: 'test' };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

test('a replica cut off for less than a lease: its task is not taken over, runs once, and work enqueued meanwhile runs once after', { skip: db.skip }, async (t) => {
  const schema = freshSchema('outage_resume');
  const proxy = await pgProxy(db.url);
  t.after(() => proxy.close());
  const cut = new PostgresStore({ url: proxy.url, schema, poolSize: 4, probeMs: 100, connectTimeoutMs: 500, answerTimeoutMs: 1_000 });
  await cut.open();
  t.after(() => cut.close());
  const other = new PostgresStore({ url: db.url, schema, poolSize: 4 });
  await other.open();
  t.after(() => other.close());
  const runs = new Map<string, string[]>(); // task id → the runners that ran it
  let release = false;
  const handlerFor = (name: string): TaskHandler => ({
    kind: 'reads',
    async run(task, ctx) {
      runs.set(task.id, [...(runs.get(task.id) ?? []), name]);
      while (!release && !ctx.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 20));
      ctx.signal.throwIfAborted();
      return { status: 'completed' };
    },
  });
  const enqueue = (store: PostgresStore, key: string) => store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'reads', payload: {}, idempotencyKey: key, trigger, summary: 'read the app', scope: 'app' }));
  // A lease of 6 s, renewed every 2 s: a 3 s cut fails one renewal or two.
  const options = { hubs: () => new Map(), connectorFor: () => undefined, log: quiet, leaseMs: 6_000, pollMs: 100 };
  const a = new TaskRunner({ store: cut, handlers: [handlerFor('cut')], ...options });
  await a.start();
  t.after(() => a.stop(100).catch(() => {}));
  const first = await enqueue(cut, 'first');
  await until('the cut replica runs it', () => runs.get(first.id)?.length === 1);
  const b = new TaskRunner({ store: other, handlers: [handlerFor('other')], ...options });
  await b.start();
  t.after(() => b.stop(100).catch(() => {}));

  await proxy.stop();
  await until('the cut replica notices', () => !cut.healthy());
  const second = await enqueue(other, 'second');
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await proxy.start();
  await until('the cut replica answers again', () => cut.healthy());
  // Past the lease as it stood when the cut began: only a renewal that landed after it keeps it.
  await new Promise((resolve) => setTimeout(resolve, 3_500));
  assert.deepEqual(runs.get(first.id), ['cut'], 'its lease was renewed after the cut, not taken over');
  release = true;
  await until('both tasks completed', async () => (await Promise.all([first, second].map((x) => other.get('tasks', 'h1', x.id)))).every((r) => r?.status === 'completed'), 15_000);
  assert.deepEqual(runs.get(first.id), ['cut']);
  assert.equal(runs.get(second.id)?.length, 1, `the task enqueued during the cut ran once: ${runs.get(second.id)}`);
});
