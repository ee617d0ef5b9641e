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
