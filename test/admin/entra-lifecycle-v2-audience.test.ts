import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { createGraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { FakeAgent } from './fake-agent.ts';
import { entraConfigFor, serveRouters, TEST_ENV } from './test-server.ts';

/**
 * "In v2.0 tokens, this value [aud] is always the client ID of the API. In v1.0 tokens, it can be
 * the client ID or the resource URI used in the request"
 * (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference). With
 * `audience: api://hubwarden` set (the App ID URI of hubwarden's app registration, as
 * docs/entra-lifecycle-workflows.md configures it), a relay whose tokens are v2.0 (the app
 * registration's accessTokenAcceptedVersion 2) sends `aud` = hubwarden's client id: every callout
 * was refused 401, and every leaver's workflow task failed at its callback timeout, seats in place.
 */
const callout = (resultId: string) => ({
  data: {
    callbackUriPath: `/identityGovernance/lifecycleWorkflows/workflows/wf-1/tasks/task-1/taskProcessingResults/${resultId}/resume`,
    subject: { id: 'obj-jane', displayName: 'Jane', email: 'jane@example.com', userPrincipalName: 'jane@example.com' },
    task: { id: 'task-1', displayName: 'remove seat' },
    taskProcessingResult: { id: resultId, createdDateTime: '2026-11-23T10:00:00Z' },
    workflow: { id: 'wf-1', displayName: 'Leaver', workflowVersion: 1 },
  },
  source: 'sample',
  type: 'lifecycleEvent',
});

test('with audience set to the App ID URI, a v2.0 token (aud: the client id) of the relay is accepted; tokens for another API still are not', async () => {
  const emulator = createGraphEmulator({ tenantId: 'tenant-1111', clientId: 'hubwarden-app-id', clientSecret: TEST_ENV.ENTRA_CLIENT_SECRET });
  const graph = await emulator.listen();
  const config = entraConfigFor(graph.url); // audience: api://hubwarden, clientId: hubwarden-app-id
  const agent = new FakeAgent();
  const hook = createEntraLifecycleRouter({ config, agent, store: new MemoryStore(), pollIntervalMs: 5, resume: async () => {} });
  const server = await serveRouters([['/hooks', hook]]);
  const send = (token: string, resultId: string) => fetch(`${server.url}/hooks/entra/lifecycle`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(callout(resultId)),
  });
  try {
    // A v2.0 app-only token as Entra issues it: issuer …/v2.0, ver 2.0, azp the relay, aud the API's client id.
    const v2 = await emulator.issueToken({ ver: '2.0', aud: 'hubwarden-app-id', azp: 'relay-app', azpacr: '2', idtyp: 'app' });
    const res = await send(v2, 'tpr-v2');
    assert.equal(res.status, 202, await res.clone().text());
    // A v1.0 token may name the API by its client id too.
    const v1 = await emulator.issueToken({ iss: 'https://sts.windows.net/tenant-1111/', ver: '1.0', aud: 'hubwarden-app-id', appid: 'relay-app', azp: undefined, idtyp: 'app' });
    assert.equal((await send(v1, 'tpr-v1')).status, 202);
    await hook.settled();
    assert.deepEqual(agent.writes().filter((c) => c.method === 'offboard').map((c) => (c.args[1] as { detail: string }).detail), ['app relay-app, task task-1 result tpr-v2', 'app relay-app, task task-1 result tpr-v1'], 'the app that authenticated: azp of the v2.0 token, appid of the v1.0 one');
    // The relay's token for Graph, or for another app of the tenant, is no key to this endpoint.
    for (const aud of ['https://graph.microsoft.com', 'some-other-api-id', 'api://some-other-api']) {
      assert.equal((await send(await emulator.issueToken({ ver: '2.0', aud, azp: 'relay-app', idtyp: 'app' }), `tpr-${aud}`)).status, 401, aud);
    }
    await hook.settled();
    assert.equal(agent.writes().filter((c) => c.method === 'offboard').length, 2);
  } finally {
    hook.stop();
    await server.close();
    await graph.close();
  }
});
