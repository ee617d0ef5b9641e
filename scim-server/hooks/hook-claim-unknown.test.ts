import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../test/postgres.ts';
import { pgProxy } from '../../test/pg-proxy.ts';
import { postgresReplicas, until } from '../../test/postgres-replicas.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import { isStoreUnavailable } from '../../agent/store/store-unavailable.ts';
import { childLogger } from '../../agent/log/logger.ts';
import { HookEventLog } from './hook-events.ts';

/**
 * A hook delivery's claim (hook-events.ts `claim`) whose commit reached PostgreSQL but whose answer
 * was lost: the store says the outcome is unknown, the router answers 503, and the sender's retry
 * finds the event ids taken (a replay, ignored). The records were stored leased to this process,
 * which never acted on them: one replica alone never took them back (only records whose work here
 * ended are), so the event (an Okta deactivation, an Entra leaver callout) waited for a restart.
 */
const db = await postgresForTests();
const { freshSchema } = postgresReplicas(db);

describe('a hook claim of unknown outcome', { skip: db.skip }, () => {
  test('committed after all: the retry is a replay, and this process acts on the event once its lease lapses', async (t) => {
    const proxy = await pgProxy(db.url);
    t.after(() => proxy.close());
    const store = new PostgresStore({ url: proxy.url, schema: freshSchema('hook_claim_unknown'), poolSize: 2, probeMs: 100, connectTimeoutMs: 1_000 });
    const events = new HookEventLog(store, Date.now, childLogger('hook-events'), 300);
    await store.open();
    t.after(() => store.close());
    t.after(() => events.close());

    // The commit reaches the database; its answer does not come back.
    proxy.loseReplyWhen('idp-answer-lost');
    const failed = await events.claim('okta', 'idp-answer-lost', [{ id: 'evt-1' }]).then(() => undefined, (err: unknown) => err);
    proxy.loseReplyWhen(undefined);
    assert.ok(isStoreUnavailable(failed) && failed.outcomeUnknown, `expected a StoreUnavailable of unknown outcome, got ${String(failed)}`);
    await until('the store answers again', async () => (await store.get('hookEvents', 'okta', 'evt-1').then(() => true, () => false)));
    assert.equal((await store.get('hookEvents', 'okta', 'evt-1'))?.state, 'processing', 'the claim committed');

    // The sender's retry: the id is taken, so the router takes it for a replay.
    assert.deepEqual(await events.claim('okta', 'idp-answer-lost', [{ id: 'evt-1' }]), []);

    const acted: string[] = [];
    void events.pickUp('okta', () => true, (records) => acted.push(...records.map((r) => r.id))).catch(() => {});
    await until('the event is acted on here', () => acted.length > 0, 3_000);
    assert.deepEqual(acted, ['evt-1']);
  });
});
