import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { graphResume, type ResumeCall } from '../../scim-server/hooks/graph-resume.ts';
import type { HookEventRecord } from '../../scim-server/hooks/hook-event-record.ts';
import { createGraphEmulator, type GraphReadings } from '../emulators/graph/graph-emulator.ts';
import { FakeAgent } from './fake-agent.ts';
import { entraConfigFor, TEST_ENV } from './test-server.ts';

/**
 * A crash after Graph accepted a resume and before hubwarden saved that it did: the next process
 * sends it again, and Graph may refuse a repeat (Microsoft's resume API page documents only the 204,
 * https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume). The workflow
 * was resumed: the audit must not say "resume failed".
 */
const ID = 'tpr-crash';
type Status = 'completed' | 'failed';

function fixture(readings: GraphReadings = {}) {
  const emulator = createGraphEmulator({ tenantId: 'tenant-1111', clientId: 'hubwarden-app-id', clientSecret: TEST_ENV.ENTRA_CLIENT_SECRET, readings });
  return emulator;
}

interface World { emulator: ReturnType<typeof fixture>; config: ReturnType<typeof entraConfigFor>; agent: FakeAgent; store: MemoryStore }

/** A Graph emulator listening, the hook's config pointed at it, an agent and an empty store; closed after `body`. */
async function withGraph(body: (w: World) => Promise<void>): Promise<void> {
  const emulator = fixture();
  const graph = await emulator.listen();
  try {
    await body({ emulator, config: entraConfigFor(graph.url), agent: new FakeAgent(), store: new MemoryStore() });
  } finally {
    await graph.close();
  }
}

const seed = (store: MemoryStore, record: HookEventRecord) => store.transact((tx) => tx.put('hookEvents', 'entra-lifecycle', ID, record));

async function leaverRecord(agent: FakeAgent, finished: Status, extra: Partial<HookEventRecord> = {}): Promise<HookEventRecord> {
  const task = await agent.offboard({ email: 'raj@example.com' }, { type: 'entra-lifecycle', idp: 'entra' });
  agent.finish(task.id, finished);
  return {
    id: ID, source: 'entra-lifecycle', idp: 'entra', receivedAt: new Date().toISOString(), expiresAt: '2099-01-01T00:00:00Z', state: 'waiting', taskIds: [task.id],
    callout: { workflowId: 'wf-1', taskId: 'task-offboard', taskProcessingResultId: ID, action: 'offboard', person: { email: 'raj@example.com' } },
    ...extra,
  };
}

/** One process on `store` until it settles; `resume` wraps the Graph SDK call. */
async function runProcess(config: ReturnType<typeof entraConfigFor>, agent: FakeAgent, store: MemoryStore, wrap: (viaGraph: ResumeCall) => ResumeCall) {
  const alive = setInterval(() => undefined, 1000); // the hook waits on unref'd timers
  const hook = createEntraLifecycleRouter({ config, agent, store, resume: wrap(graphResume(config, { maxRetries: 0 })), pollIntervalMs: 5 });
  try {
    await hook.settled();
  } finally {
    hook.stop();
    clearInterval(alive);
  }
}

async function outcome(store: MemoryStore) {
  const audit = [];
  for await (const e of store.list('audit', '')) if (e.action === 'lifecycle-resume') audit.push(e);
  return { record: await store.get('hookEvents', 'entra-lifecycle', ID), audit };
}

const sentStatuses = (emulator: ReturnType<typeof fixture>) =>
  emulator.calls.filter((c) => c.path.endsWith('/resume')).map((c) => `${(c.body as { data: { operationStatus: string } }).data.operationStatus} ${c.status}`);

test('Entra: a crash right after Graph accepted the resume: the next process sends the same status, reads Graph\'s refusal as "already resumed", audited ok, not failed', async () => {
  await withGraph(async ({ emulator, config, agent, store: first }) => {
    const waiting = await leaverRecord(agent, 'completed');
    await seed(first, waiting);
    // The crash: what the store held when Graph answered is all the next process finds.
    let atCrash: HookEventRecord | undefined;
    await runProcess(config, agent, first, (viaGraph) => async (idp, target, status) => {
      await viaGraph(idp, target, status);
      atCrash = structuredClone(await first.get('hookEvents', 'entra-lifecycle', ID));
    });
    assert.equal(atCrash?.resumeSent?.operationStatus, 'completed', 'recorded as about to be sent before it went out');
    const restarted = new MemoryStore();
    const { lease: _lapsed, ...left } = atCrash!; // the dead process's lease lapsed
    await seed(restarted, left);
    let attempts = 0;
    await runProcess(config, agent, restarted, (viaGraph) => (...a) => { attempts++; return viaGraph(...a); });
    assert.equal(attempts, 1, 'not sent again after Graph refused the repeat');
    assert.equal(emulator.resumes.length, 1, 'Graph took one resume');
    assert.deepEqual(sentStatuses(emulator), ['completed 204', 'completed 400', 'Completed 400']);
    const { record, audit } = await outcome(restarted);
    assert.equal(record?.state, 'done');
    assert.equal(record?.outcome, 'already resumed completed');
    assert.deepEqual(audit.map((e) => [e.outcome, e.detail?.operationStatus, e.detail?.alreadyResumed]), [['ok', 'completed', true]]);
    assert.match(audit[0]!.why, /already resumed with completed/);
  });
});

test('Entra: a resume written as about to be sent is sent after a restart with that status, not one decided anew; Graph taking it (never reached before) is "resumed"', async () => {
  await withGraph(async ({ emulator, config, agent, store }) => {
    // Decided `failed` (the wait ran out) before the crash; the tasks completed since.
    const record = await leaverRecord(agent, 'completed', { resumeSent: { operationStatus: 'failed', at: '2026-12-06T10:00:00.000Z', why: ': tasks did not finish within 180 min' } });
    await seed(store, record);
    await runProcess(config, agent, store, (viaGraph) => viaGraph);
    assert.deepEqual(sentStatuses(emulator), ['failed 204']);
    const { record: after, audit } = await outcome(store);
    assert.equal(after?.state, 'failed');
    assert.equal(after?.outcome, 'resumed failed');
    assert.deepEqual(audit.map((e) => [e.outcome, e.detail?.operationStatus]), [['ok', 'failed']]);
  });
});

test('Entra: after a restart, a genuine refusal (401, 403, 404 for an unknown run) is still recorded and audited as failed, and a 503 is still sent again', async () => {
  for (const [statusCode, expected] of [[401, 'failed'], [403, 'failed'], [404, 'failed'], [503, 'done']] as const) {
    await withGraph(async ({ emulator, config, agent, store }) => {
      const waiting = await leaverRecord(agent, 'completed', { resumeSent: { operationStatus: 'completed', at: '2026-12-06T10:00:00.000Z' } });
      await seed(store, waiting);
      let attempts = 0;
      await runProcess(config, agent, store, (viaGraph) => async (...a) => {
        if (attempts++ === 0) throw Object.assign(new Error(`refused ${statusCode}`), { statusCode });
        return viaGraph(...a);
      });
      const { record, audit } = await outcome(store);
      assert.equal(record?.state, expected, `${statusCode}`);
      if (expected === 'failed') {
        assert.equal(attempts, 1, `${statusCode} not sent again`);
        assert.match(record?.outcome ?? '', new RegExp(`^resume failed: refused ${statusCode}`));
        assert.deepEqual(audit.map((e) => e.outcome), ['failed'], `${statusCode}`);
      } else {
        assert.equal(attempts, 2);
        assert.equal(record?.outcome, 'resumed completed');
        assert.deepEqual(audit.map((e) => e.outcome), ['ok']);
      }
    });
  }
});

test('Entra: a resume Graph accepted whose answer was lost on the way (a 502) is sent again in the same process; Graph refusing the repeat is "already resumed", not failed', async () => {
  await withGraph(async ({ emulator, config, agent, store }) => {
    const waiting = await leaverRecord(agent, 'completed');
    await seed(store, waiting);
    let attempts = 0;
    await runProcess(config, agent, store, (viaGraph) => async (...a) => {
      await viaGraph(...a);
      if (attempts++ === 0) throw Object.assign(new Error('Bad Gateway'), { statusCode: 502 });
    });
    assert.equal(emulator.resumes.length, 1);
    const { record, audit } = await outcome(store);
    assert.equal(record?.outcome, 'already resumed completed');
    assert.deepEqual(audit.map((e) => e.outcome), ['ok']);
  });
});

test('Entra: the store refusing to record the resume about to be sent: nothing is sent then; the callout is taken again once its lease lapses and resumed once', async () => {
  await withGraph(async ({ emulator, config, agent, store }) => {
    const waiting = await leaverRecord(agent, 'completed');
    await seed(store, waiting);
    // A database failover for the first six writes of `resumeSent` (every try of one process).
    let refusals = 6;
    const transact = store.transact.bind(store);
    store.transact = ((fn) => transact((tx) => fn(new Proxy(tx, {
      get: (t, key) => key !== 'put' ? Reflect.get(t, key) : (...a: unknown[]) => {
        if ((a[3] as HookEventRecord | undefined)?.resumeSent && refusals-- > 0) throw new Error('connection terminated');
        return (t.put as (...b: unknown[]) => unknown)(...a);
      },
    })))) as typeof store.transact;
    let sentWhileUnrecorded = 0;
    const alive = setInterval(() => undefined, 1000);
    const hook = createEntraLifecycleRouter({ config, agent, store, leaseMs: 200, pollIntervalMs: 5, resume: async (...a) => {
      if (refusals > 0) sentWhileUnrecorded++;
      return graphResume(config, { maxRetries: 0 })(...a);
    } });
    try {
      const deadline = Date.now() + 10_000;
      while ((await store.get('hookEvents', 'entra-lifecycle', ID))?.state !== 'done' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await hook.settled();
    } finally {
      hook.stop();
      clearInterval(alive);
    }
    assert.equal(sentWhileUnrecorded, 0, 'not sent before it was recorded as about to be sent');
    assert.ok(refusals <= 0, 'the refusals were met');
    assert.deepEqual(sentStatuses(emulator), ['completed 204']);
    const { record, audit } = await outcome(store);
    assert.equal(record?.outcome, 'resumed completed');
    assert.deepEqual(audit.map((e) => e.outcome), ['ok']);
  });
});

test('Entra: a resume that never reached Graph (a 429, the token endpoint not answering) and is then refused is "resume failed", not "already resumed"', async () => {
  const throttled = Object.assign(new Error('Too Many Requests'), { statusCode: 429 });
  for (const name of ['Graph throttled it (429)', 'the token endpoint did not answer (503)']) {
    await withGraph(async ({ emulator, config, agent, store }) => {
      await seed(store, await leaverRecord(agent, 'completed'));
      if (name.startsWith('the token')) emulator.control.tokenUnavailable(1);
      let attempts = 0;
      await runProcess(config, agent, store, (viaGraph) => async (...a) => {
        // The first try does not reach Graph; the second is refused for a reason of its own.
        if (attempts++ === 0) return name.startsWith('the token') ? viaGraph(...a) : Promise.reject(throttled);
        throw Object.assign(new Error('Request_BadRequest: the callback has timed out'), { statusCode: 400 });
      });
      assert.equal(attempts, 2, name);
      assert.equal(emulator.resumes.length, 0, name);
      const { record, audit } = await outcome(store);
      assert.match(String(record?.outcome), /^resume failed: /, name);
      assert.deepEqual(audit.map((e) => e.outcome), ['failed'], name);
    });
  }
});
