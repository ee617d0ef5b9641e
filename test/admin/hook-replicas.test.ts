import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import type { Store } from '../../agent/store/store.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import type { ResumeCall } from '../../scim-server/hooks/graph-resume.ts';
import type { HookEventRecord } from '../../scim-server/hooks/hook-event-record.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { freshSchemas } from '../fresh-schemas.ts';
import { postgresForTests } from '../postgres.ts';
import { createGraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { FakeAgent } from './fake-agent.ts';
import { entraConfigFor, entraHookConfig, serveRouters, TEST_ENV, testConfig } from './test-server.ts';
import { until } from '../agent-e2e/harness.ts';
import { leaverCallout } from './lifecycle-callout.ts';

/** Yesterday's date (`YYYY-MM-DDT`): events' `published` relative to the test's clock, since one older than a week is not acted on (okta-event.ts outOfWindow). */
const DAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 11);

/**
 * Replicas sharing one store (store.shared): a hook record accepted by one replica is acted on by
 * that replica only, also when another replica starts while it works (it used to re-run every
 * open record at start-up, offboarding twice and resuming a workflow twice). A replica that died
 * holding a record leaves it to the others once its lease lapses, without any of them restarting.
 */
const db = await postgresForTests();
const freshSchema = freshSchemas(db);

const entraConfig = () => entraHookConfig();

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
    if (before) throw Object.assign(new Error(`400 Bad Request: taskProcessingResult ${target.taskProcessingResultId} already resumed (${status})`), { statusCode: 400 });
  };
  return { calls, resume };
}

const waitingCallout = (id: string, taskId: string, extra: Partial<HookEventRecord> = {}): HookEventRecord => ({
  id, source: 'entra-lifecycle', idp: 'entra', receivedAt: new Date().toISOString(), expiresAt: '2099-01-01T00:00:00Z', state: 'waiting', taskIds: [taskId],
  callout: { workflowId: 'wf-1', taskId: 'task-offboard', taskProcessingResultId: id, action: 'offboard', person: { email: 'raj@example.com' } }, ...extra,
});

const oktaEvent = (id: string, extra: Partial<HookEventRecord> = {}): HookEventRecord => ({
  id, source: 'okta', idp: 'okta', receivedAt: new Date().toISOString(), expiresAt: '2099-01-01T00:00:00Z', published: `${DAY}10:00:00Z`, state: 'processing',
  event: { eventType: 'user.lifecycle.deactivate', person: { email: 'raj@example.com', userName: 'raj@example.com' }, actor: 'admin@example.com' }, ...extra,
});

/**
 * Replica A's side of the store until it dies (kill -9): from then on nothing it does reaches the
 * store (no renewal, nothing handed back), as for a process that is gone.
 */
function mortal(store: Store): { store: Store; die(): void } {
  let dead = false;
  const view = new Proxy(store, {
    get(target, name) {
      const value = Reflect.get(target, name, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (!dead) return (value as (...a: unknown[]) => unknown).apply(target, args);
        if (name === 'subscribe' || name === 'subscribeDurable') return () => undefined;
        // `list` answers with an async iterable, which fails when read (a rejected promise there
        // would be left unhandled by `for await`, as no real store answers).
        if (name === 'list') return (async function* () { throw new Error('replica A is dead'); })();
        return Promise.reject(new Error('replica A is dead'));
      };
    },
  });
  return { store: view, die: () => { dead = true; } };
}

const TENANT = 'tenant-1111';
const RELAY = 'relay-logic-app-id';
const AUD = 'api://hubwarden';
const calloutBody = (resultId: string) => leaverCallout(resultId, { id: 'obj-raj', name: 'Raj', email: 'raj@example.com', task: 'Meta BM: remove seat' });
const oktaDelivery = (uuid: string) => ({
  eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', cloudEventsVersion: '0.1', contentType: 'application/json',
  eventId: 'b5a188b9', eventTime: `${DAY}10:00:00.000Z`, source: 'https://acme.okta.example/api/v1/eventHooks/who123',
  data: { events: [{
    uuid, published: `${DAY}10:00:00Z`, eventType: 'user.lifecycle.deactivate', version: '0', displayMessage: 'Deactivate', severity: 'INFO',
    actor: { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' },
    outcome: { result: 'SUCCESS', reason: null },
    target: [{ id: '00u-raj', type: 'User', alternateId: 'raj@example.com', displayName: 'Raj' }],
  }] },
});

/**
 * Replica B running on its store, then replica A (on `storeA`, mortal) accepting the callout
 * `resultId` over HTTP, after B had started, and waiting for its offboarding task.
 */
async function entraPair(t: { after(fn: () => unknown): void }, k: (typeof kinds)[number], resultId: string, leaseMsB: number) {
  const [storeA, storeB, close] = await k.open();
  t.after(close);
  keepAlive(t);
  const emulator = createGraphEmulator({ tenantId: TENANT, clientId: 'hubwarden-app-id', clientSecret: TEST_ENV.ENTRA_CLIENT_SECRET });
  const graph = await emulator.listen();
  t.after(() => graph.close());
  const config = () => entraConfigFor(graph.url, { tenantId: TENANT, lifecycleWorkflows: `{ allowedAppIds: [${RELAY}], audience: ${AUD} }` });
  const agent = new FakeAgent(); // the agent's tasks live in the shared store: both replicas see them
  agent.pollsUntilDone = Number.MAX_SAFE_INTEGER;
  const { calls, resume } = fakeResume();
  const b = createEntraLifecycleRouter({ config: config(), agent, store: storeB, resume, pollIntervalMs: 5, leaseMs: leaseMsB });
  t.after(() => b.stop());
  await b.settled(); // B has started and found nothing open
  const replicaA = mortal(storeA);
  const a = createEntraLifecycleRouter({ config: config(), agent, store: replicaA.store, resume, pollIntervalMs: 5, leaseMs: 300 });
  const server = await serveRouters([['/hooks', a]]);
  t.after(() => server.close());
  const token = await emulator.issueToken({ aud: AUD, azp: RELAY, appid: RELAY });
  const res = await fetch(`${server.url}/hooks/entra/lifecycle`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(calloutBody(resultId)) });
  assert.equal(res.status, 202);
  await until('replica A waits for the offboarding', async () => (await storeB.get('hookEvents', 'entra-lifecycle', resultId))?.state === 'waiting');
  return { storeB, replicaA, agent, calls, a, b };
}

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
      // Replica A has picked the callout up once it polls its task (no other replica yet).
      let polled = false;
      const taskOf = agent.task.bind(agent);
      agent.task = async (id) => { polled = true; return taskOf(id); };
      const a = createEntraLifecycleRouter({ config: entraConfig(), agent, store: storeA, resume, pollIntervalMs: 5 });
      await until('replica A polling the callout\'s task', () => polled, 20_000);
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
      let acting = false;
      agent.offboard = async (person, trigger) => { acting = true; await gate; return offboard(person, trigger); };
      await storeA.transact((tx) => tx.put('hookEvents', 'okta', 'evt-r', oktaEvent('evt-r')));
      const a = createOktaHookRouter({ config: testConfig(), agent, store: storeA });
      await until('replica A in the middle of the offboarding', () => acting, 20_000); // no other replica yet
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

    test('Okta: an event taken by a replica after the other started, whose holder then dies, is acted on by the other without a restart', async (t) => {
      const [storeA, storeB, close] = await k.open();
      t.after(close);
      keepAlive(t);
      const agentB = new FakeAgent();
      const b = createOktaHookRouter({ config: testConfig(), agent: agentB, store: storeB, leaseMs: 300 });
      t.after(() => b.stop());
      await b.settled(); // B has started and found nothing open
      const replicaA = mortal(storeA);
      const agentA = new FakeAgent();
      let open!: () => void;
      const gate = new Promise<void>((r) => { open = r; });
      const offboardA = agentA.offboard.bind(agentA);
      agentA.offboard = async (person, trigger) => { await gate; return offboardA(person, trigger); };
      const a = createOktaHookRouter({ config: testConfig(), agent: agentA, store: replicaA.store, leaseMs: 300 });
      const server = await serveRouters([['/hooks', a]]);
      t.after(() => server.close());
      const res = await fetch(`${server.url}/hooks/okta`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET }, body: JSON.stringify(oktaDelivery('evt-died')) });
      assert.equal(res.status, 200);
      await until('replica A holds the event', async () => (await storeB.get('hookEvents', 'okta', 'evt-died'))?.lease?.owner !== undefined);
      replicaA.die(); // in the middle of the offboarding
      await until('replica B acted on the event', async () => (await storeB.get('hookEvents', 'okta', 'evt-died'))?.state === 'done');
      await b.settled();
      open();
      await a.settled();
      a.stop();
      assert.equal((await storeB.get('hookEvents', 'okta', 'evt-died'))?.outcome, 'offboard raj@example.com');
      assert.deepEqual(agentB.writes().filter((c) => c.method === 'offboard').map((c) => (c.args[0] as { email?: string }).email), ['raj@example.com'], 'replica B offboarded the person');
    });

    test('Entra: a callout taken by a replica after the other started, whose holder then dies, is resumed once by the other without a restart', async (t) => {
      const { storeB, replicaA, agent, calls, a, b } = await entraPair(t, k, 'tpr-died', 300);
      replicaA.die();
      const { taskIds } = (await storeB.get('hookEvents', 'entra-lifecycle', 'tpr-died'))!;
      await sleep(700); // A's lease has lapsed; whoever holds the record now waits for the task
      agent.finish(taskIds![0]!, 'completed');
      await until('the callout is finished', async () => (await storeB.get('hookEvents', 'entra-lifecycle', 'tpr-died'))?.state !== 'waiting');
      await b.settled();
      a.stop();
      await a.settled();
      assert.deepEqual(calls, ['tpr-died'], 'resumed once, by replica B');
      const record = await storeB.get('hookEvents', 'entra-lifecycle', 'tpr-died');
      assert.equal(record?.state, 'done');
      assert.equal(record?.outcome, 'resumed completed');
      assert.equal(agent.writes().filter((c) => c.method === 'offboard').length, 1, 'offboarded once');
    });

    test('Entra: a running replica takes a callout handed back by one that stops at once, not a lease period later', async (t) => {
      // B keeps the production lease (30 s): only the change notification brings the callout to it in time.
      const { storeB, agent, calls, a, b } = await entraPair(t, k, 'tpr-handed', 30_000);
      a.stop(); // hands the callout back
      await a.settled();
      await until('replica B holds the callout', async () => {
        const lease = (await storeB.get('hookEvents', 'entra-lifecycle', 'tpr-handed'))?.lease;
        return lease !== undefined;
      }, 3000);
      const { taskIds } = (await storeB.get('hookEvents', 'entra-lifecycle', 'tpr-handed'))!;
      agent.finish(taskIds![0]!, 'completed');
      await until('the callout is finished', async () => (await storeB.get('hookEvents', 'entra-lifecycle', 'tpr-handed'))?.state === 'done');
      await b.settled();
      assert.deepEqual(calls, ['tpr-handed'], 'resumed once, by replica B');
    });
  });
}
