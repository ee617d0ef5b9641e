import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import winston from 'winston';
import { logger } from '../../agent/log/logger.ts';
import { postgresForTests } from '../../test/postgres.ts';
import { pgProxy } from '../../test/pg-proxy.ts';
import { postgresReplicas } from '../../test/postgres-replicas.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import { createApp } from '../app.ts';
import { readinessNow } from './readiness.ts';

const db = await postgresForTests();
const { freshSchema } = postgresReplicas(db);

test('/readyz asks a store that can be asked, and waits for it only so long', async () => {
  let healthy = true;
  const store = { healthy: () => healthy, reachableNow: async () => { healthy = false; return false; } };
  assert.equal((await readinessNow({ store })).status, 'unavailable', 'the answer found now, not the last one');
  const slow = { healthy: () => true, reachableNow: () => new Promise<boolean>(() => {}) };
  const started = Date.now();
  assert.equal((await readinessNow({ store: slow }, 50)).status, 'ready');
  assert.ok(Date.now() - started < 2_000);
});

describe('/readyz on PostgreSQL', { skip: db.skip }, () => {
  test('a database that went away while the pool was idle (no connection to notice it): 503, not ready', async (t) => {
    const proxy = await pgProxy(db.url);
    t.after(() => proxy.close());
    const store = new PostgresStore({ url: proxy.url, schema: freshSchema('readyz_idle'), poolSize: 2, probeMs: 100, connectTimeoutMs: 1_000, answerTimeoutMs: 1_000, idleMs: 100 });
    t.after(() => store.close());
    await store.open();
    await store.transact((tx) => tx.put('pgItems', 'hub', 'a', { id: 'a', n: 1 }));
    const server = createApp({ store, routers: [] }).listen(0, '127.0.0.1');
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise((resolve) => server.once('listening', resolve));
    const readyz = async () => fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`);
    assert.equal((await readyz()).status, 200);
    // The pool closes its idle connections, and the probe of the first /readyz (at most one a second) is past.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    assert.equal(store.stats().connections?.total, 0);
    await proxy.stop();
    const res = await readyz();
    assert.equal(res.status, 503);
    const body = await res.json() as { checks: { store: string }; storeReason?: string };
    assert.equal(body.checks.store, 'failing');
    assert.match(body.storeReason ?? '', /PostgreSQL unreachable/);
    await proxy.start();
    let back = false;
    for (let i = 0; i < 50 && !back; i++) {
      back = (await readyz()).status === 200;
      if (!back) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(back, 'ready again once the database answers');
  });
});

describe('/readyz when PostgreSQL refuses the connection', { skip: db.skip }, () => {
  test('says why in fixed words (SQLSTATE), never the role or database PostgreSQL names; the log has the detail, never the password', async (t) => {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    // Cleaned up in this order: the server, the store, the role, the admin connection.
    const cleanup: Array<() => Promise<unknown> | void> = [];
    t.after(async () => {
      for (const step of cleanup.reverse()) await step();
    });
    cleanup.push(() => admin.end());
    const role = `hw_readyz_${randomBytes(4).toString('hex')}`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const database = (await admin.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await admin.query(`GRANT CREATE ON DATABASE "${database}" TO ${role}`);
    const url = new URL(db.url);
    url.username = role;
    url.password = password;

    // Every log line the server writes, after the logger's own format (redaction included).
    const lines: string[] = [];
    const saved = { silent: logger.silent, level: logger.level, transports: [...logger.transports] };
    logger.clear().add(new winston.transports.Stream({ stream: new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }), level: 'debug' }));
    logger.silent = false;
    logger.level = 'debug';
    cleanup.push(() => {
      logger.clear();
      for (const tr of saved.transports) logger.add(tr);
      logger.silent = saved.silent;
      logger.level = saved.level;
    });

    const store = new PostgresStore({ url: url.toString(), schema: freshSchema('readyz_refused'), poolSize: 2, probeMs: 100, connectTimeoutMs: 1_000, answerTimeoutMs: 1_000, idleMs: 100 });
    cleanup.push(async () => {
      await store.close();
      await admin.query(`ALTER ROLE ${role} LOGIN CONNECTION LIMIT -1`);
      await admin.query(`DROP OWNED BY ${role}`);
      await admin.query(`DROP ROLE ${role}`);
    });
    await store.open();
    await store.transact((tx) => tx.put('pgItems', 'hub', 'a', { id: 'a', n: 1 }));
    const server = createApp({ store, routers: [] }).listen(0, '127.0.0.1');
    cleanup.push(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }));
    await new Promise((resolve) => server.once('listening', resolve));
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`);
      return { status: res.status, text: await res.text() };
    };
    const waitFor = async (what: string, ok: () => Promise<boolean> | boolean) => {
      for (let i = 0; i < 200; i++) {
        if (await ok()) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.fail(`timed out waiting: ${what}`);
    };
    assert.equal((await readyz()).status, 200);

    const refusals = [
      // 53300 `too many connections for role "…"`.
      { change: 'CONNECTION LIMIT 0', undo: 'CONNECTION LIMIT -1', reason: /too many connections\) \(SQLSTATE 53300\)/, logged: 'too many connections for role' },
      // 28000 `role "…" is not permitted to log in`.
      { change: 'NOLOGIN', undo: 'LOGIN', reason: /refused the connection \(authorization.*\(SQLSTATE 28000\)/, logged: 'is not permitted to log in' },
    ];
    for (const refusal of refusals) {
      // No pooled connection left: /readyz's probe needs a new one, which PostgreSQL refuses.
      await waitFor('the pool to close its idle connections', () => store.stats().connections?.total === 0);
      await admin.query(`ALTER ROLE ${role} ${refusal.change}`);
      let answer = await readyz();
      await waitFor(`/readyz to fail (${refusal.change})`, async () => (answer = await readyz()).status === 503);
      const body = JSON.parse(answer.text) as { checks: { store: string }; storeReason?: string };
      assert.equal(body.checks.store, 'failing');
      assert.match(body.storeReason ?? '', refusal.reason);
      for (const leak of [role, `"${database}"`, password, '127.0.0.1']) assert.ok(!answer.text.includes(leak), `/readyz quotes ${leak}: ${answer.text}`);
      await waitFor('the detail in the log', () => lines.some((l) => l.includes(refusal.logged) && l.includes(role)));
      await admin.query(`ALTER ROLE ${role} ${refusal.undo}`);
      await waitFor('ready again once PostgreSQL takes the connection', async () => (await readyz()).status === 200);
    }
    assert.ok(lines.length > 0 && !lines.some((l) => l.includes(password)), 'the password never in the log');
  });
});
