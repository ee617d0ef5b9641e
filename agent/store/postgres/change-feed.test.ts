import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { postgresForTests } from '../../../test/postgres.ts';
import { pgProxy } from '../../../test/pg-proxy.ts';
import { postgresReplicas, until } from '../../../test/postgres-replicas.ts';
import type { Change } from '../store.ts';
import { PostgresStore } from './postgres-store.ts';
import { ChangeFeed } from './notifications.ts';

/**
 * The change feed between replicas (LISTEN/NOTIFY, https://www.postgresql.org/docs/15/sql-listen.html)
 * when its connection is cut, goes silent or is left unanswered. The rest of what only the
 * PostgreSQL store does: postgres-store.test.ts.
 */
const db = await postgresForTests();
const { freshSchema, replica, sql } = postgresReplicas(db);

describe('PostgresStore change feed', { skip: db.skip }, () => {
  test('the change feed reconnects after its connection is cut', async (t) => {
    const schema = freshSchema('feed');
    const a = await replica(schema);
    const b = await replica(schema);
    t.after(() => Promise.all([a.close(), b.close()]));
    const heard: string[] = [];
    b.subscribe((changes) => heard.push(...changes.map((c) => c.id)));
    const killed = await sql<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'hubwarden-listen' AND query = $1`,
      [`LISTEN "${schema}_changes"`],
    );
    assert.equal(killed.length, 2);
    // Notifications sent while B was reconnecting are lost (a hint, not a log): write until one arrives.
    let n = 0;
    await until('B hears again', async () => {
      await a.transact((tx) => tx.put('pgItems', 'hub', `after-${++n}`, { id: `after-${n}`, n }));
      return heard.some((id) => id.startsWith('after-'));
    });
  });

  test('a replica whose change feed was cut is told it may have missed changes, once it listens again', async (t) => {
    const schema = freshSchema('missed');
    const a = await replica(schema);
    const b = await replica(schema);
    t.after(() => Promise.all([a.close(), b.close()]));
    let missed = 0;
    let listeningWhenTold = true;
    const feedOf = (s: PostgresStore) => (s as unknown as { feed: { listening(): boolean; connections: number } }).feed;
    b.subscribeMissed(() => {
      missed++;
      listeningWhenTold &&= feedOf(b).listening();
    });
    assert.equal(missed, 0, 'not at open');
    // Cut B's feed only: A's stays as it was.
    const bPid = (b as unknown as { feed: { client: { processID: number } } }).feed.client.processID;
    await sql('SELECT pg_terminate_backend($1::int)', [bPid]);
    await a.transact((tx) => tx.put('pgItems', 'hub', 'while-cut', { id: 'while-cut', n: 1 }));
    await until('B listens again', () => feedOf(b).connections === 2 && feedOf(b).listening());
    assert.equal(missed, 1);
    assert.ok(listeningWhenTold, 'told once listening again: a change committed after it is notified');
    assert.equal(feedOf(a).connections, 1);
  });

  test('a change feed whose connection went silent (no error, no close) finds it dead by its heartbeat, listens again and says so', async (t) => {
    const proxy = await pgProxy(db.url);
    t.after(() => proxy.close());
    const url = new URL(proxy.url);
    const channel = `${freshSchema('silent')}_changes`; // a channel no other test notifies
    let resumed = 0;
    const heard: Change[] = [];
    const feed = new ChangeFeed({
      connect: () => new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 1_000 }),
      channel, origin: 'b', onChanges: (changes) => heard.push(...changes), onResumed: () => resumed++,
      heartbeatMs: 100, heartbeatTimeoutMs: 300,
    });
    await feed.start();
    t.after(() => feed.stop());
    proxy.freeze();
    await until('the feed listens on a new connection', () => feed.connections === 2 && feed.listening(), 5_000);
    assert.equal(resumed, 1);
    await sql('SELECT pg_notify($1, $2)', [channel, JSON.stringify({ origin: 'a', changes: [['pgItems', 'hub', 'after']] })]);
    await until('heard on the new connection', () => heard.some((c) => c.id === 'after'));
  });

  test('a change feed reconnecting to a server that leaves its LISTEN unanswered gives up on it and tries again', async (t) => {
    const proxy = await pgProxy(db.url);
    t.after(() => proxy.close());
    const url = new URL(proxy.url);
    const channel = `${freshSchema('unanswered')}_changes`;
    const feed = new ChangeFeed({
      connect: () => new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 1_000 }),
      channel, origin: 'b', onChanges: () => {}, maxBackoffMs: 200, heartbeatMs: 60_000, heartbeatTimeoutMs: 300,
    });
    await feed.start();
    t.after(() => feed.stop());
    proxy.swallowWhen('LISTEN');
    await proxy.stop(); // the feed's connection is cut; its reconnection's LISTEN goes unanswered
    await proxy.start();
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.equal(feed.listening(), false);
    proxy.swallowWhen(undefined);
    await until('the feed listens again', () => feed.listening() && feed.connections === 2, 5_000);
  });

});
