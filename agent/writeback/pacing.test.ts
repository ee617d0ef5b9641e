import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket, type WritebackClock } from './pacing.ts';

function fakeClock(): WritebackClock & { t: number; slept: number[] } {
  const c = { t: 1_000_000, slept: [] as number[], now: () => c.t, sleep: async (ms: number) => { c.slept.push(ms); c.t += ms; } };
  return c;
}

test('token bucket: a burst goes at once, then calls are spaced at the rate', async () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(10, 2, clock);
  for (let i = 0; i < 4; i++) await bucket.take();
  assert.deepEqual(clock.slept, [100, 100]);
  assert.equal(bucket.waitedMs, 200);
});

test('token bucket: pauseUntil holds every call until the IdP reset time', async () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(100, 5, clock);
  bucket.pauseUntil(clock.t + 5_000);
  await bucket.take();
  assert.equal(clock.slept[0], 5_000);
  bucket.pauseFor(2_000);
  await bucket.take();
  assert.equal(clock.slept[1], 2_000);
  assert.throws(() => new TokenBucket(0, 1, clock), /rate must be positive/);
});
