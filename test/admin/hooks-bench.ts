/**
 * `npm run bench -- hooks`: how long Okta waits for its 200 (its timeout is 3 s,
 * https://developer.okta.com/docs/concepts/event-hooks/) now that each delivery's events are recorded durably before the
 * answer, on the real LowdbStore, for deliveries of 1, 100 and 1000 events; and the admin API's
 * request rate on a read (GET /hubs/{id}/members) over the fake agent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

export default async function bench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hubwarden-hooks-bench-'));
  const store = new LowdbStore(join(dir, 'store.json'));
  await store.open();
  const agent = new FakeAgent();
  const hook = createOktaHookRouter({ config: testConfig(), agent, store });
  const server = await serveRouters([['/hooks', hook], ['/api/v1', createAdminRouter({ config: testConfig(), agent })]]);
  let n = 0;
  try {
    for (const size of [1, 100, 1000]) {
      const times: number[] = [];
      for (let round = 0; round < 30; round++) {
        // Within the last hour: an event published over a week before its receipt is skipped, not acted on (okta-event.ts outOfWindow).
        const events = Array.from({ length: size }, (_, i) => ({
          uuid: `bench-${++n}`, published: new Date(Date.now() - 3_600_000 + (i % 60) * 1000).toISOString(), eventType: 'group.user_membership.add',
          target: [{ id: `00u${i}`, type: 'User', alternateId: i % 2 ? 'jane@example.com' : 'raj@example.com' }],
        }));
        const body = JSON.stringify({ eventType: 'com.okta.event_hook', data: { events } });
        const started = performance.now();
        const res = await fetch(`${server.url}/hooks/okta`, { method: 'POST', headers: { authorization: TEST_ENV.OKTA_HOOK_SECRET, 'content-type': 'application/json' }, body });
        await res.arrayBuffer();
        times.push(performance.now() - started);
        if (res.status !== 200) throw new Error(`okta hook answered ${res.status}`);
        await hook.settled();
      }
      times.sort((a, b) => a - b);
      console.log(`okta hook, ${String(size).padStart(4)} event(s)/delivery, lowdb: time to 200 p50 ${percentile(times, 0.5).toFixed(1)} ms, p99 ${percentile(times, 0.99).toFixed(1)} ms (Okta's limit 3000 ms)`);
    }
    const total = 2000;
    const started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next++ < total) {
        const res = await fetch(`${server.url}/api/v1/hubs/acme-ads/members?status=onboarded`, { headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` } });
        await res.arrayBuffer();
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    console.log(`admin API GET members (fake agent), 16 concurrent: ${Math.round(total / seconds)} requests/s`);
  } finally {
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
