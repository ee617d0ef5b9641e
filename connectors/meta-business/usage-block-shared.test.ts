import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient } from '../sdk/http.ts';
import { RateLimitBook } from '../sdk/rate-limit-book.ts';
import { GraphClient } from './graph-client.ts';

/**
 * X-Business-Use-Case-Usage may name up to 32 objects on any answer, with
 * `estimated_time_to_regain_access` in whole minutes
 * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting). While one ad account
 * is out of quota, calls on other objects keep flowing and each answer repeats its block. Each
 * block told to `onBlock` is a store write every replica hears of: told once per block, again
 * only when it ends a minute or more later, not once per answer.
 */
const ctx = { what: 'list people of business 100', businessId: '100' };
const BLOCK_ENDS = 1_000_000 + 5 * 60_000;

function clientWith(regainMinutes: (now: number) => number, onBlock: (scope: string, until: number) => void) {
  const clock = { now: 1_000_000 };
  const fetchFn = (async () => new Response('{"data":[]}', {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'x-business-use-case-usage': JSON.stringify({ 222: [{ type: 'ads_management', call_count: 100, total_cputime: 20, total_time: 20, estimated_time_to_regain_access: regainMinutes(clock.now) }] }),
    },
  })) as typeof fetch;
  const book = new RateLimitBook(() => clock.now, onBlock);
  const http = new HttpClient({ baseUrl: 'http://127.0.0.1:9', fetch: fetchFn, secrets: () => ['tok-1234'] });
  const graph = new GraphClient({ http, version: 'v25.0', token: 'tok-1234', businessId: '100', book, clock: () => clock.now, sleep: async () => {} });
  return { clock, book, graph };
}

/** Calls on the business once a second for `seconds`. */
async function callEverySecond(graph: GraphClient, clock: { now: number }, seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    await graph.call('GET', '100/business_users', {}, ctx);
    clock.now += 1_000;
  }
}

describe('a block a usage header repeats is shared once', () => {
  test('a header counting the wait down (whole minutes) tells the block once', async () => {
    const told: Array<[string, number]> = [];
    const { graph, clock, book } = clientWith((now) => Math.max(0, Math.ceil((BLOCK_ENDS - now) / 60_000)), (s, u) => told.push([s, u]));
    await callEverySecond(graph, clock, 150);
    assert.deepEqual(told, [['222', BLOCK_ENDS]]);
    assert.ok(book.remainingMs('222') > 0, 'the ad account is still held here');
  });

  test('a header repeating the same wait tells it again only as it grows by a minute', async () => {
    const told: number[] = [];
    const { graph, clock } = clientWith(() => 5, (_s, u) => told.push(u));
    await callEverySecond(graph, clock, 150);
    assert.ok(told.length <= 3, `told ${told.length} times in 150 s`);
    for (let i = 1; i < told.length; i++) assert.ok(told[i]! - told[i - 1]! >= 60_000);
  });

  test('a block the agent passed in (from the store) is not told back when a header repeats it', async () => {
    const told: number[] = [];
    const { graph, clock, book } = clientWith((now) => Math.max(0, Math.ceil((BLOCK_ENDS - now) / 60_000)), (_s, u) => told.push(u));
    book.blockUntil('222', BLOCK_ENDS);
    await callEverySecond(graph, clock, 30);
    assert.deepEqual(told, []);
  });

  test('a new block after the last one ended is told, however short', async () => {
    const told: number[] = [];
    let now = 1_000_000;
    const book = new RateLimitBook(() => now, (_s, u) => told.push(u));
    book.block('222', 60_000);
    now += 61_000;
    book.block('222', 10_000);
    assert.deepEqual(told, [1_060_000, 1_071_000]);
  });
});
