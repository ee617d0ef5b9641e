import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { Transaction } from '../../agent/store/store.ts';
import { StoreUnavailable } from '../../agent/store/store-unavailable.ts';
import type { HookEventRecord } from '../../scim-server/hooks/hook-event-record.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { graphResume } from '../../scim-server/hooks/graph-resume.ts';
import { createGraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { FakeAgent } from './fake-agent.ts';
import { entraConfigFor, serveRouters } from './test-server.ts';
import { postLeaverCallout } from './lifecycle-callout.ts';

const TENANT = 'tenant-1111';
const CLIENT = 'hubwarden-app-id';
const RELAY = 'relay-logic-app-id';
const AUD = 'api://hubwarden';

/**
 * A store (PostgreSQL, say) whose connection goes while a commit of a Lifecycle Workflows record
 * is answered: the write is applied, but the caller hears a StoreUnavailable of unknown outcome
 * ("it may have been applied: read before retrying"). `lose(record)` picks the write that is lost.
 */
class AnswerLostStore extends MemoryStore {
  lost = 0;
  constructor(private readonly lose: (next: Readonly<HookEventRecord>) => boolean) {
    super();
  }
  override async transact<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    let losing = false;
    const result = await super.transact(async (tx) => {
      const staged = tx.put.bind(tx);
      losing = false;
      tx.put = ((collection: string, partition: string, id: string, record: unknown) => {
        if (collection === 'hookEvents' && this.lost === 0 && this.lose(record as HookEventRecord)) losing = true;
        return staged(collection as never, partition, id, record as never);
      }) as Transaction['put'];
      return fn(tx);
    });
    if (losing) {
      this.lost++;
      throw new StoreUnavailable('connection terminated during COMMIT', 5, true);
    }
    return result;
  }
}

/** A Leaver callout answered by the hook on `store`; the audit entries of the callout when it settled. */
async function leaverCallout(store: AnswerLostStore, resultId: string, agent = new FakeAgent()) {
  const emulator = createGraphEmulator({ tenantId: TENANT, clientId: CLIENT, clientSecret: 'entra-client-secret' });
  const graph = await emulator.listen();
  const config = entraConfigFor(graph.url, { tenantId: TENANT, lifecycleWorkflows: `{ allowedAppIds: [${RELAY}], audience: ${AUD}, actions: { task-offboard: offboard } }` });
  const hook = createEntraLifecycleRouter({ config, agent, store, resume: graphResume(config, { maxRetries: 0 }), pollIntervalMs: 5 });
  const server = await serveRouters([['/hooks', hook]]);
  const alive = setInterval(() => undefined, 1000); // the hook waits on unref'd timers
  try {
    const token = await emulator.issueToken({ aud: AUD, azp: RELAY, appid: RELAY });
    await postLeaverCallout(server.url, token, resultId);
    await hook.settled();
    const audit = [];
    for await (const e of store.list('audit', '')) if (e.detail?.taskProcessingResultId === resultId) audit.push([e.action, e.outcome]);
    return { audit, record: await store.get('hookEvents', 'entra-lifecycle', resultId), resumes: emulator.resumes.length };
  } finally {
    clearInterval(alive);
    hook.stop();
    await server.close();
    await graph.close();
  }
}

test('Entra: the resume\'s outcome written once more after its commit\'s answer was lost (applied after all) is audited once, not twice', async () => {
  const store = new AnswerLostStore((r) => r.state === 'done');
  const { audit, record, resumes } = await leaverCallout(store, 'tpr-lost-done');
  assert.equal(store.lost, 1, 'the commit of the outcome was applied, its answer lost');
  assert.equal(resumes, 1);
  assert.equal(record?.state, 'done');
  assert.deepEqual(audit, [['lifecycle-resume', 'ok']], 'one resume, one entry');
});

test('Entra: the declined start\'s entries, written with the resume about to be sent, are audited once when that commit\'s answer was lost', async () => {
  // No hub knows the person: the agent refuses the offboarding, audited as failed with the resume that follows.
  const store = new AnswerLostStore((r) => r.resumeSent !== undefined && r.state !== 'done' && r.state !== 'failed');
  const agent = new FakeAgent();
  agent.people.clear();
  const { audit, record, resumes } = await leaverCallout(store, 'tpr-lost-sent', agent);
  assert.equal(store.lost, 1, 'the commit of resumeSent was applied, its answer lost');
  assert.equal(resumes, 1);
  assert.equal(record?.state, 'failed', 'resumed with failed: the offboarding was refused');
  assert.deepEqual(audit, [['offboard', 'failed'], ['lifecycle-resume', 'ok']], 'the refusal and the resume, each once');
});
