/**
 * My access's Claim is the one change anyone signed in may ask for (collaborators, people with
 * no hub role). Each claim is a store transaction: a refused one (an expired or withdrawn offer)
 * commits an audit entry, a repeated one queues the person's re-evaluation again. Without a
 * limit, one signed-in person in a loop wrote without end; now 10 claims a minute per person.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, testConfig, type TestServer } from '../../test/admin/test-server.ts';
import { createWebRouter } from './router.ts';
import { SessionStore } from './session-store.ts';

const warnings: string[] = [];
const log = { info() {}, warn(message: string) { warnings.push(message); }, error() {} };

describe('claiming on My access is limited per person', () => {
  let server: TestServer;
  const agent = new FakeAgent();
  const sessions = new SessionStore(new MemoryStore());
  before(async () => {
    const store = new MemoryStore();
    await store.open();
    server = await serveRouters([['/ui', createWebRouter({ config: testConfig(), agent, store, log, sessions })]]);
  });
  after(() => server.close());

  const claim = (s: { id: string; csrf: string }, offerId: string) => fetch(`${server.url}/ui/my-access/offers/${offerId}/claim`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: `hubwarden-session=${s.id}`, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: s.csrf }),
  });
  const claims = (email: string) => agent.calls.filter((c) => c.method === 'claimOffer' && c.args[0] === email).length;

  test('past 10 claims a minute, a person gets 429 with Retry-After and nothing reaches the agent; someone else is not affected', async () => {
    const jane = await sessions.create('jane@example.com', 'oidc', { admin: false, email: 'jane@example.com' });
    const statuses: number[] = [];
    // The expired offer: each claim the agent refuses is an audit entry committed.
    for (let i = 0; i < 30; i++) statuses.push((await claim(jane, 'offer-2')).status);
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(409));
    assert.deepEqual(statuses.slice(10), Array(20).fill(429));
    assert.equal(claims('jane@example.com'), 10, 'only the claims within the budget reach the agent');
    const limited = await claim(jane, 'offer-1');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After says when');
    assert.match(await limited.text(), /Too many claims/);
    assert.equal(warnings.filter((w) => /too many claims/.test(w)).length, 1, 'logged once a burst, not once a request');
    // Another person's budget is their own.
    const olivia = await sessions.create('olivia@example.com', 'oidc', { admin: false, email: 'olivia@example.com' });
    assert.equal((await claim(olivia, 'offer-1')).status, 404);
  });
});
