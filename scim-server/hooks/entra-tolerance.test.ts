import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../agent/api.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { createEntraLifecycleRouter } from './entra-lifecycle.ts';
import { createGraphEmulator, type GraphEmulator } from '../../test/emulators/graph/graph-emulator.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig } from '../../test/admin/test-server.ts';

/**
 * Lifecycle Workflows custom task extension callouts as another relay may legitimately forward them
 * (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility; Graph
 * `customTaskExtensionCalloutData`): fields Microsoft adds (`@odata.type`, `@odata.context`, the
 * subject's manager…), optional ones left out or null, header names in another case. Each is acted
 * on exactly as the plain callout: the same HTTP answer, agent calls, audit entries and resume.
 */
type Json = Record<string, any>;
const TENANT = 'tenant-1111';
const CLIENT = 'hubwarden-app-id';
const RELAY = 'relay-logic-app-id';
const AUD = 'api://hubwarden';
const TPR = 'tpr-tolerance';

const plain = (): Json => ({
  data: {
    callbackUriPath: `/identityGovernance/lifecycleWorkflows/workflows/wf-1/tasks/task-offboard/taskProcessingResults/${TPR}/resume`,
    subject: { id: 'obj-jane', displayName: 'Jane', email: 'jane@example.com', userPrincipalName: 'jane@example.com', manager: { id: 'm', displayName: 'Boss', email: 'boss@example.com' } },
    task: { id: 'task-offboard', displayName: 'Meta BM: remove seat' },
    taskProcessingResult: { id: TPR, createdDateTime: '2026-11-23T10:00:00Z' },
    workflow: { id: 'wf-1', displayName: 'Leaver', workflowVersion: 1 },
  },
  source: 'sample',
  type: 'lifecycleEvent',
});
const withData = (change: (d: Json) => Json, top: Json = {}): Json => {
  const p = plain();
  return { ...p, data: change(p.data), ...top };
};
const odata = (type: string) => ({ '@odata.type': `#microsoft.graph.${type}` });

interface Variant { name: string; body: Json; headers?: Record<string, string> }
const variants: Variant[] = [
  { name: 'unknown fields at every level, @odata.type and @odata.context present', body: withData((d) => ({
    ...d, '@odata.type': '#microsoft.graph.identityGovernance.customTaskExtensionCalloutData', futureField: [1, { a: 'b' }],
    subject: { ...odata('user'), ...d.subject, manager: { ...d.subject.manager, jobTitle: 'Head' }, department: 'Sales', accountEnabled: false },
    task: { ...odata('identityGovernance.task'), ...d.task, category: 'leaver', executionSequence: 2, isEnabled: true, arguments: [{ name: 'customTaskExtensionID', value: 'cte-1' }] },
    taskProcessingResult: { ...odata('identityGovernance.taskProcessingResult'), ...d.taskProcessingResult, processingStatus: 'inProgress', startedDateTime: null },
    workflow: { ...odata('identityGovernance.workflow'), ...d.workflow, category: 'leaver', isEnabled: true },
  }), { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.identityGovernance.customTaskExtensionCalloutData', id: 'evt-1', time: '2026-11-23T10:00:00Z', specversion: '1.0' }) },
  { name: 'optional fields absent (displayNames, manager, createdDateTime, workflowVersion, callbackUriPath, source, type)', body: (({ data }) => ({ data: {
    subject: { id: data.subject.id, email: data.subject.email, userPrincipalName: data.subject.userPrincipalName },
    task: { id: data.task.id }, taskProcessingResult: { id: TPR }, workflow: { id: data.workflow.id },
  } }))(plain()) },
  { name: 'optional fields null', body: withData((d) => ({
    ...d, callbackUriPath: d.callbackUriPath,
    subject: { ...d.subject, displayName: null, manager: null },
    task: { ...d.task, displayName: null }, taskProcessingResult: { ...d.taskProcessingResult, createdDateTime: null },
    workflow: { ...d.workflow, displayName: null, workflowVersion: null },
  }), { source: null, type: null }) },
  { name: 'members in another order', body: (({ data, source, type }) => ({ type, source, data: {
    workflow: { workflowVersion: 1, displayName: 'Leaver', id: 'wf-1' }, taskProcessingResult: { createdDateTime: data.taskProcessingResult.createdDateTime, id: TPR },
    task: { displayName: data.task.displayName, id: data.task.id }, subject: { manager: data.subject.manager, userPrincipalName: data.subject.userPrincipalName, email: data.subject.email, displayName: 'Jane', id: 'obj-jane' },
    callbackUriPath: data.callbackUriPath,
  } }))(plain()) },
  // The Graph model's workflowVersion is an Int32; a relay Logic App that rebuilds the body with
  // string interpolation (`@{…}`) sends it as text. hubwarden does not read it.
  { name: 'workflowVersion as a string', body: withData((d) => ({ ...d, workflow: { ...d.workflow, workflowVersion: '1' } })) },
  { name: 'another source and type', body: withData((d) => d, { source: 'https://graph.microsoft.com/identityGovernance/lifecycleWorkflows', type: 'microsoft.graph.identityGovernance.lifecycleEvent' }) },
  { name: 'header names in capitals, "bearer" in lower case, a charset on the content type', body: plain(), headers: { 'CONTENT-TYPE': 'application/json; charset=utf-8' } },
];

// A Graph emulator each: it remembers the results resumed, and every variant resumes the same one.
let emulator: GraphEmulator;
let graph: { url: string; close(): Promise<void> };

const config = () => testConfig(`  entra:
    kind: entra
    tenantId: ${TENANT}
    clientId: ${CLIENT}
    clientSecret: env:ENTRA_CLIENT_SECRET
    extensionAppId: ext-app
    graphBaseUrl: ${graph.url}
    authorityUrl: ${graph.url}
    lifecycleWorkflows: { allowedAppIds: [${RELAY}], audience: ${AUD}, actions: { task-offboard: offboard } }`, 'entra');

async function send(body: Json, headers?: Record<string, string>) {
  emulator = createGraphEmulator({ tenantId: TENANT, clientId: CLIENT, clientSecret: TEST_ENV.ENTRA_CLIENT_SECRET });
  graph = await emulator.listen();
  const agent = new FakeAgent();
  const store = new MemoryStore();
  const hook = createEntraLifecycleRouter({ config: config(), agent, store, pollIntervalMs: 5 });
  const server = await serveRouters([['/hooks', hook]]);
  const resumedBefore = emulator.resumes.length;
  try {
    const token = await emulator.issueToken({ aud: AUD, azp: RELAY, appid: RELAY });
    const res = await fetch(`${server.url}/hooks/entra/lifecycle`, {
      method: 'POST',
      headers: headers ? { ...headers, AUTHORIZATION: `bearer ${token}` } : { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    const answer = { status: res.status, body: await res.text() };
    await hook.settled();
    const calls = agent.writes().map((c) => JSON.stringify([c.method, ...c.args])).sort();
    const audit = ((await collect(store.list('audit', ''))) as AuditEntry[]).map(({ action, outcome, subject, why, trigger, detail }) => JSON.stringify({ action, outcome, subject, why, trigger, detail })).sort();
    const resumes = emulator.resumes.slice(resumedBefore).map((r) => [r.workflowId, r.taskId, r.taskProcessingResultId, r.body]);
    const record = (await store.get('hookEvents', 'entra-lifecycle', TPR)) as Json | undefined;
    return { answer, calls, audit, resumes, record: record && [record.state, record.callout] };
  } finally {
    hook.stop();
    await server.close();
    await graph.close();
  }
}

test('Entra callouts a relay may legitimately forward differently are acted on as the plain one', async (t) => {
  const expected = await send(plain());
  assert.deepEqual(expected.answer, { status: 202, body: JSON.stringify({ taskProcessingResultId: TPR, action: 'offboard', duplicate: false }) });
  assert.equal(expected.calls.length, 1, 'jane offboarded once');
  assert.deepEqual(expected.resumes, [['wf-1', 'task-offboard', TPR, { data: { operationStatus: 'completed' }, source: 'hubwarden', type: 'lifecycleEvent' }]]);
  assert.ok(expected.audit.some((a) => a.includes('lifecycle-resume')), 'the resume is audited');
  for (const v of variants) {
    await t.test(v.name, async () => {
      const got = await send(v.body, v.headers);
      assert.deepEqual(got.answer, expected.answer);
      assert.deepEqual(got.calls, expected.calls);
      assert.deepEqual(got.audit, expected.audit);
      assert.deepEqual(got.resumes, expected.resumes);
      assert.deepEqual(got.record, expected.record);
    });
  }
});
