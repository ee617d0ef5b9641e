import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { createGraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';

/**
 * App ids are GUIDs, which Entra writes in lower case in a token's `aud` (a v2.0 token's is "always
 * the client ID of the API"), `azp` and `appid` (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
 * A clientId or an allowedAppIds entry spelled in upper case (as some tools print a GUID) still
 * gets app tokens and resumes (the token endpoint takes either), so only the callouts failed:
 * every one refused 401, which the relay never retries, and each leaver's task failed with their
 * seats in place. The same as a tenant id in upper case (entra-lifecycle-tenant-case.test.ts).
 */
const TENANT = 'tenant-1111';
const CLIENT = '0a1b2c3d-4e5f-4a6b-8c9d-aabbccddeeff';
const RELAY = '9f8e7d6c-5b4a-4c3d-8e2f-112233445566';

test('a clientId and allowedAppIds configured in upper case still accept the relay\'s v1.0 and v2.0 tokens (aud, azp and appid are lower case)', async () => {
  const emulator = createGraphEmulator({ tenantId: TENANT, clientId: CLIENT, clientSecret: TEST_ENV.ENTRA_CLIENT_SECRET });
  const graph = await emulator.listen();
  const config = testConfig(`  entra:
    kind: entra
    tenantId: ${TENANT}
    clientId: ${CLIENT.toUpperCase()}
    clientSecret: env:ENTRA_CLIENT_SECRET
    extensionAppId: ext-app
    graphBaseUrl: ${graph.url}
    authorityUrl: ${graph.url}
    lifecycleWorkflows: { allowedAppIds: [${RELAY.toUpperCase()}] }`);
  const agent = new FakeAgent();
  const hook = createEntraLifecycleRouter({ config, agent, store: new MemoryStore(), pollIntervalMs: 5, resume: async () => {} });
  const server = await serveRouters([['/hooks', hook]]);
  const send = (token: string, resultId: string) => fetch(`${server.url}/hooks/entra/lifecycle`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ data: { subject: { id: 'obj-jane', email: 'jane@example.com' }, task: { id: 'task-1' }, taskProcessingResult: { id: resultId }, workflow: { id: 'wf-1' } } }),
  });
  try {
    const v2 = await emulator.issueToken({ ver: '2.0', aud: CLIENT, azp: RELAY, appid: undefined, idtyp: 'app' });
    const r2 = await send(v2, 'tpr-v2');
    assert.equal(r2.status, 202, await r2.clone().text());
    const v1 = await emulator.issueToken({ iss: `https://sts.windows.net/${TENANT}/`, ver: '1.0', aud: `api://${CLIENT}`, appid: RELAY, azp: undefined });
    const r1 = await send(v1, 'tpr-v1');
    assert.equal(r1.status, 202, await r1.clone().text());
    // Another app, or a token for another API, is still refused.
    assert.equal((await send(await emulator.issueToken({ aud: CLIENT, azp: RELAY.replace('9f', '8f'), appid: undefined }), 'tpr-other-app')).status, 401);
    assert.equal((await send(await emulator.issueToken({ aud: CLIENT.replace('0a', '1a'), azp: RELAY, appid: undefined }), 'tpr-other-api')).status, 401);
    await hook.settled();
    assert.deepEqual(agent.writes().filter((c) => c.method === 'offboard').map((c) => (c.args[1] as { detail: string }).detail),
      [`app ${RELAY}, task task-1 result tpr-v2`, `app ${RELAY}, task task-1 result tpr-v1`]);
  } finally {
    hook.stop();
    await server.close();
    await graph.close();
  }
});
