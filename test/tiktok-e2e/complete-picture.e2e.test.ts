/**
 * No removal without a complete picture (TikTok): the member listing (`bc/member/get`, members and
 * invitations alike) under each fault the emulator injects. A seat added in the Business Center
 * for a directory user in no group, which a complete read removes (control row), gets no removal
 * task from a faulty check; the run is recorded as failed and hub health says so. A short page
 * (`shortPageRate`) is not among these faults: the sandbox's listing fits on one page, which the
 * random cut often leaves whole; short-page.e2e.test.ts cuts a page of a two-page listing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import type { CheckRunRecord } from '../../agent/check-for-updates/check-run.ts';
import { hubHealth } from '../../agent/health/hub-health.ts';
import type { FaultConfig } from '../../connectors/tiktok-business/emulator/faults.ts';
import { BC, USER, rowOf, settle, startTikTokHub, until, type TikTokHarness } from './harness.ts';

const MATCH = 'bc/member/get';
const FAULTS: Record<string, FaultConfig | undefined> = {
  'service error 50000/50002/51060 after retries': { errorRate: 1, match: MATCH },
  'HTTP 503': { httpErrorRate: 1, match: MATCH },
  'dropped socket': { dropRate: 1, match: MATCH },
  'throttled (40100)': { throttleRate: 1, match: MATCH },
};
const TAKES_AWAY = ['remove-member', 'cancel-invite', 'unassign-asset', 'change-member-role'];
const EMAIL = 'walk.in@example.com';

async function hubThatWouldRemove(): Promise<{ h: TikTokHarness; before: Set<string> }> {
  const h = await startTikTokHub('okta', { safety: { drift: 'correct', removalThresholdPercent: 100 } });
  await h.scim('POST', '/Users', { schemas: [USER], userName: EMAIL, emails: [{ primary: true, value: EMAIL }], active: true }); // in no group
  await settle(h);
  const state = h.emulator.control.state() as any;
  state.members.push({ bc_id: BC, user_id: '7000000000000000999', user_name: 'Walk In', user_email: EMAIL, user_role: 'STANDARD', relation_status: 'BOUND' });
  h.emulator.control.seed(state);
  return { h, before: new Set((await collect(h.store.list('tasks', h.hubId))).map((t) => t.id)) };
}

async function checkOnce(h: TikTokHarness): Promise<CheckRunRecord> {
  const t = await h.agent.api.checkForUpdates(h.hubId, { type: 'admin', actor: 'e2e' });
  const run = await until(`run of ${t.id}`, () => h.store.get('checkRuns', h.hubId, t.id) as Promise<CheckRunRecord | undefined>, 30_000);
  await settle(h, 1_500);
  return run;
}

// The cases side by side: each has its own hub, emulator and store, and each mostly waits (the
// connector reads a faulty page again after 1 s, then 2 s; the check task's retry reads again the
// same way), so one after the other they took some 30 s of waiting.
describe('no removal without a complete picture (TikTok): member listing × fault', { concurrency: true }, () => {
  for (const [fault, faults] of Object.entries(FAULTS)) {
    test(fault, async () => {
      const { h, before } = await hubThatWouldRemove();
      try {
        h.emulator.control.setFaults(faults!);
        const run = await checkOnce(h);
        h.emulator.control.setFaults({});
        assert.equal(run.outcome, 'failed', JSON.stringify(run));
        const queued = (await collect(h.store.list('tasks', h.hubId))).filter((t) => !before.has(t.id) && TAKES_AWAY.includes(t.kind));
        assert.deepEqual(queued.map((t) => t.summary), []);
        assert.equal(rowOf(h.emulator, EMAIL)?.relation_status, 'BOUND', 'the seat is still there');
        assert.deepEqual(await collect(h.store.list('reports', h.hubId)), []);
        assert.ok((await hubHealth(h.store, h.hubId, new Date())).problems.some((p) => /last check for updates failed/.test(p)));
      } finally {
        await h.close();
      }
    });
  }

  test('control: read with no fault, the seat is removed', async () => {
    const { h } = await hubThatWouldRemove();
    try {
      await checkOnce(h);
      await until('the seat removed', async () => { await settle(h); return rowOf(h.emulator, EMAIL)?.relation_status !== 'BOUND'; }, 15_000);
    } finally {
      await h.close();
    }
  });
});
