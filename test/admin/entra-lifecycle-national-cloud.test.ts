import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createGraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';

/**
 * Lifecycle Workflows callouts come from the global Microsoft cloud only: the custom task extension
 * docs name its issuer and Graph alone (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility).
 * A national cloud's config was loaded and every callout then refused (China's v1.0 issuer) or
 * judged against issuers nobody documented; it is refused when the config is read, saying why.
 */
const TENANT = 'tenant-1111';
const entra = (urls: string, lifecycle = 'lifecycleWorkflows: { allowedAppIds: [relay] }') => `  entra:
    kind: entra
    tenantId: ${TENANT}
    clientId: hubwarden-app-id
    clientSecret: env:ENTRA_CLIENT_SECRET
    extensionAppId: ext-app
${urls}
    ${lifecycle}`;

test('lifecycleWorkflows with a national cloud authority or Graph (US Government, China) is refused when the config is read', () => {
  const cases = [
    '    authorityUrl: https://login.microsoftonline.us\n    graphBaseUrl: https://graph.microsoft.us',
    '    authorityUrl: https://login.partner.microsoftonline.cn\n    graphBaseUrl: https://microsoftgraph.chinacloudapi.cn',
    '    authorityUrl: https://login.chinacloudapi.cn',
    '    graphBaseUrl: https://dod-graph.microsoft.us/',
  ];
  for (const urls of cases) {
    assert.throws(() => testConfig(entra(urls)), /lifecycleWorkflows: Lifecycle Workflows callouts are accepted from the global Microsoft cloud only/, urls);
  }
});

test('a national cloud provider without lifecycleWorkflows (write-back only) and the global cloud with it still load', () => {
  const gov = testConfig(entra('    authorityUrl: https://login.microsoftonline.us\n    graphBaseUrl: https://graph.microsoft.us', ''));
  assert.equal(gov.file.identityProviders.entra?.kind, 'entra');
  const global = testConfig(entra('    authorityUrl: https://login.microsoftonline.com'));
  assert.ok((global.file.identityProviders.entra as { lifecycleWorkflows?: unknown }).lifecycleWorkflows);
});

test("a v1.0 token from China's issuer (sts.chinacloudapi.cn) is refused 401: only the global v1.0 issuer is known", async () => {
  const emulator = createGraphEmulator({ tenantId: TENANT, clientId: 'hubwarden-app-id', clientSecret: TEST_ENV.ENTRA_CLIENT_SECRET });
  const graph = await emulator.listen();
  const config = testConfig(entra(`    graphBaseUrl: ${graph.url}\n    authorityUrl: ${graph.url}`, 'lifecycleWorkflows: { allowedAppIds: [relay], audience: api://hubwarden }'));
  const agent = new FakeAgent();
  const hook = createEntraLifecycleRouter({ config, agent, store: new MemoryStore(), pollIntervalMs: 5 });
  const server = await serveRouters([['/hooks', hook]]);
  try {
    const token = await emulator.issueToken({ iss: `https://sts.chinacloudapi.cn/${TENANT}/`, ver: '1.0', aud: 'api://hubwarden', appid: 'relay', azp: undefined });
    const res = await fetch(`${server.url}/hooks/entra/lifecycle`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ data: { subject: { id: 'o', email: 'jane@example.com' }, task: { id: 't' }, taskProcessingResult: { id: 'r-cn' }, workflow: { id: 'w' } } }),
    });
    assert.equal(res.status, 401);
    await hook.settled();
    assert.equal(agent.writes().length, 0);
  } finally {
    hook.stop();
    await server.close();
    await graph.close();
  }
});
