import { describe, test } from 'node:test';
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
 * A replica whose database goes away (a failover, a network cut) while it runs tasks: its
 * leases lapse and other replicas take the tasks, so what it logs and how it stops must say so
 * plainly, not flood the log or fail the shutdown.
 */
const db = await postgresForTests();
const freshSchema = freshSchemas(db);
const trigger = { type: 'admin' as const, actor: 'test' };

function recordingLog() {
  const lines: Array<{ level: string; msg: string }> = [];
  const at = (level: string) => (msg: string) => void lines.push({ level, msg });
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('the task runner while PostgreSQL is unreachable', { skip: db.skip }, () => {
  async function replicaWithRunningTask(t: { after(fn: () => unknown): void }, label: string, hubs = ['h1']) {
    const proxy = await pgProxy(db.url);
    t.after(() => proxy.close());
    const store = new PostgresStore({ url: proxy.url, schema: freshSchema(label), poolSize: 4, probeMs: 100, connectTimeoutMs: 500 });
    await store.open();
    t.after(() => store.close());
    const { lines, log } = recordingLog();
    // Stops when asked (as the check for updates does: read-app.ts signal.throwIfAborted()).
    const handler: TaskHandler = {
      kind: 'reads',
      async run(_task, ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        ctx.signal.throwIfAborted();
        return { status: 'completed' };
      },
    };
    const runner = new TaskRunner({ store, handlers: [handler], hubs: () => new Map(), connectorFor: () => undefined, log, leaseMs: 6_000, pollMs: 100 });
    await runner.start();
    t.after(() => runner.stop(100).catch(() => {}));
    const ids: string[] = [];
    for (const hubId of hubs) ids.push((await store.transact((tx) => enqueueTask(tx, { hubId, kind: 'reads', payload: {}, idempotencyKey: 'a', trigger, summary: 'read the app', scope: 'app' }))).id);
    await until('the tasks run', async () => (await Promise.all(hubs.map((h, n) => store.get('tasks', h, ids[n]!)))).every((r) => r?.status === 'running'));
    // And this replica's call slots are recorded (fleet-limits.ts): a first recording that met the
    // outage instead would be its own warning, and the stop would have no slots to give back.
    await until('the call slots are recorded', async () => (await Promise.all(hubs.map((h) => store.get('hubBudgets', '', h)))).every((b) => Object.keys(b?.held ?? {}).length > 0));
    return { proxy, store, runner, lines };
  }

  test('stopping while the database is down resolves, with one warning that the leases will lapse', async (t) => {
    const { proxy, store, runner, lines } = await replicaWithRunningTask(t, 'outage_stop');
    await proxy.stop();
    await until('the store notices', () => !store.healthy());
    // The outage's own warning (logged once, when the runner's poll first fails: the next test)
    // comes within a poll; the stop's line is counted after it.
    await until('the runner logs the outage', () => lines.some((l) => /^task runner: poll failed/.test(l.msg)));
    const from = lines.length;
    await runner.stop(300); // rejected before: the process stopping exited 1
    const said = lines.slice(from).filter((l) => l.level === 'warn' || l.level === 'error');
    // Besides the stop's line, only the outage's own first warning for the call slots: a release of
    // the idle task's slots may meet the outage first (logged once; the slots then lapse unrenewed,
    // and the stop has none left to name).
    const stopped = said.filter((l) => /^task runner: stopped/.test(l.msg));
    const others = said.filter((l) => !stopped.includes(l));
    assert.equal(stopped.length, 1, `one line: ${JSON.stringify(said)}`);
    assert.ok(others.every((l) => l.level === 'warn' && /^task runner: recording this replica's call slots on hub h1 failed: .*unreachable.*\(retried meanwhile; logged again once it works\)$/.test(l.msg)) && others.length <= 1, JSON.stringify(said));
    assert.equal(stopped[0]!.level, 'warn');
    assert.match(stopped[0]!.msg, others.length === 0
      ? /^task runner: stopped with 1 task lease\(s\) not handed back and call slots on 1 hub\(s\) not given back \(.*unreachable.*\); they lapse within 6 s/
      : /^task runner: stopped with 1 task lease\(s\) not handed back \(.*unreachable.*\); they lapse within 6 s/);
    // What the server's stop does next (scim-server/main.ts onClose): closing the store ends too.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([store.close(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('store.close() hung while the database is down')), 5_000)))]);
    clearTimeout(timer);
  });
});

describe('the task runner logging an outage', { skip: db.skip }, () => {
  test('a poll and call-slot renewals failing every poll are logged once when the outage starts and once when it ends', async (t) => {
    const proxy = await pgProxy(db.url);
    t.after(() => proxy.close());
    const store = new PostgresStore({ url: proxy.url, schema: freshSchema('outage_log'), poolSize: 4, probeMs: 100, connectTimeoutMs: 500 });
    await store.open();
    t.after(() => store.close());
    const { lines, log } = recordingLog();
    const handler: TaskHandler = {
      kind: 'reads',
      async run(_task, ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        ctx.signal.throwIfAborted();
        return { status: 'completed' };
      },
    };
    // Polls every 50 ms, call slots renewed every 200 ms (a third of the lease): dozens of retries in the outage.
    const runner = new TaskRunner({ store, handlers: [handler], hubs: () => new Map(), connectorFor: () => undefined, log, leaseMs: 600, pollMs: 50 });
    await runner.start();
    t.after(() => runner.stop(100).catch(() => {}));
    const ids: string[] = [];
    for (const hubId of ['h1', 'h2']) ids.push((await store.transact((tx) => enqueueTask(tx, { hubId, kind: 'reads', payload: {}, idempotencyKey: 'a', trigger, summary: 'read the app', scope: 'app' }))).id);
    await until('the tasks run', async () => (await Promise.all(['h1', 'h2'].map((h, n) => store.get('tasks', h, ids[n]!)))).every((r) => r?.status === 'running'));
    await proxy.stop();
    await until('the store notices', () => !store.healthy());
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(store.healthy(), false, 'the readiness signal still shows the outage');
    const pollFailed = lines.filter((l) => /poll failed/.test(l.msg));
    assert.equal(pollFailed.length, 1, `the poll's failure said once in the outage, not at each poll: ${pollFailed.length} times`);
    await proxy.start();
    await until('the poll works again', () => lines.some((l) => /poll works again/.test(l.msg)));
    await new Promise((r) => setTimeout(r, 500));

    // Per task, a line or two is news (its lease lapsed, its outcome not recorded); repeats are the flood.
    const said = lines.filter((l) => l.level !== 'debug').map((l) => `${l.level} ${l.msg.replace(/[0-9a-f-]{36}/g, '<task>')}`);
    const counts = new Map<string, number>();
    for (const l of said) counts.set(l, (counts.get(l) ?? 0) + 1);
    const repeated = [...counts].filter(([l, n]) => n > 1 && !l.includes('<task>'));
    assert.deepEqual(repeated, [], 'no line of the runner\'s recurring work is logged again while the outage lasts');
    assert.equal(said.filter((l) => /^warn task runner: poll failed: .*unreachable/.test(l)).length, 1, said.join('\n'));
    const back = said.filter((l) => /^info task runner: poll works again \(failed (\d+) time\(s\)/.test(l));
    assert.equal(back.length, 1, said.join('\n'));
    assert.ok(Number(/failed (\d+) time/.exec(back[0]!)![1]) > 5, `the poll kept trying meanwhile: ${back[0]}`);
    for (const hub of ['h1', 'h2']) {
      const slots = said.filter((l) => l.includes(`call slots on hub ${hub}`));
      assert.ok(slots.length <= 2, `at most once failing, once working again: ${slots.join(' | ')}`);
    }
  });
});
