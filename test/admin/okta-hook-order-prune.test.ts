/**
 * The Okta hook's ordering marks (scim-server/hooks/event-order.ts: the latest event applied to a
 * person's suspension or activation) are deleted by the hourly hook-events sweep once they are
 * older than the week an event is acted on (okta-event.ts outOfWindow): they would otherwise grow
 * with every person an event ever named. An earlier event of the person arriving after that is
 * refused by the week rule, so pruning never lets a stale event act (Okta delivers possibly out of
 * order: https://developer.okta.com/docs/concepts/event-hooks/).
 *
 * Run on the real agent API over a memory store and, with CI=true, PostgreSQL.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentApi } from '../../agent/agent-api.ts';
import { defineDirectoryIndexes } from '../../agent/desired-state/directory-records.ts';
import { testHub, testUser } from '../../agent/grants/grant-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import { collect, type Store } from '../../agent/store/store.ts';
import { MARK_GRACE_MS } from '../../scim-server/hooks/event-order.ts';
import { HOOK_EVENT_TTL_MS } from '../../scim-server/hooks/hook-event-record.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { freshSchemas } from '../fresh-schemas.ts';
import { postgresForTests } from '../postgres.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';
import { oktaDelivery, oktaEvent } from './okta-event-fixture.ts';

const db = await postgresForTests();
const freshSchema = freshSchemas(db);
const iso = (ms: number) => new Date(ms).toISOString();

const kinds: Array<{ kind: string; skip: string | false; open(): Promise<Store> }> = [
  { kind: 'memory', skip: false, open: async () => new MemoryStore() },
  { kind: 'postgres', skip: db.skip, open: async () => new PostgresStore({ url: db.url, schema: freshSchema('hookprune'), poolSize: 4 }) },
];

const event = oktaEvent;
const delivery = oktaDelivery;

for (const k of kinds) {
  describe(`Okta hook ordering marks past the week (${k.kind})`, { skip: k.skip }, () => {
    test('the sweep deletes marks older than the week and keeps newer ones; an earlier event arriving after is refused by the week rule', async () => {
      const store = await k.open();
      defineDirectoryIndexes(store);
      await store.open();
      const t0 = Date.now();
      let now = t0;
      const hub = testHub();
      await store.transact((tx) => {
        tx.put('directoryUsers', hub.id, 'u-raj', testUser('u-raj', 'raj@example.com'));
        tx.put('directoryUsers', hub.id, 'u-mo', testUser('u-mo', 'mo@example.com'));
      });
      const agent = createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => now });
      const hook = createOktaHookRouter({ config: testConfig(), agent, store, now: () => now });
      const server = await serveRouters([['/hooks', hook]]);
      const send = async (...events: unknown[]) => {
        const res = await fetch(`${server.url}/hooks/okta`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET }, body: JSON.stringify(delivery(...events)) });
        assert.equal(res.status, 200);
        await hook.settled();
      };
      const marked = async () => (await collect(store.list('hookOrderMarks', 'okta'))).map((m) => m.eventId).sort();
      try {
        await send(event('user.lifecycle.suspend', 'raj@example.com', iso(t0 - 120_000), 'raj-sus'), event('user.lifecycle.unsuspend', 'raj@example.com', iso(t0 - 60_000), 'raj-unsus'));
        assert.deepEqual(await marked(), ['raj-unsus']);
        // A week and more on (past the grace kept for receipts in flight), a delivery about Mo; its answer starts the hourly sweep.
        now = t0 + HOOK_EVENT_TTL_MS + MARK_GRACE_MS + 60_000;
        await send(event('user.lifecycle.suspend', 'mo@example.com', iso(now - 60_000), 'mo-sus'));
        assert.deepEqual(await marked(), ['mo-sus'], "Raj's mark, older than the week, is gone; Mo's is kept");
        assert.ok((await store.get('directoryUsers', hub.id, 'u-mo'))?.suspended);

        // A suspension of Raj published before the unsuspension his mark held, arriving now: not acted on.
        await send(event('user.lifecycle.suspend', 'raj@example.com', iso(t0 - 90_000), 'raj-late'));
        assert.equal((await store.get('directoryUsers', hub.id, 'u-raj'))?.suspended, undefined, 'Raj stays unsuspended');
        const late = await store.get('hookEvents', 'okta', 'raj-late');
        assert.equal(late?.state, 'done');
        assert.match(late?.outcome ?? '', /more than 7 days before its receipt/);
        assert.deepEqual(await marked(), ['mo-sus'], 'the refused event leaves no mark');
      } finally {
        hook.stop();
        await server.close();
        await store.close();
      }
    });
  });
}
