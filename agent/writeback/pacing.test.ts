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

test('graph pacing: a 429 pauses the bucket for Retry-After, and 1 s when the header is missing or not seconds', async () => {
  const { PacingMiddleware } = await import('./graph-client.ts');
  const paused: number[] = [];
  for (const header of ['7', null, '', 'Wed, 21 Oct 2026 07:28:00 GMT']) {
    const middleware = new PacingMiddleware({ take: async () => {}, pauseFor: (ms) => { paused.push(ms); } });
    const headers = new Headers(header === null ? {} : { 'retry-after': header });
    middleware.setNext({ execute: async (context: { response?: Response }) => { context.response = new Response(null, { status: 429, headers }); }, setNext: () => {} } as never);
    await middleware.execute({ request: 'https://graph.microsoft.com/v1.0/users/x', options: {} } as never);
  }
  assert.deepEqual(paused, [7_000, 1_000, 1_000, 1_000]);
});

test('graph pacing: a Retry-After HTTP-date ahead pauses the bucket until then (at most the SDK\'s 180 s)', async () => {
  const { PacingMiddleware } = await import('./graph-client.ts');
  const paused: number[] = [];
  for (const ahead of [30, 3_600]) {
    const middleware = new PacingMiddleware({ take: async () => {}, pauseFor: (ms) => { paused.push(ms); } });
    const headers = new Headers({ 'retry-after': new Date(Date.now() + ahead * 1000).toUTCString() });
    middleware.setNext({ execute: async (context: { response?: Response }) => { context.response = new Response(null, { status: 429, headers }); }, setNext: () => {} } as never);
    await middleware.execute({ request: 'https://graph.microsoft.com/v1.0/users/x', options: {} } as never);
  }
  // toUTCString has whole seconds: 29-30 s ahead.
  assert.ok(paused[0]! >= 29_000 && paused[0]! <= 30_000, `paused ${paused[0]} ms`);
  assert.equal(paused[1], 180_000);
});

test('graph pacing: a 503 or 504 with Retry-After pauses the bucket for it (the RetryHandler retries those as a 429); without one, no pause', async () => {
  const { PacingMiddleware } = await import('./graph-client.ts');
  const paused: Array<[number, number]> = [];
  for (const [status, header] of [[503, '12'], [504, '3'], [503, null], [500, '9'], [200, '5']] as const) {
    const middleware = new PacingMiddleware({ take: async () => {}, pauseFor: (ms) => { paused.push([status, ms]); } });
    const headers = new Headers(header === null ? {} : { 'retry-after': header });
    middleware.setNext({ execute: async (context: { response?: Response }) => { context.response = new Response(null, { status, headers }); }, setNext: () => {} } as never);
    await middleware.execute({ request: 'https://graph.microsoft.com/v1.0/users/x', options: {} } as never);
  }
  assert.deepEqual(paused, [[503, 12_000], [504, 3_000]]);
});
