import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { graphResume, type ResumeCall } from '../../scim-server/hooks/graph-resume.ts';
import { createGraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';

const TENANT = 'tenant-1111';
const CLIENT = 'hubwarden-app-id';
const RELAY = 'relay-logic-app-id';
const AUD = 'api://hubwarden';

/**
 * "Launch and wait": a task whose resume never arrives is marked failed at the callback timeout
 * (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility), though the
 * leaver's seats are gone. A resume that failed on the way (the network, the token endpoint, a
 * 5xx) is sent again; one Graph refused (a 4xx) is not.
 */
async function leaverCallout(resultId: string, failures: Array<Error & { statusCode?: number }>) {
  const emulator = createGraphEmulator({ tenantId: TENANT, clientId: CLIENT, clientSecret: TEST_ENV.ENTRA_CLIENT_SECRET });
  const graph = await emulator.listen();
  const config = testConfig(`  entra:
    kind: entra
    tenantId: ${TENANT}
    clientId: ${CLIENT}
    clientSecret: env:ENTRA_CLIENT_SECRET
    extensionAppId: ext-app
    graphBaseUrl: ${graph.url}
    authorityUrl: ${graph.url}
    lifecycleWorkflows: { allowedAppIds: [${RELAY}], audience: ${AUD}, actions: { task-offboard: offboard } }`);
  const viaGraph = graphResume(config, { maxRetries: 0 });
  let attempts = 0;
  const resume: ResumeCall = async (idp, target, status) => {
    attempts++;
    const failure = failures.shift();
    if (failure) throw failure;
    return viaGraph(idp, target, status);
  };
  const store = new MemoryStore();
  const hook = createEntraLifecycleRouter({ config, agent: new FakeAgent(), store, resume, pollIntervalMs: 5 });
  const server = await serveRouters([['/hooks', hook]]);
  const alive = setInterval(() => undefined, 1000); // the hook waits on unref'd timers
  try {
    const token = await emulator.issueToken({ aud: AUD, azp: RELAY, appid: RELAY });
    const res = await fetch(`${server.url}/hooks/entra/lifecycle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        data: {
          callbackUriPath: `/identityGovernance/lifecycleWorkflows/workflows/wf-1/tasks/task-offboard/taskProcessingResults/${resultId}/resume`,
          subject: { id: 'obj-jane', displayName: 'Jane', email: 'jane@example.com', userPrincipalName: 'jane@example.com' },
          task: { id: 'task-offboard', displayName: 'remove seat' },
          taskProcessingResult: { id: resultId, createdDateTime: '2026-11-23T10:00:00Z' },
          workflow: { id: 'wf-1', displayName: 'Leaver', workflowVersion: 1 },
        },
        source: 'sample', type: 'lifecycleEvent',
      }),
    });
    assert.equal(res.status, 202);
    await hook.settled();
    const audit = [];
    for await (const e of store.list('audit', '')) if (e.action === 'lifecycle-resume') audit.push(e);
    return { attempts, resumes: emulator.resumes, record: await store.get('hookEvents', 'entra-lifecycle', resultId), audit };
  } finally {
    clearInterval(alive);
    hook.stop();
    await server.close();
    await graph.close();
  }
}

test('Entra: a resume that fails on the way (the network, then a 502) is sent again: the workflow hears completed, recorded and audited once', async () => {
  const network = Object.assign(new TypeError('fetch failed'), { statusCode: -1 });
  const badGateway = Object.assign(new Error('Bad Gateway'), { statusCode: 502 });
  const { attempts, resumes, record, audit } = await leaverCallout('tpr-retry', [network, badGateway]);
  assert.equal(attempts, 3);
  assert.deepEqual(resumes.map((r) => [r.taskProcessingResultId, r.body]), [['tpr-retry', { data: { operationStatus: 'completed' }, source: 'hubwarden', type: 'lifecycleEvent' }]]);
  assert.equal(record?.state, 'done');
  assert.equal(record?.outcome, 'resumed completed');
  assert.deepEqual(audit.map((e) => [e.outcome, e.detail?.operationStatus]), [['ok', 'completed']]);
});

test('Entra: a resume Graph refuses (403) is not sent again: recorded and audited as failed', async () => {
  const forbidden = Object.assign(new Error('Authorization_RequestDenied'), { statusCode: 403 });
  const { attempts, resumes, record, audit } = await leaverCallout('tpr-refused', [forbidden]);
  assert.equal(attempts, 1);
  assert.deepEqual(resumes, []);
  assert.equal(record?.state, 'failed');
  assert.match(record?.outcome ?? '', /^resume failed: Authorization_RequestDenied/);
  assert.deepEqual(audit.map((e) => e.outcome), ['failed']);
});
