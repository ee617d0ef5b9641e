import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pacer, ThrottleBackoff } from './pacing.ts';

describe('pacing', () => {
  test('the pacer lets qps calls through per second and qpm per minute, in order', async () => {
    let now = 0;
    const waits: number[] = [];
    const pacer = new Pacer({ qps: 2, qpm: 3 }, () => now, async (ms) => {
      waits.push(ms);
      now += ms;
    });
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      await pacer.take();
      times.push(now);
    }
    assert.deepEqual(times, [0, 0, 1000, 60_000]);
  });

  test('backoff after 40100: 1 s doubling with ±20 % jitter (never under 1 s), capped at 5 min; 15 min of throttling waits for 00:00 UTC', () => {
    let now = Date.parse('2026-11-01T10:00:00Z');
    const b = new ThrottleBackoff(() => now, () => 0.5);
    const after = () => { const w = b.next(); now += w; return w; };
    assert.deepEqual([after(), after(), after()], [1000, 2000, 4000]);
    for (let i = 0; i < 7; i++) after();
    assert.equal(after(), 300_000, 'capped at 5 minutes (13.5 min into the streak)');
    assert.equal(b.next(), Date.parse('2026-11-02T00:00:00Z') - now, 'throttled for more than 15 minutes: the daily quota');
    b.reset();
    assert.equal(b.next(), 1000);
    const jittered = new ThrottleBackoff(() => now, () => 0);
    assert.equal(jittered.next(), 1000, 'never under 1 s: a QPS throttle clears only after the current second');
    const high = new ThrottleBackoff(() => now, () => 1);
    assert.equal(high.next(), 1200);
  });

  test('once the doubling reaches the 5 min cap, every wait is the whole 5 min: a QPM block that each refused call extends still ends', () => {
    // TikTok "Rate limits" (https://business-api.tiktok.com/portal/docs/rate-limits/v1.3): after a
    // QPM breach stop calling for 5 minutes; a retry inside the window is refused again and may
    // extend the block. An app that restarts its 5 min block at every refused call: jitter below
    // the cap retried inside it every time, until the 15 min rule took it for the daily quota.
    const BLOCK_MS = 5 * 60_000;
    for (const r of [0, 0.1, 0.25, 0.5, 0.75, 1]) {
      const start = Date.parse('2026-11-01T10:00:00Z');
      let now = start;
      let blockedUntil = now + BLOCK_MS;
      const b = new ThrottleBackoff(() => now, () => r);
      let waits = 0;
      for (;;) {
        const wait = b.next();
        assert.ok(wait <= BLOCK_MS, `jitter ${r}: throttle ${waits + 1} at +${(now - start) / 1000} s waits ${wait / 1000} s: past the 5 min cap (taken for the daily quota)`);
        now += wait;
        waits++;
        if (now < blockedUntil) {
          blockedUntil = now + BLOCK_MS; // refused again: the block starts over
          continue;
        }
        break;
      }
      assert.ok(now - start <= 15 * 60_000, `jitter ${r}: through after ${(now - start) / 1000} s`);
    }
  });

  test('the first retry after a 40100 always falls after the second the throttle came in (TikTok: QPS → retry after the current second)', () => {
    for (const r of [0, 0.1, 0.25, 0.49]) {
      for (const ms of [0, 1, 500, 999]) {
        const now = Date.parse('2026-11-01T10:00:00Z') + ms;
        const wait = new ThrottleBackoff(() => now, () => r).next();
        assert.ok(Math.floor((now + wait) / 1000) > Math.floor(now / 1000), `throttled at +${ms} ms, jitter ${r}: retried at +${ms + wait} ms, inside the same second`);
      }
    }
  });

  test('a throttle long after the last wait ended, with no call in between, starts a new streak (not the daily quota)', () => {
    let now = Date.parse('2026-11-01T10:00:00Z');
    const b = new ThrottleBackoff(() => now, () => 0.5);
    assert.equal(b.next(), 1000);
    // The throttled call was never tried again (the change was no longer needed) and the hub was
    // idle: nothing went through to reset the streak. Twenty minutes later one call is throttled.
    now += 20 * 60_000;
    assert.equal(b.next(), 1000, 'one throttle after an idle spell waits 1 s, not until 00:00 UTC');
    now += 1000;
    assert.equal(b.next(), 2000, 'and a throttle right after that wait continues the new streak');
  });

  test('throttles that come back inside the wait in force are the same throttle: no doubling', () => {
    let now = 0;
    const b = new ThrottleBackoff(() => now, () => 0.5);
    assert.deepEqual([b.next(), b.next(), b.next()], [1000, 1000, 1000]);
    now += 400;
    assert.equal(b.next(), 600);
    now += 600;
    assert.equal(b.next(), 2000, 'a call made after the wait and throttled again doubles it');
  });
});
