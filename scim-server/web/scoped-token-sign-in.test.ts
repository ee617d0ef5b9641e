import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { AdminTokenEntry } from '../../config/admin-token-schema.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig } from '../../test/admin/test-server.ts';
import { createWebRouter } from './router.ts';
import { signInWithToken } from './web-fixtures.ts';

/**
 * Signing in to the dashboard with an admin token scoped to some hubs (`{ token, hubs }`) makes
 * an owner of exactly those hubs, never a global administrator; the scope is read from the
 * config on every request, so narrowing or removing it limits or ends existing sessions.
 */
const silent = { info() {}, warn() {}, error() {} };

const withTokens = (adminTokens: AdminTokenEntry[]): LoadedConfig => {
  const base = testConfig();
  return { ...base, file: { ...base.file, server: { ...base.file.server, adminTokens } } };
};


/** What the session sees through the dashboard's API with `config`: the hubs listed, and the status of each hub's page of settings. */
async function seen(store: MemoryStore, config: LoadedConfig, cookie: string) {
  const server = await serveRouters([['/ui', createWebRouter({ config, agent: new FakeAgent(), store, log: silent })]]);
  try {
    const res = await fetch(`${server.url}/ui/api/v1/hubs`, { headers: { cookie } });
    const hubs = res.status === 200 ? ((await res.json()) as { items: Array<{ id: string }> }).items.map((h) => h.id) : [];
    const status = async (hubId: string) => (await fetch(`${server.url}/ui/api/v1/hubs/${hubId}`, { headers: { cookie } })).status;
    return { hubs, acme: await status('acme-ads'), beta: await status('beta-shop') };
  } finally {
    await server.close();
  }
}

test('a scoped admin token signs in as an owner of its hubs only; a changed or removed scope limits or ends the session on its next request', async () => {
  const store = new MemoryStore();
  await store.open();
  const scopedToBeta = withTokens(['env:ADMIN_TOKEN', { token: 'env:SECOND_ADMIN_TOKEN', hubs: ['beta-shop'] }]);
  const server = await serveRouters([['/ui', createWebRouter({ config: scopedToBeta, agent: new FakeAgent(), store, log: silent })]]);
  const cookie = await signInWithToken(server.url, TEST_ENV.SECOND_ADMIN_TOKEN);
  const every = await signInWithToken(server.url, TEST_ENV.ADMIN_TOKEN);
  await server.close();
  assert.ok(cookie && every);

  assert.deepEqual(await seen(store, scopedToBeta, cookie), { hubs: ['beta-shop'], acme: 403, beta: 200 }, 'an owner of beta-shop, nothing else');
  assert.deepEqual(await seen(store, scopedToBeta, every), { hubs: ['acme-ads', 'beta-shop'], acme: 200, beta: 200 }, 'a token of every hub: an administrator');
  // The scope moved to acme-ads in the config: the same session follows it.
  const scopedToAcme = withTokens(['env:ADMIN_TOKEN', { token: 'env:SECOND_ADMIN_TOKEN', hubs: ['acme-ads'] }]);
  assert.deepEqual(await seen(store, scopedToAcme, cookie), { hubs: ['acme-ads'], acme: 200, beta: 403 });
  // The token taken out: nothing.
  const removed = withTokens(['env:ADMIN_TOKEN']);
  const gone = await seen(store, removed, cookie);
  assert.deepEqual([gone.hubs, gone.acme, gone.beta], [[], 403, 403]);
  // The sign-in audit says no administrator signed in, but an owner of the token's hubs.
  const signIns = [];
  for await (const e of store.newestFirst('audit', undefined, (a, b) => b.seq - a.seq)) if (e.action === 'dashboard-sign-in' && e.outcome === 'ok') signIns.push(e);
  const scopedSignIn = signIns.find((e) => e.detail?.admin === false);
  assert.ok(scopedSignIn, JSON.stringify(signIns.map((e) => e.detail)));
  assert.deepEqual(scopedSignIn.detail?.hubRoles, { 'beta-shop': 'owner' });
});
