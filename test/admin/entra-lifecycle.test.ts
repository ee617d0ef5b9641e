import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { StoreUnavailable } from '../../agent/store/store-unavailable.ts';
import { StoreContention } from '../../agent/store/store-contention.ts';
import { SessionStore, SignInRevoked } from '../../scim-server/web/session-store.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { createGraphEmulator, type GraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from './test-server.ts';

const TENANT = 'tenant-1111';
const CLIENT = 'hubwarden-app-id';
const RELAY = 'relay-logic-app-id';
const AUD = 'api://hubwarden';

function callout(resultId: string, subject: Record<string, string> = { id: 'obj-jane', email: 'jane@example.com', userPrincipalName: 'jane@example.com' }, taskId = 'task-offboard') {
  return {
    data: {
      callbackUriPath: `/identityGovernance/lifecycleWorkflows/workflows/wf-1/tasks/${taskId}/taskProcessingResults/${resultId}/resume`,
      subject: { displayName: 'Jane', manager: { id: 'm', displayName: 'Boss', email: 'boss@example.com' }, ...subject },
      task: { id: taskId, displayName: 'Meta BM: remove seat' },
      taskProcessingResult: { id: resultId, createdDateTime: '2026-11-23T10:00:00Z' },
      workflow: { id: 'wf-1', displayName: 'Leaver', workflowVersion: 1 },
    },
    source: 'sample',
    type: 'lifecycleEvent',
  };
}

/** The test config with an Entra provider whose authority and Graph are the emulator at `graphUrl`. */
function entraConfig(graphUrl: string, lifecycleWorkflows: string, betaShopIdp?: string) {
  return testConfig(`  entra:
    kind: entra
    tenantId: ${TENANT}
    clientId: ${CLIENT}
    clientSecret: env:ENTRA_CLIENT_SECRET
    extensionAppId: ext-app
    graphBaseUrl: ${graphUrl}
    authorityUrl: ${graphUrl}
    lifecycleWorkflows: ${lifecycleWorkflows}`, betaShopIdp);
}

describe('Entra Lifecycle Workflows /hooks/entra/lifecycle (against the Graph emulator)', () => {
  let emulator: GraphEmulator;
  let graph: { url: string; close(): Promise<void> };
  let server: TestServer;
  let agent: FakeAgent;
  let store: MemoryStore;
  let hook: ReturnType<typeof createEntraLifecycleRouter>;

  before(async () => {
    emulator = createGraphEmulator({ tenantId: TENANT, clientId: CLIENT, clientSecret: TEST_ENV.ENTRA_CLIENT_SECRET });
    graph = await emulator.listen();
    const config = entraConfig(graph.url, `{ allowedAppIds: [${RELAY}], audience: ${AUD}, actions: { task-offboard: offboard, task-check: check-for-updates } }`, 'entra');
    agent = new FakeAgent();
    store = new MemoryStore();
    hook = createEntraLifecycleRouter({ config, agent, store, pollIntervalMs: 5 });
    server = await serveRouters([['/hooks', hook]]);
  });
  after(async () => {
    hook.stop();
    await server.close();
    await graph.close();
  });

  const good = () => emulator.issueToken({ aud: AUD, azp: RELAY, appid: RELAY });
  const send = (body: unknown, token?: string) =>
    fetch(`${server.url}/hooks/entra/lifecycle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  test('a valid callout: 202 at once, offboard the subject, then resume with completed via Graph', async () => {
    const res = await send(callout('tpr-1'), await good());
    assert.equal(res.status, 202);
    assert.equal((await res.json()).action, 'offboard');
    await hook.settled();
    const offboard = agent.writes().find((c) => c.method === 'offboard')!;
    assert.deepEqual(offboard.args[0], { email: 'jane@example.com', userName: 'jane@example.com', externalId: 'obj-jane' });
    // Who: the workflow the body names, and the app whose token authenticated it (one of allowedAppIds).
    assert.deepEqual(offboard.args[1], { type: 'entra-lifecycle', idp: 'entra', actor: 'workflow:wf-1', detail: `app ${RELAY}, task task-offboard result tpr-1` });
    const resume = emulator.resumes.find((r) => r.taskProcessingResultId === 'tpr-1')!;
    assert.equal(resume.version, 'v1.0');
    assert.equal(resume.workflowId, 'wf-1');
    assert.equal(resume.taskId, 'task-offboard');
    assert.deepEqual(resume.body, { data: { operationStatus: 'completed' }, source: 'hubwarden', type: 'lifecycleEvent' });
    assert.equal(resume.caller.appid, CLIENT, 'resumed with our app token (client credentials)');
    assert.equal((await store.get('hookEvents', 'entra-lifecycle', 'tpr-1'))?.state, 'done');
    const resumed = [];
    for await (const e of store.list('audit', '')) if (e.action === 'lifecycle-resume' && (e.detail as { taskProcessingResultId?: string })?.taskProcessingResultId === 'tpr-1') resumed.push(e);
    assert.equal(resumed.length, 1);
    assert.equal(resumed[0]!.trigger.detail, `app ${RELAY}, task task-offboard result tpr-1`);
    assert.equal((resumed[0]!.detail as { appId?: string }).appId, RELAY);
  });

  test('a replayed callout (same taskProcessingResult) runs once and resumes once', async () => {
    const token = await good();
    assert.equal((await send(callout('tpr-2'), token)).status, 202);
    const again = await send(callout('tpr-2'), token);
    assert.equal(again.status, 202);
    assert.equal((await again.json()).duplicate, true);
    await hook.settled();
    assert.equal(emulator.resumes.filter((r) => r.taskProcessingResultId === 'tpr-2').length, 1);
    assert.equal(agent.writes().filter((c) => (c.args[1] as { detail?: string })?.detail?.endsWith('tpr-2')).length, 1);
  });

  test('a workflow task not in a non-empty actions map is refused: resumed failed, nobody offboarded', async () => {
    // Keyed by the custom task extension's id (as the README once said) instead of the workflow task's id: never an offboarding.
    assert.equal((await send(callout('tpr-9', undefined, 'cte-extension-id'), await good())).status, 202);
    await hook.settled();
    const resume = emulator.resumes.find((r) => r.taskProcessingResultId === 'tpr-9')!;
    assert.deepEqual(resume.body, { data: { operationStatus: 'failed' }, source: 'hubwarden', type: 'lifecycleEvent' });
    assert.equal(agent.writes().filter((c) => (c.args[1] as { detail?: string })?.detail?.endsWith('tpr-9')).length, 0);
  });

  test('a workflow task id named as an inherited object property (constructor, toString) is unlisted too: resumed failed, nobody offboarded', async () => {
    // Looked up in the actions map through its prototype, "constructor" read a function, taken as an offboarding.
    for (const [n, taskId] of ['constructor', 'toString', '__proto__'].entries()) {
      const res = await send(callout(`tpr-inherited-${n}`, undefined, taskId), await good());
      assert.equal(res.status, 202, taskId);
      assert.equal((await res.json()).action, 'unlisted', taskId);
    }
    await hook.settled();
    for (const n of [0, 1, 2]) {
      const resume = emulator.resumes.find((r) => r.taskProcessingResultId === `tpr-inherited-${n}`);
      assert.deepEqual(resume?.body, { data: { operationStatus: 'failed' }, source: 'hubwarden', type: 'lifecycleEvent' });
    }
    assert.equal(agent.writes().filter((c) => (c.args[1] as { detail?: string })?.detail?.includes('tpr-inherited')).length, 0);
  });

  test('an agent that refuses the offboarding (here: a person the fake directory does not know): the workflow is resumed with failed', async () => {
    assert.equal((await send(callout('tpr-3', { id: 'obj-x', email: 'ghost@example.com' }), await good())).status, 202);
    await hook.settled();
    const resume = emulator.resumes.find((r) => r.taskProcessingResultId === 'tpr-3')!;
    assert.deepEqual(resume.body, { data: { operationStatus: 'failed' }, source: 'hubwarden', type: 'lifecycleEvent' });
  });

  test('the agent unable to start the offboarding for a moment (the store unavailable inside it, then a transaction giving up on contention): started again, resumed completed, not failed', async () => {
    // "Not now" is not "no": resumed failed, the workflow reported the leaver's offboarding failed
    // (https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume) and the seats stayed.
    const offboard = agent.offboard.bind(agent);
    let refusals = 2;
    agent.offboard = async (person, trigger) => {
      // Contention (agent/store/store-contention.ts): nothing written, the same request may go again.
      if (refusals-- > 0) throw refusals === 1 ? new StoreUnavailable('connection terminated', 5) : new StoreContention(20, '40001 (store: partition of tasks changed after this transaction read it)');
      return offboard(person, trigger);
    };
    try {
      assert.equal((await send(callout('tpr-unavailable'), await good())).status, 202);
      await hook.settled();
    } finally {
      agent.offboard = offboard;
    }
    const resume = emulator.resumes.find((r) => r.taskProcessingResultId === 'tpr-unavailable')!;
    assert.deepEqual(resume.body, { data: { operationStatus: 'completed' }, source: 'hubwarden', type: 'lifecycleEvent' });
    assert.equal(agent.writes().filter((c) => c.method === 'offboard' && (c.args[1] as { detail: string }).detail.endsWith('tpr-unavailable')).length, 1);
    const failed = [];
    for await (const e of store.list('audit', '')) if (e.outcome === 'failed' && (e.detail as { taskProcessingResultId?: string })?.taskProcessingResultId === 'tpr-unavailable') failed.push(e);
    assert.deepEqual(failed, []);
  });

  test('the store unavailable for a moment while the offboarding is awaited: the wait goes on, resumed completed, not failed', async () => {
    // A poll of the task that the store could not answer said nothing about the task: resumed
    // failed, the workflow reported the leaver's offboarding failed while their seats went.
    const findTask = agent.findTask.bind(agent);
    let refusals = 2;
    agent.findTask = async (id) => {
      if (refusals-- > 0) throw refusals === 1 ? new StoreUnavailable('connection terminated', 5) : new StoreContention(20, '40001 (store: tasks changed)');
      return findTask(id);
    };
    try {
      assert.equal((await send(callout('tpr-poll-unavailable'), await good())).status, 202);
      await hook.settled();
    } finally {
      agent.findTask = findTask;
    }
    const resume = emulator.resumes.find((r) => r.taskProcessingResultId === 'tpr-poll-unavailable')!;
    assert.deepEqual(resume.body, { data: { operationStatus: 'completed' }, source: 'hubwarden', type: 'lifecycleEvent' });
    assert.ok(refusals < 0, 'both refused polls happened, and the wait went on past them');
  });

  test("a leaver's dashboard sessions end before their seats go, found by object id (Entra's oid at sign-in) or by email or UPN, even when the agent knows no seat of theirs", async () => {
    const sessions = new SessionStore(store);
    const byOid = await sessions.create('oidc:pairwise-1', 'oidc', { admin: true, idpUserIds: ['pairwise-1', 'obj-gone'], adminGroups: ['g-admins'] });
    const byUpn = await sessions.create('gone@example.com', 'oidc', { admin: false, email: 'gone@example.com', idpUserIds: ['pairwise-2'] });
    const other = await sessions.create('stays@example.com', 'oidc', { admin: true, email: 'stays@example.com', idpUserIds: ['pairwise-3', 'obj-stays'] });
    // A person the fake directory does not know: the agent refuses, the workflow is resumed failed; the sessions still end.
    assert.equal((await send(callout('tpr-5', { id: 'obj-gone', userPrincipalName: 'Gone@Example.com' }), await good())).status, 202);
    await hook.settled();
    assert.equal(await sessions.get(byOid.id), undefined);
    assert.equal(await sessions.get(byUpn.id), undefined);
    assert.ok(await sessions.get(other.id), 'someone else keeps their session');
    const audit = [];
    for await (const e of store.list('audit', '')) if (e.action === 'end-dashboard-sessions') audit.push(e);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.detail?.sessions, 2);
    assert.equal(audit[0]!.trigger.type, 'entra-lifecycle');
    // A sign-in racing the workflow (its ID token from before it) is refused, by object id or UPN.
    const issuedBefore = { issuedAt: Date.parse(audit[0]!.at) - 1_000 };
    await assert.rejects(sessions.create('oidc:pairwise-9', 'oidc', { admin: true, idpUserIds: ['pairwise-9', 'obj-gone'] }, issuedBefore), SignInRevoked);
    await assert.rejects(sessions.create('gone@example.com', 'oidc', { admin: false, email: 'gone@example.com', idpUserIds: ['pairwise-8'] }, issuedBefore), SignInRevoked);
    assert.ok(await sessions.create('stays@example.com', 'oidc', { admin: true, email: 'stays@example.com', idpUserIds: ['pairwise-3', 'obj-stays'] }, issuedBefore));
  });

  test('a task configured as check-for-updates checks the tenant\'s hubs', async () => {
    assert.equal((await send(callout('tpr-4', undefined, 'task-check'), await good())).status, 202);
    await hook.settled();
    const checks = agent.writes().filter((c) => c.method === 'checkForUpdates');
    assert.deepEqual(checks.map((c) => c.args[0]), ['beta-shop']);
    assert.equal((emulator.resumes.find((r) => r.taskProcessingResultId === 'tpr-4')!.body as { data: { operationStatus: string } }).data.operationStatus, 'completed');
  });

  test('v1.0 tokens (sts.windows.net issuer, appid claim) are accepted and acted on; the appid is held to the allow list', async () => {
    // Its own taskProcessingResult: a replay of another test's would be answered 202 as a duplicate and prove nothing.
    const token = await emulator.issueToken({ iss: `https://sts.windows.net/${TENANT}/`, ver: '1.0', aud: AUD, appid: RELAY, azp: undefined });
    const res = await send(callout('tpr-v1', { id: 'obj-raj', email: 'raj@example.com', userPrincipalName: 'raj@example.com' }), token);
    assert.equal(res.status, 202);
    assert.equal((await res.json()).duplicate, false);
    await hook.settled();
    assert.equal(agent.writes().filter((c) => c.method === 'offboard' && (c.args[1] as { detail?: string }).detail?.endsWith('tpr-v1')).length, 1);
    assert.equal((emulator.resumes.find((r) => r.taskProcessingResultId === 'tpr-v1')?.body as { data: { operationStatus: string } }).data.operationStatus, 'completed');
    const other = await emulator.issueToken({ iss: `https://sts.windows.net/${TENANT}/`, ver: '1.0', aud: AUD, appid: 'some-other-app', azp: undefined });
    assert.equal((await send(callout('tpr-v1-other'), other)).status, 401);
    const foreign = await emulator.issueToken({ iss: 'https://sts.windows.net/tenant-other/', ver: '1.0', aud: AUD, appid: RELAY, azp: undefined });
    assert.equal((await send(callout('tpr-v1-foreign'), foreign)).status, 401, 'the v1.0 issuer of another tenant');
  });

  test('bad, missing, expired or foreign tokens: 401 and nothing happens', async () => {
    const before = { writes: agent.writes().length, resumes: emulator.resumes.length, events: await store.count('hookEvents', 'entra-lifecycle') };
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ tid: TENANT, azp: RELAY }).setProtectedHeader({ alg: 'RS256', kid: 'forged' })
      .setIssuer(emulator.issuer).setAudience(AUD).setIssuedAt().setExpirationTime('1h').sign(privateKey);
    const cases: Array<[string, string | undefined]> = [
      ['missing', undefined],
      ['not a JWT', 'abc.def'],
      ['wrong audience', await emulator.issueToken({ aud: 'https://graph.microsoft.com', azp: RELAY })],
      ['wrong issuer', await emulator.issueToken({ iss: 'https://login.example.com/evil/v2.0', aud: AUD, azp: RELAY })],
      ['app not allowed', await emulator.issueToken({ aud: AUD, azp: 'some-other-app', appid: 'some-other-app' })],
      ['expired', await emulator.issueToken({ aud: AUD, azp: RELAY }, -600)],
      ['never expires (no exp claim)', await emulator.issueToken({ aud: AUD, azp: RELAY }, 'never')],
      ['other tenant', await emulator.issueToken({ aud: AUD, azp: RELAY, tid: 'tenant-other' })],
      ['forged signature', forged],
    ];
    for (const [why, token] of cases) {
      const res = await send(callout(`tpr-bad-${why}`), token);
      assert.equal(res.status, 401, why);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/, why);
      assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    }
    await hook.settled();
    assert.deepEqual({ writes: agent.writes().length, resumes: emulator.resumes.length, events: await store.count('hookEvents', 'entra-lifecycle') }, before);
  });

  test('the tenant\'s signing keys cannot be read (key endpoint down): 503 with Retry-After, so the relay retries; not a 401 it never retries', async () => {
    const keys = createServer((_req, res) => { res.writeHead(503).end(); });
    await new Promise<void>((r) => keys.listen(0, '127.0.0.1', r));
    const port = (keys.address() as AddressInfo).port;
    const config = entraConfig(graph.url, `{ allowedAppIds: [${RELAY}], audience: ${AUD}, jwksUrl: 'http://127.0.0.1:${port}/keys' }`);
    const keyless = createEntraLifecycleRouter({ config, agent, store: new MemoryStore(), pollIntervalMs: 5 });
    const other = await serveRouters([['/hooks', keyless]]);
    try {
      const res = await fetch(`${other.url}/hooks/entra/lifecycle`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await good()}` }, body: JSON.stringify(callout('tpr-keys')) });
      assert.equal(res.status, 503);
      assert.ok(Number(res.headers.get('retry-after')) > 0);
      assert.equal(agent.writes().filter((c) => (c.args[1] as { detail?: string })?.detail?.endsWith('tpr-keys')).length, 0);
    } finally {
      keyless.stop();
      await other.close();
      await new Promise((r) => keys.close(r));
    }
  });

  test('a store that cannot record the callout: a 5xx the relay retries, nothing acted on and nothing resumed', async () => {
    // A 4xx would be final for the relay's HTTP action, and a 202 would promise a resume nobody can make.
    const broken = new MemoryStore();
    broken.transact = async () => { throw new Error('disk full'); };
    const config = entraConfig(graph.url, `{ allowedAppIds: [${RELAY}], audience: ${AUD} }`);
    const storeless = createEntraLifecycleRouter({ config, agent, store: broken, pollIntervalMs: 5 });
    const other = await serveRouters([['/hooks', storeless]]);
    try {
      const res = await fetch(`${other.url}/hooks/entra/lifecycle`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await good()}` }, body: JSON.stringify(callout('tpr-nostore')) });
      assert.ok(res.status >= 500, String(res.status));
      assert.doesNotMatch(await res.text(), /disk full/, 'the cause goes to the log, not to the caller');
      await storeless.settled();
      assert.equal(agent.writes().filter((c) => (c.args[1] as { detail?: string })?.detail?.endsWith('tpr-nostore')).length, 0);
      assert.equal(emulator.resumes.filter((r) => r.taskProcessingResultId === 'tpr-nostore').length, 0);
    } finally {
      storeless.stop();
      await other.close();
    }
  });

  test('a callout accepted before a restart is resumed by the next process', async () => {
    // Received moments ago: the wait for its tasks runs from its receipt (entra-lifecycle-timeout.test.ts).
    const task = await agent.offboard({ email: 'raj@example.com' }, { type: 'entra-lifecycle', idp: 'entra' });
    const restartedStore = new MemoryStore();
    await restartedStore.transact((tx) => tx.put('hookEvents', 'entra-lifecycle', 'tpr-restart', {
      id: 'tpr-restart', source: 'entra-lifecycle', idp: 'entra', receivedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), state: 'waiting', taskIds: [task.id],
      callout: { workflowId: 'wf-9', taskId: 'task-offboard', taskProcessingResultId: 'tpr-restart', action: 'offboard', person: { email: 'raj@example.com' } },
    }));
    const config = entraConfig(graph.url, `{ allowedAppIds: [${RELAY}] }`);
    const restarted = createEntraLifecycleRouter({ config, agent, store: restartedStore, pollIntervalMs: 5 });
    await restarted.settled();
    const resume = emulator.resumes.find((r) => r.taskProcessingResultId === 'tpr-restart');
    assert.equal(resume?.workflowId, 'wf-9');
    assert.equal((await restartedStore.get('hookEvents', 'entra-lifecycle', 'tpr-restart'))?.state, 'done');
  });

  test('malformed callouts: 400 naming the field, nothing happens', async () => {
    const before = agent.writes().length;
    const token = await good();
    assert.equal((await send('{"data":', token)).status, 400);
    for (const notObject of ['[]', '"text"', '42', 'null', 'false']) {
      const res = await send(notObject, token);
      assert.equal(res.status, 400, notObject);
      assert.match((await res.json()).detail, /^the request body must be a JSON object \(got (a list|a string|a number|null|a boolean)\)$/, notObject);
    }
    const noResult = callout('x') as { data: Record<string, unknown> };
    delete noResult.data.taskProcessingResult;
    const res = await send(noResult, token);
    assert.equal(res.status, 400);
    assert.match((await res.json()).detail, /data\.taskProcessingResult/);
    const noEmail = await send(callout('y', { id: 'obj-y' }), token);
    assert.match((await noEmail.json()).detail, /email or userPrincipalName/);
    // The ids fill the resume path's segments (graph-resume.ts resumePath): "." or ".." there would
    // be resolved as a dot segment (RFC 3986 §5.2.4) and send the app-token POST to another path.
    const resumesBefore = emulator.resumes.length;
    for (const [field, value] of [['workflow', '..'], ['task', '.'], ['taskProcessingResult', '..']] as const) {
      const dotted = callout(`tpr-dot-${field}`);
      dotted.data[field].id = value;
      const refused = await send(dotted, token);
      assert.equal(refused.status, 400, field);
      assert.match((await refused.json()).detail, new RegExp(`data\\.${field}\\.id`), field);
    }
    await hook.settled();
    assert.equal(emulator.resumes.length, resumesBefore);
    assert.equal(agent.writes().length, before);
  });
});
