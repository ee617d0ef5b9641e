import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { createGraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { FakeAgent } from './fake-agent.ts';
import { entraConfigFor, serveRouters, TEST_ENV } from './test-server.ts';

/**
 * Entra writes a tenant id (a GUID) in lower case in a token's `tid` and issuer
 * (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference). A config that
 * spells it in upper case reaches the token endpoint and the keys all the same (the authority takes
 * either), so only the callouts failed: every one refused 401, and each leaver's workflow task
 * failed with their seats in place.
 */
const TENANT = '7d3c1a2b-4e5f-4a6b-8c9d-0e1f2a3b4c5d';

test('a tenant id configured in upper case still verifies the relay\'s callouts (tid and issuer are lower case)', async () => {
  const emulator = createGraphEmulator({ tenantId: TENANT, clientId: 'hubwarden-app-id', clientSecret: TEST_ENV.ENTRA_CLIENT_SECRET });
  const graph = await emulator.listen();
  const config = entraConfigFor(graph.url, { tenantId: TENANT.toUpperCase() });
  const agent = new FakeAgent();
  const hook = createEntraLifecycleRouter({ config, agent, store: new MemoryStore(), pollIntervalMs: 5, resume: async () => {} });
  const server = await serveRouters([['/hooks', hook]]);
  try {
    const token = await emulator.issueToken({ aud: 'api://hubwarden', azp: 'relay-app', idtyp: 'app' });
    const res = await fetch(`${server.url}/hooks/entra/lifecycle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        data: {
          subject: { id: 'obj-jane', email: 'jane@example.com', userPrincipalName: 'jane@example.com' },
          task: { id: 'task-1' },
          taskProcessingResult: { id: 'tpr-1' },
          workflow: { id: 'wf-1' },
        },
      }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    await hook.settled();
    assert.equal(agent.writes().filter((c) => c.method === 'offboard').length, 1);
  } finally {
    hook.stop();
    await server.close();
    await graph.close();
  }
});
