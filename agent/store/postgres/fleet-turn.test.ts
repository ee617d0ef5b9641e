import { test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { isStoreUnavailable } from '../store-unavailable.ts';
import { Connections } from './connections.ts';
import { FleetTurns } from './fleet-turn.ts';
import { KeyLocks } from './key-locks.ts';

/** A turn (fleet-turn.ts) whose connection is lost as it takes its locks: no database needed. */
test('a turn that cannot take its locks because the database went: StoreUnavailable, and the connection is discarded', async () => {
  const db = new Connections({ url: 'postgres://x@127.0.0.1:1/x', schema: 's', poolSize: 2, probeMs: 1_000, assertOpen: () => {}, isOpen: () => false });
  const released: unknown[] = [];
  const lost = Object.assign(new Error('Connection terminated unexpectedly'), {});
  const client = {
    on() { return client; },
    removeListener() { return client; },
    query: async () => { throw lost; },
    release: (err?: unknown) => released.push(err),
  };
  db.connect = async () => client as unknown as pg.PoolClient;
  const turns = new FleetTurns(db, new KeyLocks('s'));
  const err = await turns.take([{ collection: 'pgItems', partition: 'h', id: 'a' }]).then(() => undefined, (e: unknown) => e);
  assert.ok(isStoreUnavailable(err), `expected StoreUnavailable, got ${String(err)}`);
  assert.equal(err.outcomeUnknown, false);
  assert.deepEqual(released.length, 1);
  assert.ok(released[0] instanceof Error, 'discarded, not returned to the pool');
  // The next turn is not held up by the one that failed.
  const next = await turns.take([{ collection: 'pgItems', partition: 'h', id: 'b' }]).then(() => undefined, (e: unknown) => e);
  assert.ok(isStoreUnavailable(next));
});

/** A connection that answers the turn's locking, then (`silent`) times out every query. */
function scriptedTurnClient() {
  const sent: string[] = [];
  const released: unknown[] = [];
  let silent = false;
  const client = {
    on() { return client; },
    removeListener() { return client; },
    query: async (q: string | { text: string }) => {
      sent.push(typeof q === 'string' ? q : q.text);
      if (silent) throw new Error('Query read timeout');
      return { rows: [] };
    },
    release: (err?: unknown) => released.push(err),
  };
  return { client, sent, released, goSilent: () => (silent = true) };
}

function turnsOn(client: unknown) {
  const db = new Connections({ url: 'postgres://x@127.0.0.1:1/x', schema: 's', poolSize: 2, probeMs: 1_000, assertOpen: () => {}, isOpen: () => false });
  db.connect = async () => client as pg.PoolClient;
  return new FleetTurns(db, new KeyLocks('s'));
}

// pg answers a query_timeout with "Query read timeout" but keeps the query as the connection's
// active one: a next query on it waits behind it, so the unlock at the turn's end waited one more
// answer timeout (holding up this process's next turn) before the connection was given up.
test('a turn whose read timed out, or whose commit left the connection unusable, ends it without sending it anything more', async () => {
  for (const how of ['read', 'commit'] as const) {
    const c = scriptedTurnClient();
    const turn = await turnsOn(c.client).take([{ collection: 'pgItems', partition: 'h', id: 'a' }]);
    const lockingQueries = c.sent.length;
    c.goSilent();
    if (how === 'read') {
      const err = await turn.query('SELECT 1').then(() => undefined, (e: unknown) => e);
      assert.ok(isStoreUnavailable(err), `${how}: expected StoreUnavailable, got ${String(err)}`);
      await turn.end();
    } else {
      await turn.end(new Error('Query read timeout'));
    }
    assert.equal(c.sent.length, lockingQueries + (how === 'read' ? 1 : 0), `${how}: no unlock sent on the unusable connection`);
    assert.equal(c.released.length, 1);
    assert.ok(c.released[0] instanceof Error, `${how}: discarded (its session and locks end), not returned to the pool`);
  }
});

test('a turn that ends well unlocks on its connection and returns it to the pool', async () => {
  const c = scriptedTurnClient();
  const turn = await turnsOn(c.client).take([{ collection: 'pgItems', partition: 'h', id: 'a' }]);
  await turn.end();
  assert.match(c.sent.at(-1)!, /pg_advisory_unlock_all/);
  assert.deepEqual(c.released, [undefined]);
});

test('a turn whose locking timed out ends the connection without sending it a ROLLBACK or an unlock', async () => {
  const c = scriptedTurnClient();
  const turns = turnsOn(c.client);
  const query = c.client.query;
  // BEGIN and SET LOCAL are answered; the lock query is not (a database that stopped answering).
  c.client.query = async (q) => (c.sent.length >= 2 && c.goSilent(), query(q));
  const err = await turns.take([{ collection: 'pgItems', partition: 'h', id: 'a' }]).then(() => undefined, (e: unknown) => e);
  assert.ok(isStoreUnavailable(err), `expected StoreUnavailable, got ${String(err)}`);
  assert.equal(c.sent.length, 3, `sent: ${c.sent.join(' | ')}`);
  assert.match(c.sent[2]!, /pg_advisory_lock/);
  assert.equal(c.released.length, 1);
  assert.ok(c.released[0] instanceof Error, 'discarded (its session and locks end), not returned to the pool');
});

test('a turn whose locking failed hands the next turn on even when giving its connection back throws', async () => {
  const c = scriptedTurnClient();
  const turns = turnsOn(c.client);
  c.goSilent();
  c.client.release = () => { throw new Error('Release called on client which has already been released to the pool.'); };
  await turns.take([{ collection: 'pgItems', partition: 'h', id: 'a' }]).then(() => assert.fail('taken'), () => {});
  const next = turns.take([{ collection: 'pgItems', partition: 'h', id: 'b' }]).then(() => 'settled', () => 'settled');
  assert.equal(await Promise.race([next, new Promise((r) => setTimeout(() => r('waiting'), 500))]), 'settled');
});
