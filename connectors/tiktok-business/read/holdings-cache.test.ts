import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HoldingsCache, type Holdings } from './holdings-cache.ts';

/**
 * The per-member TikTok-account read takes one call per member: at 5 calls a second a Business
 * Center of 4,000 members takes over 13 minutes. Every chunk of a check for updates that asks
 * for TikTok accounts must share the one read, however long it runs.
 */
describe('HoldingsCache', () => {
  test('a read still in flight past the TTL is shared, not started again; kept for the TTL after it completes', async () => {
    let clock = 0;
    const cache = new HoldingsCache(10_000, () => clock);
    let reads = 0;
    let finish!: (h: Holdings) => void;
    const read = () => {
      reads++;
      return new Promise<Holdings>((resolve) => { finish = resolve; });
    };
    const first = cache.get(read);
    clock = 600_000; // ten minutes into the read
    const second = cache.get(read);
    assert.equal(reads, 1);
    assert.equal(second, first);
    finish(new Map());
    await first;
    clock += 9_000;
    cache.get(read);
    assert.equal(reads, 1, 'fresh for the TTL after completion');
    clock += 2_000;
    cache.get(read);
    assert.equal(reads, 2, 'read again once the TTL has passed');
  });

  test('a failed read is not kept; invalidate drops a result', async () => {
    const cache = new HoldingsCache(10_000, () => 0);
    let reads = 0;
    await assert.rejects(cache.get(async () => { reads++; throw new Error('boom'); }));
    await cache.get(async () => { reads++; return new Map(); });
    cache.invalidate();
    await cache.get(async () => { reads++; return new Map(); });
    assert.equal(reads, 3);
  });
});
