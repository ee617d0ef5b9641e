import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { FleetShares, type HubLimits } from './fleet-limits.ts';

/**
 * A replica's call slots on a hub are recorded with an end (one lease length), renewed while it
 * has due work. Once they lapsed unrenewed (the replica was cut off from the database, or stalled
 * past a lease), other replicas may take them: the replica must not go on counting them as its
 * own, nor record them again on top of the others'.
 */
const silent = { warn() {} };
const limits: HubLimits = { perSecond: Infinity, burst: 1, concurrency: 2 };

function replicas() {
  const store = new MemoryStore();
  let now = 1_000_000;
  const clock = () => now;
  const share = (owner: string) => new FleetShares({ store, claimant: { owner, clock, leaseMs: 1_000 }, limits, hasDueWork: () => true, log: silent });
  return { store, a: share('a'), b: share('b'), advance: (ms: number) => (now += ms), clock };
}

const heldOn = async (store: MemoryStore, now: number) => {
  const b = await store.get('hubBudgets', '', 'h1');
  return Object.values(b?.held ?? {}).filter((h) => h.until > now).reduce((n, h) => n + h.n, 0);
};

test('slots that lapsed unrenewed and were taken by another replica are not used by the one that lost them', async () => {
  const { a, b, advance } = replicas();
  assert.equal((await a.take('h1', 2)).retryAt, 0);
  assert.equal((await a.take('h1', 1)).retryAt, 0);
  a.ended('h1');
  a.ended('h1'); // its tasks ended; it keeps its slots for the due work it has
  advance(1_500); // no renewal recorded for longer than a lease
  assert.equal((await b.take('h1', 2)).retryAt, 0);
  assert.equal((await b.take('h1', 1)).retryAt, 0);
  const again = await a.take('h1', 1);
  assert.notEqual(again.retryAt, 0, 'a third call at once on a hub whose concurrency is 2');
  assert.equal(again.full, true);
});

test('a renewal after the slots lapsed records no more than the other replicas left', async () => {
  const { store, a, b, advance, clock } = replicas();
  await a.take('h1', 2);
  await a.take('h1', 1);
  a.ended('h1');
  a.ended('h1'); // its tasks ended; it keeps its slots for the due work it has
  advance(1_500);
  await b.take('h1', 2);
  await b.take('h1', 1);
  await a.renew();
  assert.ok((await heldOn(store, clock())) <= limits.concurrency, `${await heldOn(store, clock())} slots recorded on a hub whose concurrency is 2`);
});

test('slots renewed in time stay the replica\'s', async () => {
  const { store, a, b, advance, clock } = replicas();
  await a.take('h1', 2);
  await a.take('h1', 1);
  a.ended('h1');
  advance(400);
  await a.renew();
  advance(700); // past the first lease, within the renewed one
  assert.equal((await b.take('h1', 1)).full, true);
  assert.equal((await a.take('h1', 1)).retryAt, 0);
  assert.equal(await heldOn(store, clock()), 2);
});
