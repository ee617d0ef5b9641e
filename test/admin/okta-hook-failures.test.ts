import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { FailureLimiter } from '../../scim-server/auth-failures.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from './test-server.ts';

/**
 * Wrong event hook secrets spend a failure budget per client address (auth-failures.ts), as wrong
 * SCIM and admin tokens do: past it, 429 with Retry-After (RFC 6585 §4). The secret is checked
 * first, so Okta's right one always passes; a verification GET without one is not counted.
 */
const body = (uuid: string) => JSON.stringify({ data: { events: [{
  uuid, published: new Date().toISOString(), eventType: 'user.session.start',
  actor: { id: '00uadmin', alternateId: 'admin@example.com' }, outcome: { result: 'SUCCESS' }, target: [],
}] } });

describe('Okta event hook: wrong secrets', () => {
  const servers: TestServer[] = [];
  const stops: Array<() => void> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    for (const s of servers.splice(0)) await s.close();
  });
  async function start(store: MemoryStore, failures?: FailureLimiter): Promise<string> {
    const hook = createOktaHookRouter({ config: testConfig(), agent: new FakeAgent(), store, ...(failures ? { failures } : {}) });
    stops.push(() => hook.stop());
    const server = await serveRouters([['/hooks', hook]]);
    servers.push(server);
    return server.url;
  }
  const post = (url: string, secret: string | null, uuid: string) => fetch(`${url}/hooks/okta`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(secret === null ? {} : { authorization: secret }) }, body: body(uuid),
  });

  test('past the budget a wrong secret gets 429 with Retry-After; the right secret and the verification GET still pass', async () => {
    const url = await start(new MemoryStore(), new FailureLimiter({ hook: { maxFailures: 3, windowMs: 60_000 } }));
    // No Authorization header is not a guess: not counted.
    for (let i = 0; i < 5; i++) assert.equal((await post(url, null, `none-${i}`)).status, 401);
    for (let i = 0; i < 3; i++) assert.equal((await post(url, `wrong-${i}`, `w-${i}`)).status, 401, `wrong secret ${i + 1} is within the budget`);
    const limited = await post(url, 'wrong-again', 'w-4');
    assert.equal(limited.status, 429);
    const wait = Number(limited.headers.get('retry-after'));
    assert.ok(wait > 0 && wait <= 60, `Retry-After ${limited.headers.get('retry-after')}`);
    assert.doesNotMatch(await limited.text(), /okta-hook-secret/, 'no secret in the answer');
    assert.equal((await post(url, TEST_ENV.OKTA_HOOK_SECRET, 'right-1')).status, 200, 'the right secret always passes');
    const verify = await fetch(`${url}/hooks/okta`, { headers: { 'X-Okta-Verification-Challenge': 'abc' } });
    assert.equal(verify.status, 200);
    assert.deepEqual(await verify.json(), { verification: 'abc' });
    // A verification with a wrong secret is a guess like any other: no unmetered way to test secrets.
    const guessed = await fetch(`${url}/hooks/okta`, { headers: { 'X-Okta-Verification-Challenge': 'abc', authorization: 'wrong-verify' } });
    assert.equal(guessed.status, 429);
  });

  test('replicas sharing the store share the budget (the default limiter counts in the store)', async () => {
    const store = new MemoryStore();
    const [a, b] = [await start(store), await start(store)];
    // The default hook budget is five wrong secrets a minute per address, spent across both replicas.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(i % 2 ? b : a, `wrong-${i}`, `w-${i}`)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
    assert.equal((await post(a, TEST_ENV.OKTA_HOOK_SECRET, 'right-a')).status, 200);
    assert.equal((await post(b, TEST_ENV.OKTA_HOOK_SECRET, 'right-b')).status, 200);
  });
});

test('the limiter sweeps the hook budget records too once their failures have aged out', async () => {
  let now = Date.parse('2026-12-01T00:00:00Z');
  const store = new MemoryStore();
  const limiter = new FailureLimiter({}, () => now, store);
  assert.equal(await limiter.fail('hook', '198.51.100.7'), 0);
  now += 2 * 60_000;
  assert.equal(await limiter.sweep(), 1);
  assert.equal(await store.count('authFailures', 'hook'), 0);
});
