/**
 * Several hubs on one hubwarden: two Meta businesses and a TikTok Business Center. The service
 * builds each hub's connector from that hub's own block and keeps it per hub (compose.ts
 * `connectorFor`), so each hub's calls carry its own token and name its own business: a connector
 * kept per app would send one business's token to the other.
 */
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Keyring } from '../agent/secrets/keyring.ts';
import { MemoryStore } from '../agent/store/memory-store.ts';
import { parseConfig } from '../config/load.ts';
import { composeHubwarden } from './compose.ts';

const TOKENS = { A: 'token-business-a-0123456789', B: 'token-business-b-0123456789', T: 'token-tiktok-t-0123456789' };

test("each hub's calls carry that hub's token only, and name that hub's business", async (t) => {
  const config = parseConfig(`
hubs:
  - id: meta-a
    connector: meta-business
    meta: { businessId: "1111111111", accessToken: env:A, graphBaseUrl: "https://graph.example.test" }
    teams: [ { group: Admins, hubRole: owner, appRole: ADMIN } ]
  - id: meta-b
    connector: meta-business
    meta: { businessId: "2222222222", accessToken: env:B, graphBaseUrl: "https://graph.example.test" }
    teams: [ { group: Admins, hubRole: owner, appRole: ADMIN } ]
  - id: hub-t
    connector: tiktok-business
    tiktok: { businessCenterId: "7000000000000000001", accessToken: env:T, tokenUserId: "7100", apiBaseUrl: "https://tiktok.example.test" }
    teams: [ { group: Admins, hubRole: owner, appRole: ADMIN } ]
`, '/tmp/hubwarden-compose-hub-tokens/hubwarden.yaml', TOKENS);
  const store = new MemoryStore();
  await store.open();
  const seen: Array<{ url: string; auth: string }> = [];
  const sent = mock.method(globalThis, 'fetch', async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    const headers = new Headers(input instanceof Request ? input.headers : init?.headers);
    const body = typeof init?.body === 'string' ? init.body : '';
    seen.push({ url, auth: `${headers.get('authorization') ?? ''} ${headers.get('access-token') ?? ''} ${url} ${body}` });
    return new Response('{}', { status: 500 });
  });
  t.after(() => sent.mock.restore());
  const hubwarden = composeHubwarden({ config, store, auditFile: false, keyring: Keyring.fromKey(randomBytes(32)) });
  const owners = { 'meta-a': 'A', 'meta-b': 'B', 'hub-t': 'T' } as const;
  for (const hubId of ['meta-a', 'meta-b', 'hub-t', 'meta-a'] as const) {
    const from = seen.length;
    const connector = hubwarden.connectorFor(hubId)!;
    await connector.listMembers!().catch(() => undefined);
    const calls = seen.slice(from);
    assert.ok(calls.length > 0, `hub ${hubId} called its app`);
    for (const c of calls) {
      for (const [key, token] of Object.entries(TOKENS)) {
        assert.equal(c.auth.includes(token), key === owners[hubId], `hub ${hubId}'s call ${c.url} ${key === owners[hubId] ? 'carries' : 'does not carry'} the token of ${key}`);
      }
    }
    if (hubId.startsWith('meta-')) {
      const business = hubId === 'meta-a' ? '1111111111' : '2222222222';
      const other = hubId === 'meta-a' ? '2222222222' : '1111111111';
      assert.ok(calls.some((c) => c.url.includes(business)), `hub ${hubId} names its own business`);
      assert.ok(calls.every((c) => !c.url.includes(other)), `hub ${hubId} never names the other business`);
    }
  }
  assert.notEqual(hubwarden.connectorFor('meta-a'), hubwarden.connectorFor('meta-b'), 'one connector per hub, not per app');
});
