import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { Transaction } from '../../agent/store/store.ts';
import { HookEventLog } from '../../scim-server/hooks/hook-events.ts';
import { OPEN_INDEX } from '../../scim-server/hooks/hook-event-record.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { FakeAgent } from './fake-agent.ts';
import { storeThatGoesDown } from './failing-store.test-double.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';
import { oktaDeactivation } from './okta-event-fixture.ts';
import { SessionStore } from '../../scim-server/web/session-store.ts';
import { StoreUnavailable } from '../../agent/store/store-unavailable.ts';
import { StoreContention } from '../../agent/store/store-contention.ts';
import { until } from '../agent-e2e/harness.ts';

/** Yesterday's date (`YYYY-MM-DDT`): events' `published` relative to the test's clock, since one older than a week is not acted on (okta-event.ts outOfWindow). */
const DAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 11);

const deactivate = oktaDeactivation;

/** Two deactivations in one delivery; the store refuses `refusals` writes after the first offboarding was queued. */
async function deliverWithStoreDown(refusals: number) {
  // A store only this process uses (memory, like lowdb): no replica would ever take the records.
  const { store, goDown, refused } = storeThatGoesDown(refusals);
  const agent = new FakeAgent();
  const offboard = agent.offboard.bind(agent);
  agent.offboard = async (person, trigger) => {
    const task = await offboard(person, trigger);
    goDown(); // the next write (the event's progress) is refused
    return task;
  };
  // Each pass over the open events (hook-events.ts pickUp) reads them through the open index.
  let passes = 0;
  const lookup = store.lookup.bind(store);
  store.lookup = ((...args: Parameters<typeof store.lookup>) => {
    if (args[0] === 'hookEvents' && args[1] === OPEN_INDEX) passes++;
    return lookup(...args);
  }) as typeof store.lookup;
  const hook = createOktaHookRouter({ config: testConfig(), agent, store, leaseMs: 150 });
  const server = await serveRouters([['/hooks', hook]]);
  try {
    const res = await fetch(`${server.url}/hooks/okta`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET },
      body: JSON.stringify({
        eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', cloudEventsVersion: '0.1', contentType: 'application/json', eventId: 'd-1',
        eventTime: `${DAY}10:00:00.000Z`, source: 'https://acme.okta.example/api/v1/eventHooks/who123',
        data: { events: [deactivate('jane@example.com', 'evt-jane', `${DAY}10:00:00Z`), deactivate('raj@example.com', 'evt-raj', `${DAY}10:00:01Z`)] },
      }),
    });
    assert.equal(res.status, 200);
    await hook.settled();
    const state = async (id: string) => (await store.get('hookEvents', 'okta', id))?.state;
    await until('both events recorded done', async () => (await state('evt-raj')) === 'done' && (await state('evt-jane')) === 'done');
    // Nothing is taken again: two more passes over the open events begin once both are done (the
    // first of them then has ended, and handed anything it took to the hook), and the work they
    // started has ended.
    const donePasses = passes;
    await until('two passes over the open events after both were done', () => passes >= donePasses + 2);
    await hook.settled();
    const offboarded = (email: string) => agent.writes().filter((c) => c.method === 'offboard' && (c.args[0] as { email: string }).email === email).length;
    assert.equal(offboarded('raj@example.com'), 1, 'the rest of the delivery is acted on once, without a restart');
    assert.equal(refused(), refusals, 'the store refused the writes');
    assert.equal(await state('evt-raj'), 'done');
    assert.equal(await state('evt-jane'), 'done', 'the event whose progress was refused is recorded once acted on again');
    assert.equal(offboarded('jane@example.com'), 2, 'acted on again (the agent answers a repeated offboard with the task queued), not more');
    assert.equal((await store.get('hookEvents', 'okta', 'evt-jane'))?.outcome, 'offboard jane@example.com');
    const audit = [];
    for await (const e of store.list('audit', '')) audit.push(e as { outcome: string; why: string });
    assert.deepEqual(audit.filter((e) => e.outcome === 'failed').map((e) => e.why), [], 'no offboarding is audited as failed: none failed');
  } finally {
    hook.stop();
    await server.close();
  }
}

test('Okta: the store refusing a write of progress mid-delivery: the rest of the delivery is acted on by this process, once, without a restart', async () => {
  await deliverWithStoreDown(2);
});

test('Okta: the store refusing the write of an offboarding queued: not recorded nor audited as failed (the agent did not refuse)', async () => {
  await deliverWithStoreDown(1);
});

test('HookEventLog: a record of this process is taken again only once its work ended and its lease lapsed, and not after leave', async () => {
  const store = new MemoryStore();
  let now = Date.UTC(2026, 10, 23);
  const log = new HookEventLog(store, () => now, undefined, 1000);
  await log.claim('okta', 'okta', [{ id: 'a' }, { id: 'b' }]);
  const release = log.keep('okta', ['a', 'b']);
  now += 5000; // the renewals were refused: the leases lapsed while the work goes on
  const taken: string[] = [];
  await log.pickUp('okta', () => true, (records) => taken.push(...records.map((r) => r.id)));
  assert.deepEqual(taken, [], 'never taken while this process works on it');
  release();
  log.leave('okta', 'b');
  const mine: string[] = [];
  await log.pickUp('okta', () => true, (records) => mine.push(...records.map((r) => r.id)));
  log.close();
  assert.deepEqual(mine, ['a'], 'taken back once its work ended and the lease lapsed; b was left');
  // Another process (a restart; on this store every other owner's lease is a dead process's) still takes b.
  const next: string[] = [];
  const restarted = new HookEventLog(store, () => now, undefined, 1000);
  await restarted.pickUp('okta', () => true, (records) => next.push(...records.map((r) => r.id)));
  restarted.close();
  assert.ok(next.includes('b'), 'left only by the process that resumed it');
});

test("Okta: the store refusing the end of a deactivated person's dashboard sessions: the event stays open, is taken again once its lease lapses, and the sessions end then", async () => {
  const { store, goDown, refused } = storeThatGoesDown(1);
  const sessions = new SessionStore(store);
  const jane = await sessions.create('jane@example.com', 'oidc', { admin: true, email: 'jane@example.com', idpUserIds: ['00u-jane@example.com'] });
  const agent = new FakeAgent();
  const hook = createOktaHookRouter({ config: testConfig(), agent, store, leaseMs: 150 });
  const server = await serveRouters([['/hooks', hook]]);
  try {
    // Once the event is being acted on (its sessions looked up, inside the transaction that ends
    // them), the store goes down: that transaction fails (a database failover) and so does the next.
    const transact = store.transact.bind(store);
    let failedOver = false;
    store.transact = ((fn: (tx: Transaction) => unknown) => transact((tx) => {
      const list = tx.list.bind(tx);
      tx.list = ((collection: string, ...rest: unknown[]) => {
        if (collection === 'dashboardSessions' && !failedOver) {
          failedOver = true;
          goDown();
          throw new Error('connection terminated');
        }
        return (list as (...a: unknown[]) => unknown)(collection, ...rest);
      }) as typeof tx.list;
      return fn(tx);
    })) as typeof store.transact;
    const res = await fetch(`${server.url}/hooks/okta`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET },
      body: JSON.stringify({ data: { events: [deactivate('jane@example.com', 'evt-jane-sessions', `${DAY}10:00:00Z`)] } }),
    });
    assert.equal(res.status, 200);
    const state = async () => (await store.get('hookEvents', 'okta', 'evt-jane-sessions'))?.state;
    await until('the event recorded done', async () => (await state()) === 'done');
    await hook.settled();
    assert.equal(refused(), 1);
    assert.equal(await state(), 'done');
    assert.equal(await sessions.get(jane.id), undefined, 'the session ended');
    const ended = [];
    for await (const e of store.list('audit', '')) if (e.action === 'end-dashboard-sessions') ended.push(e);
    assert.equal(ended.length, 1, 'audited once, when it happened');
  } finally {
    hook.stop();
    await server.close();
  }
});

// "Not now", not "no": the store unavailable (a failover), or a transaction that gave up on
// contention (PostgreSQL serialization failures while Okta pushes many users; nothing written).
for (const [what, notNow] of [
  ['the store unavailable inside it', () => new StoreUnavailable('connection terminated', 5)],
  ['its transaction giving up on contention', () => new StoreContention(20, '40001 (store: partition of tasks changed after this transaction read it)')],
] as const) test(`Okta: the agent unable to queue an offboarding now (${what}): the event is acted on again, not recorded nor audited as failed`, async () => {
  // Okta heard 200 and does not send the event again (https://developer.okta.com/docs/concepts/event-hooks/):
  // recorded "failed", the leaver kept their seats.
  const store = new MemoryStore();
  const agent = new FakeAgent();
  const offboard = agent.offboard.bind(agent);
  let refusals = 1;
  agent.offboard = async (person, trigger) => {
    if (refusals-- > 0) {
      await offboard(person, trigger); // recorded as a call; the store then refuses the transaction
      throw notNow();
    }
    return offboard(person, trigger);
  };
  const hook = createOktaHookRouter({ config: testConfig(), agent, store, leaseMs: 150 });
  const server = await serveRouters([['/hooks', hook]]);
  try {
    const res = await fetch(`${server.url}/hooks/okta`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET },
      body: JSON.stringify({ data: { events: [deactivate('jane@example.com', 'evt-jane-unavailable', `${DAY}10:00:00Z`)] } }),
    });
    assert.equal(res.status, 200);
    const record = () => store.get('hookEvents', 'okta', 'evt-jane-unavailable');
    await until('the event recorded done', async () => (await record())?.state === 'done');
    await hook.settled();
    assert.equal((await record())?.state, 'done');
    assert.equal((await record())?.outcome, 'offboard jane@example.com');
    assert.equal(agent.writes().filter((c) => c.method === 'offboard').length, 2, 'tried again once the lease lapsed');
    const failed = [];
    for await (const e of store.list('audit', '')) if (e.outcome === 'failed') failed.push(e);
    assert.deepEqual(failed, [], 'nothing was refused');
  } finally {
    hook.stop();
    await server.close();
  }
});

test('Okta: an event whose progress the store refuses every time (a poison event) does not hold back the events published after it', async () => {
  // Every pass over the open events runs them in published order: one failing at every pass
  // stopped the pass, and the leaver published after it was never offboarded.
  const store = new MemoryStore();
  const transact = store.transact.bind(store);
  store.transact = ((fn: (tx: Transaction) => unknown) => transact((tx) => {
    const put = tx.put.bind(tx);
    tx.put = ((collection: string, partition: string, id: string, record: { state?: string }) => {
      if (collection === 'hookEvents' && id === 'evt-poison' && record.state !== 'processing') throw new Error('value too long for the column');
      return put(collection as never, partition, id, record as never);
    }) as typeof tx.put;
    return fn(tx);
  })) as typeof store.transact;
  const agent = new FakeAgent();
  const hook = createOktaHookRouter({ config: testConfig(), agent, store, leaseMs: 150 });
  const server = await serveRouters([['/hooks', hook]]);
  try {
    const res = await fetch(`${server.url}/hooks/okta`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET },
      body: JSON.stringify({ data: { events: [deactivate('jane@example.com', 'evt-poison', `${DAY}10:00:00Z`), deactivate('raj@example.com', 'evt-raj-after', `${DAY}10:00:01Z`)] } }),
    });
    assert.equal(res.status, 200);
    const state = async (id: string) => (await store.get('hookEvents', 'okta', id))?.state;
    await until('the later leaver recorded done', async () => (await state('evt-raj-after')) === 'done');
    assert.equal(await state('evt-raj-after'), 'done', 'the later leaver is acted on');
    assert.ok(agent.writes().some((c) => c.method === 'offboard' && (c.args[0] as { email: string }).email === 'raj@example.com'));
    assert.equal(await state('evt-poison'), 'processing', 'the failing event stays open, taken again as its lease lapses');
  } finally {
    hook.stop();
    await hook.settled();
    await server.close();
  }
});
