import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import type { Store } from '../../agent/store/store.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import type { ResumeCall } from '../../scim-server/hooks/graph-resume.ts';
import type { HookEventRecord } from '../../scim-server/hooks/hook-events.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { freshSchemas } from '../fresh-schemas.ts';
import { postgresForTests } from '../postgres.ts';
import { FakeAgent } from './fake-agent.ts';
import { testConfig } from './test-server.ts';

/**
 * Replicas sharing one store (store.shared): a hook record accepted by one replica is acted on by
 * that replica only, also when another replica starts while it works (it used to re-run every
 * open record at start-up, offboarding twice and resuming a workflow twice). A replica that died
 * holding a record leaves it to the others once its lease lapses.
 */
const db = await postgresForTests();
const freshSchema = freshSchemas(db);

const entraConfig = () => testConfig(`  entra:
    kind: entra
    tenantId: tenant-1111
    clientId: hubwarden-app-id
    clientSecret: env:ENTRA_CLIENT_SECRET
    extensionAppId: ext-app
    graphBaseUrl: http://127.0.0.1:9
    authorityUrl: http://127.0.0.1:9
    lifecycleWorkflows: { allowedAppIds: [relay] }`);

/** Two users of one store: two PostgreSQL connections pools on one schema, or one memory store that says it is shared. */
const kinds: Array<{ kind: string; skip: string | false; open(): Promise<[Store, Store, () => Promise<void>]> }> = [
  {
    kind: 'memory, shared', skip: false,
    open: async () => {
      const store = new MemoryStore();
      Object.defineProperty(store, 'shared', { value: true });
      await store.open();
      return [store, store, () => store.close()];
    },
  },
  {
    kind: 'postgres, two stores on one schema', skip: db.skip,
    open: async () => {
      const schema = freshSchema('hooks');
      const a = new PostgresStore({ url: db.url, schema, poolSize: 3 });
      await a.open();
      const b = new PostgresStore({ url: db.url, schema, poolSize: 3 });
      await b.open();
      return [a, b, async () => { await a.close(); await b.close(); }];
    },
  },
];

/** Graph's resume, faked: a second resume of one result is refused, as a finished task's is. */
function fakeResume() {
  const calls: string[] = [];
  const resume: ResumeCall = async (_idp, target, status) => {
    const before = calls.includes(target.taskProcessingResultId);
    calls.push(target.taskProcessingResultId);
    if (before) throw new Error(`400 Bad Request: taskProcessingResult ${target.taskProcessingResultId} already resumed (${status})`);
  };
  return { calls, resume };
}

const waitingCallout = (id: string, taskId: string, extra: Partial<HookEventRecord> = {}): HookEventRecord => ({
  id, source: 'entra-lifecycle', idp: 'entra', receivedAt: new Date().toISOString(), expiresAt: '2099-01-01T00:00:00Z', state: 'waiting', taskIds: [taskId],
  callout: { workflowId: 'wf-1', taskId: 'task-offboard', taskProcessingResultId: id, action: 'offboard', person: { email: 'raj@example.com' } }, ...extra,
});

const oktaEvent = (id: string, extra: Partial<HookEventRecord> = {}): HookEventRecord => ({
  id, source: 'okta', idp: 'okta', receivedAt: new Date().toISOString(), expiresAt: '2099-01-01T00:00:00Z', published: '2026-11-23T10:00:00Z', state: 'processing',
  event: { eventType: 'user.lifecycle.deactivate', person: { email: 'raj@example.com', userName: 'raj@example.com' }, actor: 'admin@example.com' }, ...extra,
});

/** The hooks poll on unref'd timers (a server's socket keeps a real process up); here nothing else would. */
function keepAlive(t: { after(fn: () => void): void }): void {
  const alive = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(alive));
}

for (const k of kinds) {
  describe(`hook records on a store shared by replicas (${k.kind})`, { skip: k.skip }, () => {
    test('Entra: a replica starting while another waits for the tasks leaves the callout to it: one resume, recorded done', async (t) => {
      const [storeA, storeB, close] = await k.open();
      t.after(close);
      keepAlive(t);
      const agent = new FakeAgent();
      agent.pollsUntilDone = Number.MAX_SAFE_INTEGER;
      const task = await agent.offboard({ email: 'raj@example.com' }, { type: 'entra-lifecycle', idp: 'entra' });
      await storeA.transact((tx) => tx.put('hookEvents', 'entra-lifecycle', 'tpr-r', waitingCallout('tpr-r', task.id)));
      const { calls, resume } = fakeResume();
      const a = createEntraLifecycleRouter({ config: entraConfig(), agent, store: storeA, resume, pollIntervalMs: 5 });
      await sleep(100); // replica A has picked the callout up and polls its task
      const b = createEntraLifecycleRouter({ config: entraConfig(), agent, store: storeB, resume, pollIntervalMs: 5 });
      await sleep(100);
      agent.finish(task.id, 'completed');
      await Promise.all([a.settled(), b.settled()]);
      a.stop();
      b.stop();
      assert.deepEqual(calls, ['tpr-r'], 'resumed once');
      const record = await storeB.get('hookEvents', 'entra-lifecycle', 'tpr-r');
      assert.equal(record?.state, 'done');
      assert.equal(record?.outcome, 'resumed completed');
    });

    test('Okta: a replica starting while another acts on an event does not act on it again', async (t) => {
      const [storeA, storeB, close] = await k.open();
      t.after(close);
      keepAlive(t);
      const agent = new FakeAgent();
      let open!: () => void;
      const gate = new Promise<void>((r) => { open = r; });
      const offboard = agent.offboard.bind(agent);
      agent.offboard = async (person, trigger) => { await gate; return offboard(person, trigger); };
      await storeA.transact((tx) => tx.put('hookEvents', 'okta', 'evt-r', oktaEvent('evt-r')));
      const a = createOktaHookRouter({ config: testConfig(), agent, store: storeA });
      await sleep(100); // replica A is in the middle of the offboarding
      const b = createOktaHookRouter({ config: testConfig(), agent, store: storeB });
      await sleep(100);
      open();
      await Promise.all([a.settled(), b.settled()]);
      a.stop();
      b.stop();
      assert.equal(agent.writes().filter((c) => c.method === 'offboard').length, 1);
      assert.equal((await storeB.get('hookEvents', 'okta', 'evt-r'))?.state, 'done');
    });

    test('a record held by a replica that died is taken once its lease lapses', async (t) => {
      const [storeA, storeB, close] = await k.open();
      t.after(close);
      keepAlive(t);
      const agent = new FakeAgent();
      const task = await agent.offboard({ email: 'raj@example.com' }, { type: 'entra-lifecycle', idp: 'entra' });
      agent.finish(task.id, 'completed');
      const lapsed = { owner: 'hooks-dead', until: new Date(Date.now() - 1000).toISOString() };
      const lapsing = { owner: 'hooks-dying', until: new Date(Date.now() + 300).toISOString() };
      await storeA.transact((tx) => {
        tx.put('hookEvents', 'entra-lifecycle', 'tpr-dead', waitingCallout('tpr-dead', task.id, { lease: lapsed }));
        tx.put('hookEvents', 'entra-lifecycle', 'tpr-dying', waitingCallout('tpr-dying', task.id, { lease: lapsing }));
        tx.put('hookEvents', 'okta', 'evt-dying', oktaEvent('evt-dying', { lease: lapsing }));
      });
      const { calls, resume } = fakeResume();
      const b = createEntraLifecycleRouter({ config: entraConfig(), agent, store: storeB, resume, pollIntervalMs: 5 });
      const o = createOktaHookRouter({ config: testConfig(), agent, store: storeB });
      await b.settled();
      assert.deepEqual(calls, ['tpr-dead'], 'the lapsed lease is taken at once, the live one is left to its holder');
      assert.equal(agent.writes().filter((c) => c.method === 'offboard').length, 1, 'only the seeding offboard so far');
      await sleep(600);
      await Promise.all([b.settled(), o.settled()]);
      b.stop();
      o.stop();
      assert.deepEqual(calls.sort(), ['tpr-dead', 'tpr-dying'], 'taken once the lease lapsed');
      assert.equal((await storeB.get('hookEvents', 'entra-lifecycle', 'tpr-dying'))?.state, 'done');
      assert.equal((await storeB.get('hookEvents', 'okta', 'evt-dying'))?.state, 'done');
    });

    test('a replica that stops while waiting hands the callout back: the next one resumes it at once', async (t) => {
      const [storeA, storeB, close] = await k.open();
      t.after(close);
      keepAlive(t);
      const agent = new FakeAgent();
      agent.pollsUntilDone = Number.MAX_SAFE_INTEGER;
      const task = await agent.offboard({ email: 'raj@example.com' }, { type: 'entra-lifecycle', idp: 'entra' });
      await storeA.transact((tx) => tx.put('hookEvents', 'entra-lifecycle', 'tpr-stop', waitingCallout('tpr-stop', task.id)));
      const { calls, resume } = fakeResume();
      const a = createEntraLifecycleRouter({ config: entraConfig(), agent, store: storeA, resume, pollIntervalMs: 5 });
      await sleep(100);
      a.stop();
      await a.settled();
      assert.deepEqual(calls, []);
      agent.finish(task.id, 'completed');
      const b = createEntraLifecycleRouter({ config: entraConfig(), agent, store: storeB, resume, pollIntervalMs: 5 });
      await b.settled();
      b.stop();
      assert.deepEqual(calls, ['tpr-stop']);
      assert.equal((await storeB.get('hookEvents', 'entra-lifecycle', 'tpr-stop'))?.state, 'done');
    });
  });
}
