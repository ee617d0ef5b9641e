/**
 * No removal without a complete picture (TikTok), a page really cut: the BOUND member listing
 * spans two pages (26 rows at the connector's 20 a page) and the emulator cuts page 2 to no rows
 * while `page_info` still counts 26 (`shortPages`, a deterministic fault). Taken for the listing,
 * that page would make six members of a mapped team look gone (invited again) and the check
 * complete on a partial picture. README row #9: such a page is read again (up to 3 tries), then
 * the read fails `unavailable`. A walk-in seat on page 1 (in no mapped group) is what a complete
 * read removes, so a check that acted on the cut listing shows it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import type { CheckRunRecord } from '../../agent/check-for-updates/check-run.ts';
import { hubHealth } from '../../agent/health/hub-health.ts';
import { BC, GROUP, USER, rowOf, settle, startTikTokHub, until, type TikTokHarness } from './harness.ts';

const VIEWERS = Array.from({ length: 20 }, (_, i) => `viewer${String(i).padStart(2, '0')}@example.com`);
const WALK_IN = 'walk.in@example.com';
const ACTS = ['invite', 'remove-member', 'cancel-invite', 'unassign-asset', 'change-member-role'];

/** A hub whose BC has 26 BOUND rows: 5 of the sandbox, the walk-in (6th), 20 viewers of a mapped team. */
async function hubOnTwoPages(): Promise<{ h: TikTokHarness; before: Set<string> }> {
  const h = await startTikTokHub('okta', {
    safety: { drift: 'correct', removalThresholdPercent: 100 },
    extraTeams: [{ group: 'TikTok Viewers', appRole: 'STANDARD' }],
  });
  try {
    const ids: string[] = [];
    for (const email of VIEWERS) ids.push((await h.scim('POST', '/Users', { schemas: [USER], userName: email, emails: [{ primary: true, value: email }], active: true })).body.id);
    await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Viewers', members: ids.map((value) => ({ value })) });
    await until('every viewer invited', async () => { await settle(h); return VIEWERS.every((e) => rowOf(h.emulator, e)?.relation_status === 'PENDING'); }, 20_000);
    for (const email of VIEWERS) h.emulator.control.acceptInvite(BC, email);
    await h.scim('POST', '/Users', { schemas: [USER], userName: WALK_IN, emails: [{ primary: true, value: WALK_IN }], active: true }); // in no group
    await h.checkForUpdates();
    await settle(h);
    const state = h.emulator.control.state();
    const firstViewer = state.members.findIndex((m) => m.user_email === VIEWERS[0]);
    state.members.splice(firstViewer, 0, { bc_id: BC, user_id: '7000000000000000999', user_name: 'Walk In', user_email: WALK_IN, user_role: 'STANDARD', relation_status: 'BOUND' });
    h.emulator.control.seed(state);
    const bound = h.emulator.control.state().members.filter((m) => m.bc_id === BC && m.relation_status === 'BOUND');
    assert.equal(bound.length, 26);
    assert.ok(bound.findIndex((m) => m.user_email === WALK_IN) < 20, 'the walk-in is on page 1');
    return { h, before: new Set((await collect(h.store.list('tasks', h.hubId))).map((t) => t.id)) };
  } catch (err) {
    await h.close();
    throw err;
  }
}

async function checkOnce(h: TikTokHarness): Promise<CheckRunRecord> {
  const t = await h.agent.api.checkForUpdates(h.hubId, { type: 'admin', actor: 'e2e' });
  const run = await until(`run of ${t.id}`, () => h.store.get('checkRuns', h.hubId, t.id) as Promise<CheckRunRecord | undefined>, 30_000);
  await settle(h, 1_500);
  return run;
}

/** Calls for page 2 of the BOUND listing (the cut one). */
const page2Reads = (h: TikTokHarness) => h.emulator.calls.filter((c) => c.endpoint === 'bc/member/get' && c.query.page === '2' && /"relation_status":"BOUND"/.test(c.query.filtering ?? '') && !/user_role/.test(c.query.filtering ?? '')).length;

// The two cases side by side: each has its own hub, emulator and store, and mostly waits.
describe('no removal without a complete picture (TikTok): a page of the member listing really cut', { concurrency: true }, () => {
  test('page 2 cut on every read: the check fails, nothing is queued, hub health says so', async () => {
    const { h, before } = await hubOnTwoPages();
    try {
      h.emulator.control.clearCalls();
      h.emulator.control.setFaults({ shortPages: [{ match: 'bc/member/get', page: 2, keep: 0 }] });
      const run = await checkOnce(h);
      const reads = page2Reads(h);
      h.emulator.control.setFaults({});
      assert.equal(run.outcome, 'failed', JSON.stringify(run));
      assert.ok(reads >= 3, `page 2 asked for ${reads} times: read again before the read failed`);
      const queued = (await collect(h.store.list('tasks', h.hubId))).filter((t) => !before.has(t.id) && ACTS.includes(t.kind));
      assert.deepEqual(queued.map((t) => t.summary), []);
      assert.equal(rowOf(h.emulator, WALK_IN)?.relation_status, 'BOUND', 'the seat is still there');
      assert.ok(VIEWERS.every((e) => rowOf(h.emulator, e)?.relation_status === 'BOUND'));
      assert.ok((await hubHealth(h.store, h.hubId, new Date())).problems.some((p) => /last check for updates failed/.test(p)));
    } finally {
      await h.close();
    }
  });

  test('page 2 cut once: read again whole, the check completes on the full listing', async () => {
    const { h, before } = await hubOnTwoPages();
    try {
      h.emulator.control.clearCalls();
      h.emulator.control.setFaults({ shortPages: [{ match: 'bc/member/get', page: 2, keep: 0, times: 1 }] });
      const run = await checkOnce(h);
      const reads = page2Reads(h);
      h.emulator.control.setFaults({});
      assert.equal(run.outcome, 'completed', JSON.stringify(run));
      assert.ok(reads >= 2, `page 2 asked for ${reads} times: the cut page was read again`);
      await until('the walk-in removed', async () => { await settle(h); return rowOf(h.emulator, WALK_IN)?.relation_status !== 'BOUND'; }, 15_000);
      const queued = (await collect(h.store.list('tasks', h.hubId))).filter((t) => !before.has(t.id) && ACTS.includes(t.kind));
      assert.deepEqual(queued.map((t) => t.summary).filter((s) => VIEWERS.some((e) => s.includes(e))), [], 'nothing for the members on the cut page');
      assert.ok(VIEWERS.every((e) => rowOf(h.emulator, e)?.relation_status === 'BOUND'));
      assert.ok(!(await hubHealth(h.store, h.hubId, new Date())).problems.some((p) => /last check for updates failed/.test(p)));
    } finally {
      await h.close();
    }
  });
});
