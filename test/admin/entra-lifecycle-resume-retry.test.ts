import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { StoreUnavailable } from '../../agent/store/store-unavailable.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { graphResume, type ResumeCall } from '../../scim-server/hooks/graph-resume.ts';
import { createGraphEmulator, type GraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { FakeAgent } from './fake-agent.ts';
import { childLogger } from '../../agent/log/logger.ts';
import { entraConfigFor, serveRouters, TEST_ENV } from './test-server.ts';
import { postLeaverCallout } from './lifecycle-callout.ts';

const TENANT = 'tenant-1111';
const CLIENT = 'hubwarden-app-id';
const RELAY = 'relay-logic-app-id';
const AUD = 'api://hubwarden';

interface Tenant {
  config: LoadedConfig;
  emulator: GraphEmulator;
  /** Posts the Leaver workflow's callout for `resultId` to the hook served at `url` (202). */
  postLeaver(url: string, resultId: string): Promise<void>;
}

/** A tenant (the Graph emulator) and the config naming it, for the time of `body`. */
async function withTenant<T>(body: (t: Tenant) => Promise<T>, tenantSecret = TEST_ENV.ENTRA_CLIENT_SECRET): Promise<T> {
  const emulator = createGraphEmulator({ tenantId: TENANT, clientId: CLIENT, clientSecret: tenantSecret });
  const graph = await emulator.listen();
  const config = entraConfigFor(graph.url, { tenantId: TENANT, lifecycleWorkflows: `{ allowedAppIds: [${RELAY}], audience: ${AUD}, actions: { task-offboard: offboard } }` });
  const postLeaver = async (url: string, resultId: string) => {
    const token = await emulator.issueToken({ aud: AUD, azp: RELAY, appid: RELAY });
    await postLeaverCallout(url, token, resultId);
  };
  const alive = setInterval(() => undefined, 1000); // the hook waits on unref'd timers
  try {
    return await body({ config, emulator, postLeaver });
  } finally {
    clearInterval(alive);
    await graph.close();
  }
}

const resumeAudit = async (store: MemoryStore) => {
  const audit = [];
  for await (const e of store.list('audit', '')) if (e.action === 'lifecycle-resume') audit.push(e);
  return audit;
};

/**
 * "Launch and wait": a task whose resume never arrives is marked failed at the callback timeout
 * (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility), though the
 * leaver's seats are gone. A resume that failed on the way (the network, the token endpoint, a
 * 5xx) is sent again; one Graph refused (a 4xx) is not.
 */
function leaverCallout(resultId: string, failures: Array<Error & { statusCode?: number }>, tenantSecret?: string, maxWaitMs?: number) {
  return withTenant(async ({ config, emulator, postLeaver }) => {
    const viaGraph = graphResume(config, { maxRetries: 0 });
    let attempts = 0;
    const resume: ResumeCall = async (idp, target, status) => {
      attempts++;
      const failure = failures.shift();
      if (failure) throw failure;
      return viaGraph(idp, target, status);
    };
    const store = new MemoryStore();
    const hook = createEntraLifecycleRouter({ config, agent: new FakeAgent(), store, resume, pollIntervalMs: 5, ...(maxWaitMs === undefined ? {} : { maxWaitMs }) });
    const server = await serveRouters([['/hooks', hook]]);
    try {
      await postLeaver(server.url, resultId);
      await hook.settled();
      return { attempts, resumes: emulator.resumes, record: await store.get('hookEvents', 'entra-lifecycle', resultId), audit: await resumeAudit(store) };
    } finally {
      hook.stop();
      await server.close();
    }
  }, tenantSecret);
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

test('Entra: a resume that keeps failing on the way (Graph unavailable for a while) is sent again, backing off, until it gets through: not given up after a few tries', async () => {
  // Nine failures: 503s past the SDK's own retries, then the network. Given up after six tries, the
  // workflow marked the finished offboarding failed at its callback timeout.
  const unavailable = () => Object.assign(new Error('Service Unavailable'), { statusCode: 503 });
  const failures = [...Array.from({ length: 6 }, unavailable), ...Array.from({ length: 3 }, () => Object.assign(new TypeError('fetch failed'), { statusCode: -1 }))];
  const { attempts, resumes, record, audit } = await leaverCallout('tpr-outage', failures);
  assert.equal(attempts, 10);
  assert.deepEqual(resumes.map((r) => r.taskProcessingResultId), ['tpr-outage']);
  assert.equal(record?.state, 'done');
  assert.equal(record?.outcome, 'resumed completed');
  assert.deepEqual(audit.map((e) => [e.outcome, e.detail?.operationStatus]), [['ok', 'completed']]);
});

test('Entra: a resume that fails on the way is not sent past the time the workflow waits (maxWaitMs from the callout): then recorded and audited as failed', async () => {
  const failures = Array.from({ length: 10_000 }, () => Object.assign(new Error('Service Unavailable'), { statusCode: 503 }));
  const { attempts, resumes, record, audit } = await leaverCallout('tpr-gone', failures, undefined, 300);
  assert.ok(attempts >= 1 && attempts < 20, `tried ${attempts} times`);
  assert.deepEqual(resumes, []);
  assert.equal(record?.state, 'failed');
  assert.match(record?.outcome ?? '', /^resume failed: Service Unavailable/);
  assert.deepEqual(audit.map((e) => e.outcome), ['failed']);
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

test('Entra: the token endpoint refusing the app (its secret rotated in the tenant) is final too: asked once, recorded and audited as failed', async () => {
  const { attempts, resumes, record, audit } = await leaverCallout('tpr-token', [], 'a-secret-rotated-in-the-tenant');
  assert.equal(attempts, 1, 'not sent again: a refused secret stays refused');
  assert.deepEqual(resumes, []);
  assert.equal(record?.state, 'failed');
  assert.match(record?.outcome ?? '', /^resume failed: .*client-credentials token/);
  assert.deepEqual(audit.map((e) => e.outcome), ['failed']);
});

/**
 * A leaver callout whose resume fails on the way (a 502) while the process is told to stop; then
 * the next process (a restart, another replica) starts on the same store. `startRefusals`: how
 * many times the agent cannot start the offboarding now (the store unavailable).
 */
function stopDuringResume(resultId: string, startRefusals: number) {
  return withTenant(async ({ config, emulator, postLeaver }) => {
    const store = new MemoryStore();
    const agent = new FakeAgent();
    const offboard = agent.offboard.bind(agent);
    let refusals = startRefusals;
    agent.offboard = async (person, trigger) => {
      if (refusals-- > 0) throw new StoreUnavailable('connection terminated', 5);
      return offboard(person, trigger);
    };
    let first: ReturnType<typeof createEntraLifecycleRouter> | undefined;
    const failing: ResumeCall = async () => {
      first!.stop(); // told to stop while the resume is on the way; it fails (a 502)
      throw Object.assign(new Error('Bad Gateway'), { statusCode: 502 });
    };
    first = createEntraLifecycleRouter({ config, agent, store, resume: failing, pollIntervalMs: 5 });
    const server = await serveRouters([['/hooks', first]]);
    try {
      await postLeaver(server.url, resultId);
      await first.settled();
      const atStop = await store.get('hookEvents', 'entra-lifecycle', resultId);
      const next = createEntraLifecycleRouter({ config, agent, store, resume: graphResume(config, { maxRetries: 0 }), pollIntervalMs: 5 });
      await next.settled();
      next.stop();
      return {
        atStop,
        resumes: emulator.resumes.map((r) => [r.taskProcessingResultId, (r.body as { data: unknown }).data]),
        record: await store.get('hookEvents', 'entra-lifecycle', resultId),
        audit: (await resumeAudit(store)).map((e) => [e.outcome, e.detail?.operationStatus]),
      };
    } finally {
      first.stop();
      await server.close();
    }
  });
}

test('Entra: a stop while a resume that failed on the way waits to be sent again hands the callout back: the next process resumes it, not recorded failed', async () => {
  // Recorded "resume failed" at the stop, the callout was never resumed: the workflow marked the
  // task failed at its callback timeout (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility)
  // though the leaver's seats were gone.
  const { atStop, resumes, record, audit } = await stopDuringResume('tpr-stop', 0);
  assert.equal(atStop?.state, 'waiting', 'left open for the next process');
  assert.equal(atStop?.lease, undefined, 'handed back at the stop');
  assert.deepEqual(resumes, [['tpr-stop', { operationStatus: 'completed' }]]);
  assert.equal(record?.state, 'done');
  assert.deepEqual(audit, [['ok', 'completed']], 'one resume audited, the one that happened');
});

test('Entra: a stop while a resume of a status this process decided alone (the start never got through) is retried: recorded, not handed to a process that may decide otherwise', async () => {
  // The failed resume may have reached Graph; the next process, starting the offboarding again,
  // would resume "completed": the workflow would be sent two statuses, and Graph takes one
  // (https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume).
  const { atStop, resumes, record, audit } = await stopDuringResume('tpr-stop-undecided', 6);
  assert.equal(atStop?.state, 'failed');
  assert.deepEqual(resumes, [], 'no second resume');
  assert.equal(record?.state, 'failed');
  assert.deepEqual(audit, [['failed', 'failed']]);
});

test('Entra: a stop during the wait before a resume is sent again ends that wait: the callout is handed back at once, not after the wait (up to 5 min), which held the server\'s stop past its 10 s', async () => {
  // The server's stop waits for the hook's work to settle (scim-server/compose.ts) and exits 1 at
  // 10 s (serve.ts STOP_LIMIT_MS), before the agent's leases are handed back or the listener closed.
  await withTenant(async ({ config, emulator, postLeaver }) => {
    const store = new MemoryStore();
    const agent = new FakeAgent();
    agent.pollsUntilDone = 1; // the offboarding is done at the first read: no wait for it
    let hook: ReturnType<typeof createEntraLifecycleRouter> | undefined;
    let attempts = 0;
    const unavailable: ResumeCall = async () => {
      attempts++;
      throw Object.assign(new Error('Service Unavailable'), { statusCode: 503 });
    };
    const quiet = childLogger('entra-lifecycle');
    // Said just before the wait begins: the stop arrives during it.
    const log = Object.assign(Object.create(quiet) as typeof quiet, { warn: (msg: string) => { if (/trying again in/.test(msg)) hook!.stop(); } });
    hook = createEntraLifecycleRouter({ config, agent, store, resume: unavailable, log, pollIntervalMs: 3_600_000 });
    const server = await serveRouters([['/hooks', hook]]);
    try {
      await postLeaver(server.url, 'tpr-stop-waiting');
      const settled = await Promise.race([hook.settled().then(() => 'settled'), new Promise((r) => setTimeout(r, 20_000, 'still waiting').unref())]);
      assert.equal(settled, 'settled', 'the stop waited out the pause between two tries');
      assert.equal(attempts, 1, 'not sent again at the stop');
      const record = await store.get('hookEvents', 'entra-lifecycle', 'tpr-stop-waiting');
      assert.equal(record?.state, 'waiting', 'left open for the next process');
      assert.equal(record?.lease, undefined, 'handed back at the stop');
      assert.deepEqual(emulator.resumes, []);
      assert.deepEqual(await resumeAudit(store), [], 'not recorded as a resume that failed');
    } finally {
      hook.stop();
      await server.close();
    }
  });
});
