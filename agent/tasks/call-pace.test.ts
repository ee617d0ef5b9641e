import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pacer } from '../../connectors/tiktok-business/pacing.ts';
import { createHubConnector } from '../hub-connector.ts';
import { postgresForTests } from '../../test/postgres.ts';
import { postgresReplicas } from '../../test/postgres-replicas.ts';
import { fleetCallPace } from './call-pace.ts';
import { tiktokHubConfig } from '../../connectors/tiktok-business/test-setup.ts';

/**
 * TikTok's limits are per developer app (QPS / QPM, "Rate limits",
 * https://business-api.tiktok.com/portal/docs/rate-limits/v1.3), and its connector paces its own
 * calls: two replicas, each pacing itself, made twice the app's calls. With the hub's call window
 * in the store (call-pace.ts), the two together keep one pace. A simulated clock, shared by the
 * replicas and the window, that the pacers' waits move on: no real time is measured.
 */
const db = await postgresForTests();

describe('the hub call window shared by replicas (PostgreSQL)', { skip: db.skip }, () => {
  const { freshSchema, replica } = postgresReplicas(db);

  test('two replicas pacing one Business Center together let qps calls through per second and qpm per minute', async (t) => {
    const schema = freshSchema('call-pace');
    const a = await replica(schema);
    const b = await replica(schema);
    t.after(() => Promise.all([a.close(), b.close()]));
    let now = 1_000_000;
    const clock = () => now;
    const sleep = async (ms: number) => { now += ms; };
    const pacerOn = (store: typeof a) => {
      const pace = fleetCallPace(store, clock);
      return new Pacer({ qps: 2, qpm: 3 }, clock, sleep, (l) => pace('hub-t', { perSecond: l.qps, perMinute: l.qpm }));
    };
    const [pa, pb] = [pacerOn(a), pacerOn(b)];
    const times: number[] = [];
    for (const p of [pa, pb, pa, pb]) {
      await p.take();
      times.push(now - 1_000_000);
    }
    assert.deepEqual(times, [0, 0, 1000, 60_000], 'the third call waits for the next second, the fourth for the next minute');
  });
});

test('a TikTok hub\'s connector counts each call in the window it is given, at its pace', async () => {
  const config = tiktokHubConfig('https://tiktok.test', 'call-pace');
  const asked: Array<[string, { perSecond: number; perMinute: number }]> = [];
  const answer: typeof fetch = async () => new Response(JSON.stringify({ code: 0, message: 'OK', data: { list: [], page_info: { page: 1, page_size: 50, total_number: 0, total_page: 1 } } }), { status: 200, headers: { 'content-type': 'application/json' } });
  const connector = createHubConnector(config.file.hubs[0]!, config, {
    log: { debug() {}, info() {}, warn() {}, error() {} }, fetch: answer,
    callPace: async (hubId, limits) => { asked.push([hubId, limits]); return 0; },
  });
  await connector.listMembers!();
  assert.ok(asked.length >= 1, 'the call was counted in the shared window');
  assert.deepEqual(asked[0], ['hub-t', { perSecond: 5, perMinute: 300 }]);
});
