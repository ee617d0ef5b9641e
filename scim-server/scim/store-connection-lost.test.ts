/**
 * SCIM on PostgreSQL when the database connection is lost (a failover, a restart, a network cut):
 * the IdP gets 503 + Retry-After and a SCIM error body, never a 500 or a hang, and is told the
 * truth about a write whose COMMIT answer was lost (it may have been applied: RFC 7644 §3.12 lets
 * it retry; it should read first). A full disk on lowdb: store-unavailable.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import { postgresForTests } from '../../test/postgres.ts';
import { pgProxy } from '../../test/pg-proxy.ts';
import { postgresReplicas, until } from '../../test/postgres-replicas.ts';
import { scimRequest, startScimApp } from './test-app.ts';

const db = await postgresForTests();
const { freshSchema, sql } = postgresReplicas(db);
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const user = (userName: string, givenName = 'Ann') => ({ schemas: [USER], userName, active: true, name: { givenName }, emails: [{ value: userName, primary: true }] });
const search = (userName: string) => `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`;

describe('SCIM on PostgreSQL when the connection is lost', { skip: db.skip }, () => {
  test('a create whose COMMIT answer is lost: 503 + Retry-After saying it may have been applied, not "nothing was changed"; the user is there after', async (t) => {
    const proxy = await pgProxy(db.url);
    t.after(() => proxy.close());
    const store = new PostgresStore({ url: proxy.url, schema: freshSchema('scim_commit_lost'), poolSize: 4, probeMs: 100, connectTimeoutMs: 1_000 });
    const app = await startScimApp({ hubs: [{ id: 'acme', identityProvider: 'okta' }], store });
    await store.open();
    t.after(async () => {
      await app.close();
      await store.close();
    });
    assert.equal((await scimRequest(app, 'acme', 'POST', '/Users', user('alice@example.com'))).status, 201);
    // The marker is only in the record the commit writes (no read looks it up).
    proxy.loseReplyWhen('lost-answer-marker');
    const lost = await scimRequest(app, 'acme', 'POST', '/Users', user('bob@example.com', 'lost-answer-marker'));
    proxy.loseReplyWhen(undefined);
    assert.equal(lost.status, 503, lost.text);
    assert.equal(lost.headers.get('retry-after'), '1');
    assert.deepEqual(lost.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    assert.doesNotMatch(lost.body.detail, /nothing was changed/, 'it was applied: the IdP must not be told otherwise');
    assert.match(lost.body.detail, /may have been applied/);
    const found = await scimRequest(app, 'acme', 'GET', search('bob@example.com'));
    assert.equal(found.status, 200, found.text);
    assert.equal(found.body.totalResults, 1, 'the commit went through');
    assert.equal((await scimRequest(app, 'acme', 'POST', '/Users', user('carol@example.com'))).status, 201);
  });

  test('pooled connections terminated by the server while idle, then during a create: 503 or 201, never a 500; acknowledged users are all readable after', async (t) => {
    const appName = `hw_pgloss_${process.pid}`;
    const url = new URL(db.url);
    url.searchParams.set('application_name', appName);
    const store = new PostgresStore({ url: url.toString(), schema: freshSchema('scim_terminated'), poolSize: 4, probeMs: 100, connectTimeoutMs: 1_000 });
    const app = await startScimApp({ hubs: [{ id: 'acme', identityProvider: 'okta' }], store });
    await store.open();
    t.after(async () => {
      await app.close();
      await store.close();
    });
    // This store's pooled connections only (its change feed names itself hubwarden-listen); OFFSET 0
    // keeps the filter ahead of pg_terminate_backend, which must see no other session.
    const terminate = () => sql<{ pid: number }>('SELECT pid FROM (SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid() OFFSET 0) AS mine WHERE pg_terminate_backend(pid)', [appName]);
    const gone = (pids: Array<{ pid: number }>) => until('the terminated sessions are gone', async () => (await sql('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids.map((p) => p.pid)])).length === 0);
    const created: string[] = [];
    const create = async (name: string) => {
      const r = await scimRequest(app, 'acme', 'POST', '/Users', user(name));
      assert.ok(r.status === 201 || (r.status === 503 && r.headers.get('retry-after')), `${name}: ${r.status} ${r.text}`);
      if (r.status === 201) created.push(name);
      return r.status;
    };
    await create('u0@example.com');
    const idle = await terminate();
    assert.ok(idle.length > 0, 'the pool held connections');
    await gone(idle);
    assert.equal(await create('u1@example.com'), 201, 'the next request goes on a fresh connection');
    assert.equal(store.healthy(), true);
    // Terminated while creates are in flight.
    const inFlight = Array.from({ length: 8 }, (_, n) => create(`f${n}@example.com`));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await terminate();
    await Promise.all(inFlight);
    await until('the store is healthy again', () => store.healthy());
    assert.equal(await create('u2@example.com'), 201);
    for (const name of created) {
      const r = await scimRequest(app, 'acme', 'GET', search(name));
      assert.equal(r.body.totalResults, 1, `${name} was acknowledged (201) and must be readable`);
    }
  });
});
