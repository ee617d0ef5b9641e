import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pacer, TIKTOK_SANDBOX_PACE, type PaceLimits } from '../../connectors/tiktok-business/pacing.ts';
import type { ConnectorError } from '../../connectors/sdk/connector-error.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import type { Store } from '../store/store.ts';
import { postgresForTests } from '../../test/postgres.ts';
import { postgresReplicas } from '../../test/postgres-replicas.ts';
import { createHubConnector } from '../hub-connector.ts';
import { fleetCallPace } from './call-pace.ts';
import { tiktokHubConfig } from '../../connectors/tiktok-business/test-setup.ts';

/**
 * TikTok's sandbox host allows 1,000 calls a UTC day ("Rate limits",
 * https://business-api.tiktok.com/portal/docs/rate-limits/v1.3: QPD, reset at 00:00:00 UTC; past
 * it every call is throttled until then). The connector's pacer counted the day per process, so
 * two replicas, or one process restarted, made 1,000 calls each. Kept in the hub's call window in
 * the store (call-pace.ts `perDay`), the count is the hub's: the 1,001st call of the day is
 * refused whichever pacer asks. A simulated clock that the pacers' waits move on.
 */
const START = Date.parse('2026-11-01T10:00:00.000Z');
const MIDNIGHT = Date.parse('2026-11-02T00:00:00.000Z');

function simulated() {
  const c = { now: START };
  return { c, clock: () => c.now, sleep: async (ms: number) => { c.now += ms; } };
}

/** The sandbox's limits, or fewer calls a day where each is a durable write (the same count, a quicker test). */
const SHORT_DAY = { ...TIKTOK_SANDBOX_PACE, qpd: 20 };

function pacerOn(store: Store, t: ReturnType<typeof simulated>, limits: PaceLimits = TIKTOK_SANDBOX_PACE): Pacer {
  const pace = fleetCallPace(store, t.clock);
  return new Pacer(limits, t.clock, t.sleep, (l) => pace('hub-t', { perSecond: l.qps, perMinute: l.qpm, ...(l.qpd !== undefined ? { perDay: l.qpd } : {}) }));
}

async function refused(pacer: Pacer): Promise<ConnectorError | undefined> {
  return pacer.take().then(() => undefined, (e: ConnectorError) => e);
}

/** `pacers` take the day's `perDay` calls in turn; then each is refused until 00:00 UTC, and a new day counts again. */
async function shareOneDay(pacers: Pacer[], perDay: number, t: ReturnType<typeof simulated>): Promise<void> {
  for (let i = 0; i < perDay; i++) await pacers[i % pacers.length]!.take();
  for (const [i, p] of pacers.entries()) {
    const err = await refused(p);
    assert.equal(err?.kind, 'rate-limited', `pacer ${i}: call ${perDay + 1} of the day is held`);
    assert.equal(err?.limitScope, 'app');
    assert.equal(err?.retryAfterMs, MIDNIGHT - t.c.now, 'until 00:00 UTC');
  }
  t.c.now = MIDNIGHT;
  await pacers[0]!.take();
}

describe('the UTC day\'s calls kept in the hub\'s call window', () => {
  test('memory store: two pacers (replicas, or a restart) on one store make 1,000 calls a day together, not 1,000 each', async () => {
    const store = new MemoryStore();
    const t = simulated();
    await shareOneDay([pacerOn(store, t), pacerOn(store, t)], 1_000, t);
  });

  test('lowdb store: the count survives a restart (the store closed and opened again)', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-call-pace-day-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'store.json');
    const time = simulated();
    const before = new LowdbStore(path);
    await before.open();
    const first = pacerOn(before, time, SHORT_DAY);
    for (let i = 0; i < 12; i++) await first.take();
    await before.close();
    const after = new LowdbStore(path);
    await after.open();
    t.after(() => after.close());
    const second = pacerOn(after, time, SHORT_DAY);
    for (let i = 0; i < 8; i++) await second.take();
    assert.equal((await refused(second))?.kind, 'rate-limited', 'the 21st call of the day, the 9th since the restart, is held');
  });

  test('a window without a day limit on a store one process uses is not kept: no store write per call', async () => {
    const store = new MemoryStore();
    const pace = fleetCallPace(store, () => START);
    assert.equal(await pace('hub-t', { perSecond: 1, perMinute: 1 }), 0);
    assert.equal(await pace('hub-t', { perSecond: 1, perMinute: 1 }), 0, 'the process\'s own pacer keeps its pace');
    assert.equal(await store.get('callWindows', '', 'hub-t'), undefined);
  });

  test('at 00:00 UTC a replica whose clock is a little behind counts in the day the other replica has begun, not over it', async () => {
    const store = new MemoryStore();
    const ahead = fleetCallPace(store, () => MIDNIGHT + 1_000);
    const behind = fleetCallPace(store, () => MIDNIGHT - 1_000); // 2 s of skew: still the old day here
    const limits = { perSecond: 100, perMinute: 100, perDay: 4 };
    for (let i = 0; i < 3; i++) assert.equal(await ahead('hub-t', limits), 0);
    assert.equal(await behind('hub-t', limits), 0, 'the 4th call of the new day');
    // Written as the old day, the new day's count began again at 0 and the ahead replica made 4 more.
    assert.equal(await ahead('hub-t', limits), 'day-spent', 'the new day\'s 5th call is held');
    assert.equal(await behind('hub-t', limits), 'day-spent');
    // A clock two days ahead is no skew: its spent day does not hold this replica's.
    const wild = fleetCallPace(store, () => MIDNIGHT + 2 * 86_400_000);
    for (let i = 0; i < 4; i++) assert.equal(await wild('hub-t', limits), 0);
    assert.equal(await ahead('hub-t', limits), 0, 'a day counted two days ahead is not this one');
  });
});

const db = await postgresForTests();

describe('the UTC day\'s calls shared by replicas (PostgreSQL)', { skip: db.skip }, () => {
  const { freshSchema, replica } = postgresReplicas(db);

  test('two replicas calling for one Business Center make the day\'s calls together, not each', async (t) => {
    const schema = freshSchema('call-pace-day');
    const a = await replica(schema);
    const b = await replica(schema);
    t.after(() => Promise.all([a.close(), b.close()]));
    const time = simulated();
    await shareOneDay([pacerOn(a, time, SHORT_DAY), pacerOn(b, time, SHORT_DAY)], SHORT_DAY.qpd, time);
  });
});

test('at TikTok\'s sandbox host the connector asks the window for its day\'s calls, and a day spent pauses the app scope until 00:00 UTC without a call', async () => {
  const config = tiktokHubConfig('https://sandbox-ads.tiktok.com', 'call-pace-day');
  const asked: unknown[] = [];
  const blocks: Array<[string, string, number]> = [];
  let sent = 0;
  const connector = createHubConnector(config.file.hubs[0]!, config, {
    log: { debug() {}, info() {}, warn() {}, error() {} },
    fetch: async () => { sent++; return new Response('{}', { status: 500 }); },
    callPace: async (hubId, limits) => { asked.push([hubId, limits]); return 'day-spent'; },
    onBlock: (hubId, scope, until) => blocks.push([hubId, scope, until]),
  });
  const before = Date.now();
  const err = await connector.listMembers!().then(() => undefined, (e: ConnectorError) => e);
  assert.deepEqual(asked[0], ['hub-t', { perSecond: 1, perMinute: 30, perDay: 1_000 }]);
  assert.equal(err?.kind, 'rate-limited');
  assert.equal(sent, 0, 'nothing sent');
  const midnight = (Math.floor(before / 86_400_000) + 1) * 86_400_000;
  assert.deepEqual(blocks.map(([h, s]) => [h, s]), [['hub-t', 'app']], 'the pause recorded for every replica (scope-blocks.ts)');
  assert.ok(Math.abs(blocks[0]![2] - midnight) < 5_000, 'until 00:00 UTC');
});
