/**
 * The surfaces of this folder mounted the way the composition root mounts routers (H1's createApp),
 * so wiring them into main.ts is a list of `{ path, router }` entries and nothing else.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createApp } from '../../scim-server/app.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { createMetricsRouter, hookDeliveryMetrics } from '../../scim-server/ops/metrics.ts';
import { FakeAgent } from './fake-agent.ts';
import { TEST_ENV, testConfig } from './test-server.ts';

let server: Server;
let url: string;
const entra = createEntraLifecycleRouter({ config: testConfig(), agent: new FakeAgent(), store: new MemoryStore(), resume: async () => {} });

before(async () => {
  const store = new MemoryStore();
  const config = testConfig();
  const agent = new FakeAgent();
  const app = createApp({
    store,
    routers: [
      { path: '/api/v1', router: createAdminRouter({ config, agent }) },
      { path: '/hooks', router: hookDeliveryMetrics() },
      { path: '/hooks', router: createOktaHookRouter({ config, agent, store }) },
      { path: '/hooks', router: entra },
      { path: '/', router: createMetricsRouter() },
    ],
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  entra.stop();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test('admin API, both hooks and /metrics answer under one app; other paths fall through to the app', async () => {
  const hubs = await fetch(`${url}/api/v1/hubs`, { headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` } });
  assert.equal(hubs.status, 200);
  assert.equal((await hubs.json()).total, 2);
  const unknownAdmin = await fetch(`${url}/api/v1/nope`, { headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` } });
  assert.equal(unknownAdmin.headers.get('content-type'), 'application/problem+json; charset=utf-8');

  const verify = await fetch(`${url}/hooks/okta`, { headers: { 'x-okta-verification-challenge': 'c-1' } });
  assert.deepEqual(await verify.json(), { verification: 'c-1' });
  // The Okta router does not swallow the Entra path, and a refused Entra call is a 401 of its own.
  assert.equal((await fetch(`${url}/hooks/entra/lifecycle`, { method: 'POST' })).status, 401);

  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /hubwarden_hook_deliveries_total\{source="okta",status="200"\} \d+/);
  assert.match(metrics, /hubwarden_hook_deliveries_total\{source="entra-lifecycle",status="401"\} \d+/);
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  assert.equal((await fetch(`${url}/elsewhere`)).status, 404);
});
