import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../config/schema.ts';
import { postgresForTests } from '../../test/postgres.ts';
import { pgProxy } from '../../test/pg-proxy.ts';
import { postgresReplicas, until } from '../../test/postgres-replicas.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import { MembersIndex } from './members-index.ts';
import '../app-state/records.ts';

/**
 * A replica whose change feed is cut and cannot listen again (here every LISTEN it sends is cut,
 * as a database refusing its connection would): its members view must not be served as it was
 * when the feed went, for as long as the feed stays cut.
 */
const db = await postgresForTests();
const { freshSchema, replica, sql } = postgresReplicas(db);
const hub = configSchema.parse({ hubs: [{ id: 'h', connector: 'meta-business', meta: { businessId: '1' } }] }).hubs[0];
const at = '2026-11-01T00:00:00.000Z';
const member = (id: string, email: string) => ({ hubId: 'h', id, email, role: 'EMPLOYEE' as const, firstSeenAt: at, lastSeenAt: at });

test("a replica deaf to other replicas' changes reads its members views afresh until its feed listens again", { skip: db.skip }, async (t) => {
  const schema = freshSchema('members_deaf');
  const a = await replica(schema);
  t.after(() => a.close());
  const proxy = await pgProxy(db.url);
  t.after(() => proxy.close());
  const b = new PostgresStore({ url: proxy.url, schema, poolSize: 4, connectTimeoutMs: 1_000 });
  await b.open();
  t.after(() => b.close());
  const index = new MembersIndex(b, () => new Map([['h', hub]]), () => new Date(at));
  t.after(() => index.close());

  await a.transact((tx) => tx.put('appMembers', 'h', 'm1', member('m1', 'ann@x.com')));
  // Cached once B heard of A's commit (its notification, arriving after a first build, drops that one).
  await until('B caches the view', async () => (await index.counts('h'))?.unmatched === 1 && index.cachedHubs().includes('h'));

  // B's LISTEN connection is cut, and each LISTEN it sends to reconnect is cut too.
  proxy.cutWhen('LISTEN');
  const pid = (b as unknown as { feed: { client: { processID: number } } }).feed.client.processID;
  await sql('SELECT pg_terminate_backend($1::int)', [pid]);
  await until('B no longer hears other replicas', () => !b.hearsChanges());

  await a.transact((tx) => tx.put('appMembers', 'h', 'm2', member('m2', 'bob@x.com')));
  assert.equal((await index.counts('h'))?.unmatched, 2, 'read afresh, not the view cached before the cut');
  assert.equal((await index.get('h', 'm2'))?.email, 'bob@x.com');
  await a.transact((tx) => tx.delete('appMembers', 'h', 'm1'));
  assert.equal(await index.get('h', 'm1'), undefined, 'nor one built while deaf');
  assert.deepEqual(index.cachedHubs(), [], 'nothing kept while deaf');

  // The feed listens again: views are cached again, and kept current by notifications.
  proxy.cutWhen('\u0000never\u0000');
  await until('B hears again', () => b.hearsChanges());
  await until('B caches the view again', async () => (await index.counts('h'))?.unmatched === 1 && index.cachedHubs().includes('h'));
  await a.transact((tx) => tx.put('appMembers', 'h', 'm3', member('m3', 'cy@x.com')));
  await until('the cached view follows A\'s change', async () => (await index.counts('h'))?.unmatched === 2);
});
