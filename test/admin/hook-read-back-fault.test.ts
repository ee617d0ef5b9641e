import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { Store } from '../../agent/store/store.ts';
import { StoreUnavailable } from '../../agent/store/store-unavailable.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import type { ResumeCall } from '../../scim-server/hooks/graph-resume.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { createGraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { FakeAgent } from './fake-agent.ts';
import { oktaDeactivation } from './okta-event-fixture.ts';
import { entraConfigFor, serveRouters, TEST_ENV, testConfig } from './test-server.ts';
import { until } from '../agent-e2e/harness.ts';

/**
 * A delivery is recorded, answered 2xx, then read back to be acted on. The read failing (a
 * database connection lost just after the commit) left the records open under this process's
 * lease, which this process never took again: on a store no other replica shares, the leaver was
 * offboarded only after a restart (Okta does not send an event again once it heard 200,
 * https://developer.okta.com/docs/concepts/event-hooks/), and the Lifecycle Workflows task ran into
 * its callback timeout. They are taken again once the lease lapses, as after any other failure.
 */
/** A memory store whose first hookEvents read after the next transaction (the claim) fails. */
function storeWhoseReadAfterClaimFails(): { store: MemoryStore; armAfterNextWrite(): void; failed(): number } {
  const store = new MemoryStore();
  let armed = false;
  let failed = 0;
  const getMany = store.getMany.bind(store);
  const get = store.get.bind(store);
  const fail = () => {
    armed = false;
    failed++;
    return Promise.reject(new StoreUnavailable('connection terminated', 5));
  };
  store.getMany = ((collection, partition, ids) => (armed && collection === 'hookEvents' ? fail() : getMany(collection, partition, ids))) as Store['getMany'];
  store.get = ((collection, partition, id) => (armed && collection === 'hookEvents' ? fail() : get(collection, partition, id))) as Store['get'];
  const transact = store.transact.bind(store);
  const armAfterNextWrite = () => {
    store.transact = ((fn) => {
      store.transact = transact;
      return transact(fn).then((out) => { armed = true; return out; });
    }) as Store['transact'];
  };
  return { store, armAfterNextWrite, failed: () => failed };
}

test('Okta: the read-back after the 200 fails once: the delivery is still acted on, without a restart', async () => {
  const { store, armAfterNextWrite, failed } = storeWhoseReadAfterClaimFails();
  const agent = new FakeAgent();
  agent.people.add('jane@example.com');
  const hook = createOktaHookRouter({ config: testConfig(), agent, store, leaseMs: 150 });
  await hook.settled();
  const server = await serveRouters([['/hooks', hook]]);
  try {
    const published = new Date(Date.now() - 60_000).toISOString();
    armAfterNextWrite();
    const res = await fetch(`${server.url}/hooks/okta`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET },
      body: JSON.stringify({ data: { events: [oktaDeactivation('jane@example.com', 'evt-read-back', published)] } }),
    });
    assert.equal(res.status, 200);
    await until('the delivery is done', async () => (await store.get('hookEvents', 'okta', 'evt-read-back'))?.state === 'done');
    await hook.settled();
    assert.equal(failed(), 1, 'the read-back failed');
    assert.deepEqual(agent.writes().map((c) => c.method), ['offboard']);
    assert.equal((await store.get('hookEvents', 'okta', 'evt-read-back'))?.state, 'done');
  } finally {
    hook.stop();
    await server.close();
  }
});

test('Entra: the read-back after the 202 fails once: the callout is still run and resumed, without a restart', async () => {
  const emulator = createGraphEmulator({ tenantId: 'tenant-1111', clientId: 'hubwarden-app-id', clientSecret: TEST_ENV.ENTRA_CLIENT_SECRET });
  const graph = await emulator.listen();
  const { store, armAfterNextWrite, failed } = storeWhoseReadAfterClaimFails();
  const agent = new FakeAgent();
  agent.people.add('jane@example.com');
  const resumed: string[] = [];
  const resume: ResumeCall = async (_idp, target, status) => { resumed.push(`${target.taskProcessingResultId} ${status}`); };
  const hook = createEntraLifecycleRouter({ config: entraConfigFor(graph.url), agent, store, resume, pollIntervalMs: 5, leaseMs: 150 });
  await hook.settled();
  const server = await serveRouters([['/hooks', hook]]);
  try {
    const token = await emulator.issueToken({ aud: 'api://hubwarden', azp: 'relay-app', appid: 'relay-app' });
    armAfterNextWrite();
    const res = await fetch(`${server.url}/hooks/entra/lifecycle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ data: {
        subject: { id: 'obj-jane', email: 'jane@example.com', userPrincipalName: 'jane@example.com' },
        task: { id: 'task-1' }, taskProcessingResult: { id: 'tpr-read-back' }, workflow: { id: 'wf-1' },
      } }),
    });
    assert.equal(res.status, 202);
    await until('the workflow resumed', async () => resumed.length > 0);
    await hook.settled();
    assert.equal(failed(), 1, 'the read-back failed');
    assert.deepEqual(resumed, ['tpr-read-back completed']);
  } finally {
    hook.stop();
    await server.close();
    await graph.close();
  }
});
