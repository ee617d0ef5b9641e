import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { FleetShares, type HubLimits } from './fleet-limits.ts';

/**
 * The hub's request budget (fleet-limits.ts) is one token bucket in the store, refilled by the
 * time elapsed since its last write, each replica measuring with its own clock. Clocks of
 * replicas differ a little even under NTP: the bucket's time must never go back, or a replica
 * behind writes its earlier time and the next replica ahead counts the difference as elapsed
 * again, refilling the bucket on every alternation with no time passing at all.
 */
const silent = { warn() {} };
const limits: HubLimits = { perSecond: 1, burst: 10, concurrency: 1_000 };

test('two replicas whose clocks differ by a minute start no more than the budget allows', async () => {
  const store = new MemoryStore();
  const real = 1_000_000_000;
  const share = (owner: string, skewMs: number) =>
    new FleetShares({ store, claimant: { owner, clock: () => real + skewMs, leaseMs: 60_000 }, limits, hasDueWork: () => true, log: silent });
  const ahead = share('ahead', 60_000);
  const behind = share('behind', 0);
  let started = 0;
  // No time passes: the fleet may start the burst (10), plus at most the tenth of it a share holds.
  for (let i = 0; i < 20; i++) {
    for (const s of [ahead, behind]) if ((await s.take('h1', 1)).retryAt === 0) started++;
  }
  assert.ok(started <= limits.burst + 1, `${started} tasks started with a budget of ${limits.burst} and no time passing`);
});

test('the replica behind still refills once its clock passes the bucket\'s time', async () => {
  const store = new MemoryStore();
  let real = 1_000_000_000;
  const share = (owner: string, skewMs: number) =>
    new FleetShares({ store, claimant: { owner, clock: () => real + skewMs, leaseMs: 60_000 }, limits, hasDueWork: () => true, log: silent });
  const ahead = share('ahead', 2_000);
  const behind = share('behind', 0);
  for (let i = 0; i < 10; i++) await ahead.take('h1', 1);
  assert.notEqual((await behind.take('h1', 1)).retryAt, 0, 'the bucket is empty');
  real += 10_000; // 10 s later on every clock: the behind replica's clock is past the bucket's time
  let started = 0;
  for (let i = 0; i < 10; i++) if ((await behind.take('h1', 1)).retryAt === 0) started++;
  assert.ok(started >= 7 && started <= 10, `${started} started after 10 s at 1 per second (the bucket's time was 2 s ahead)`);
});
