/**
 * My access's Claim is the one change anyone signed in may ask for (collaborators, people with
 * no hub role). Each claim is a store transaction: a refused one (an expired or withdrawn offer)
 * commits an audit entry, a repeated one queues the person's re-evaluation again. Without a
 * limit, one signed-in person in a loop wrote without end; now 10 claims a minute per person,
 * counted in the store (scim-server/auth-failures.ts, scope `claim`): N replicas together allow 10,
 * not 10 each (issue 13: rate-limit state lives in the database).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import type { Store } from '../../agent/store/store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, testConfig, type TestServer } from '../../test/admin/test-server.ts';
import { postgresForTests, testSchema } from '../../test/postgres.ts';
import { FailureLimiter } from '../auth-failures.ts';
import { createWebRouter } from './router.ts';
import { SessionStore } from './session-store.ts';

type Signed = { id: string; csrf: string };

const claim = (url: string, s: Signed, offerId: string) => fetch(`${url}/ui/my-access/offers/${offerId}/claim`, {
  method: 'POST', redirect: 'manual',
  headers: { cookie: `hubwarden-session=${s.id}`, origin: url, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ _csrf: s.csrf }),
});
const claimsOf = (agent: FakeAgent, email: string) => agent.calls.filter((c) => c.method === 'claimOwnOffer' && (c.args[0] as { email: string }).email === email).length;

describe('claiming on My access is limited per person', () => {
  let server: TestServer;
  const agent = new FakeAgent();
  const sessions = new SessionStore(new MemoryStore());
  const warnings: string[] = [];
  before(async () => {
    const store = new MemoryStore();
    await store.open();
    const log = { info() {}, warn(message: string) { warnings.push(message); }, error() {} };
    // No `failures`: the router's default limiter, counted in `store`.
    server = await serveRouters([['/ui', createWebRouter({ config: testConfig(), agent, store, log, sessions })]]);
  });
  after(() => server.close());

  test('past 10 claims a minute, a person gets 429 with Retry-After and nothing reaches the agent; someone else is not affected', async () => {
    const jane = await sessions.create('jane@example.com', 'oidc', { admin: false, email: 'jane@example.com' });
    const statuses: number[] = [];
    // The expired offer: each claim the agent refuses is an audit entry committed.
    for (let i = 0; i < 30; i++) statuses.push((await claim(server.url, jane, 'offer-2')).status);
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(409));
    assert.deepEqual(statuses.slice(10), Array(20).fill(429));
    assert.equal(claimsOf(agent, 'jane@example.com'), 10, 'only the claims within the budget reach the agent');
    const limited = await claim(server.url, jane, 'offer-1');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After says when');
    assert.match(await limited.text(), /Too many claims/);
    assert.equal(warnings.filter((w) => /too many claims/.test(w)).length, 1, 'logged once a burst, not once a request');
    // Another person's budget is their own.
    const olivia = await sessions.create('olivia@example.com', 'oidc', { admin: false, email: 'olivia@example.com' });
    assert.equal((await claim(server.url, olivia, 'offer-1')).status, 404);
  });
});

test('the limiter: a burst is "first" once per limiter, a flood past the budget writes nothing, aged-out claim records are swept', async () => {
  let now = Date.parse('2026-12-05T12:00:00Z');
  const store = new MemoryStore();
  let writes = 0;
  store.subscribe((changes) => { if (changes.some((c) => !c.remote)) writes++; });
  const [onA, onB] = [new FailureLimiter({}, () => now, store), new FailureLimiter({}, () => now, store)];
  for (let i = 0; i < 10; i++) assert.deepEqual(await (i % 2 ? onB : onA).spend('claim', 'jane@example.com'), { wait: 0, first: false });
  const counted = writes;
  assert.deepEqual(await onA.spend('claim', 'jane@example.com'), { wait: 60, first: true });
  for (let i = 0; i < 20; i++) assert.equal((await onA.spend('claim', 'jane@example.com')).first, false, 'once a burst');
  assert.deepEqual(await onB.spend('claim', 'jane@example.com'), { wait: 60, first: true }, 'the other replica logs its own first');
  assert.equal(writes, counted, 'refused claims write nothing');
  assert.equal((await onA.spend('claim', 'olivia@example.com')).wait, 0, 'another person has their own budget');
  now += 11 * 60_000;
  assert.equal(await onA.sweep(), 2);
  assert.equal(await store.count('authFailures', 'claim'), 0);
});

/** Two replicas: two web apps, each with its own limiter (as each process builds one), over one store. */
function replicaCases(pair: () => Promise<[Store, Store]>): void {
  test('claims spread over two replicas together get 10 a minute; the 11th is 429 on either; the window reopens after it passes', async () => {
    const [a, b] = await pair();
    let now = Date.parse('2026-12-05T12:00:00Z');
    const agent = new FakeAgent();
    const warnings: string[] = [];
    const log = { info() {}, warn(message: string) { warnings.push(message); }, error() {} };
    const app = (store: Store) => createWebRouter({ config: testConfig(), agent, store, log, sessions: new SessionStore(store), failures: new FailureLimiter({}, () => now, store) });
    const [onA, onB] = [await serveRouters([['/ui', app(a)]]), await serveRouters([['/ui', app(b)]])];
    try {
      const jane = await new SessionStore(a).create('jane@example.com', 'oidc', { admin: false, email: 'jane@example.com' });
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) { statuses.push((await claim((i % 2 ? onB : onA).url, jane, 'offer-2')).status); now += 1_000; }
      assert.deepEqual(statuses, Array(10).fill(409), 'ten claims within the budget, five on each replica');
      for (const replica of [onA, onB, onA, onB]) {
        const limited = await claim(replica.url, jane, 'offer-2');
        assert.equal(limited.status, 429, 'the 11th and later, on either replica');
        // The first claim (at +0 s) leaves the window at +60 s; it is +10 s now.
        assert.equal(limited.headers.get('retry-after'), '50');
      }
      assert.equal(claimsOf(agent, 'jane@example.com'), 10, 'the refused ones reach no agent');
      assert.equal((await a.get('authFailures', 'claim', 'jane@example.com'))?.at.length, 10, 'counted once in the shared store');
      assert.ok(warnings.filter((w) => /too many claims/.test(w)).length <= 2, 'logged once a burst by each replica refusing it');

      now += 50_000;
      assert.equal((await claim(onB.url, jane, 'offer-2')).status, 409, 'the first claim left the window: one more is allowed');
      assert.equal((await claim(onA.url, jane, 'offer-2')).status, 429, 'and only one (the second left at +61 s)');
      now += 1_000;
      assert.equal((await claim(onA.url, jane, 'offer-2')).status, 409);
      assert.equal(claimsOf(agent, 'jane@example.com'), 12);
    } finally {
      await Promise.all([onA.close(), onB.close()]);
    }
  });
}

describe('the claim budget across replicas on one memory store', () => {
  replicaCases(async () => {
    const store = new MemoryStore();
    await store.open();
    return [store, store];
  });
});

const db = await postgresForTests();

describe('the claim budget across replicas on PostgreSQL', { skip: db.skip }, () => {
  const open: PostgresStore[] = [];
  const drops: Array<() => Promise<void>> = [];
  after(async () => {
    await Promise.all(open.map((s) => s.close()));
    await Promise.all(drops.map((d) => d()));
  });
  replicaCases(async () => {
    const { schema, drop } = testSchema(db.url, 'claims');
    drops.push(drop);
    const stores = [new PostgresStore({ url: db.url, schema, poolSize: 2 }), new PostgresStore({ url: db.url, schema, poolSize: 2 })];
    for (const s of stores) { await s.open(); open.push(s); }
    return [stores[0]!, stores[1]!];
  });
});
