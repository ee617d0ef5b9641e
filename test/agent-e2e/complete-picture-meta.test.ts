/**
 * No removal without a complete picture (Meta): for each listing a check for updates reads ×
 * each fault the emulator (or a handler in front of it) can put on that listing, a hub where a
 * complete read WOULD take access away (a seat and an invite made by hand for directory users in
 * no group, a grant made by hand on a team's asset that the holder's team does not give, all under
 * `safety.drift: correct`) gets no removal, cancel, unassign or demotion task, no report, no
 * exemption ended and no invite from the faulty check, and the run says it was failed or partial.
 * The last row reads with no fault and proves the same hub does remove.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { collect } from '../../agent/store/store.ts';
import type { CheckRunRecord } from '../../agent/check-for-updates/check-run.ts';
import { hubHealth } from '../../agent/health/hub-health.ts';
import { configSchema } from '../../config/schema.ts';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { SANDBOX, type FaultConfig } from '../../connectors/meta-business/emulator/index.ts';
import { checkForUpdates, HUB, onboard, settle, silent, startHarness, until, type Harness } from './harness.ts';

const config = configSchema.parse({
  hubs: [{
    id: HUB, connector: 'meta-business', meta: { businessId: SANDBOX.businessId },
    teams: [
      { group: 'Meta Advertisers', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }] },
      { group: 'Meta Admins', hubRole: 'owner', appRole: 'ADMIN', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] }] },
      { group: 'Meta Viewers', appRole: 'EMPLOYEE', assets: [] },
    ],
    // No settle window: a removal pass a check queues is due at once, so checkOnce's settle runs it
    // without first waiting the window out (a second a case); what it may take away is asserted as before.
    safety: { settleSeconds: 0, removalThresholdPercent: 100, confirmDeprovisioning: false, drift: 'correct' },
  }],
});

/** What each listing's calls look like: the emulator's fault `match`, and the Graph path a front handler tampers with. */
const LISTINGS = {
  invites: { match: '/pending_users', covers: ['cancel-invite', 'remove-member', 'unassign-asset'] },
  members: { match: '/business_users', covers: ['cancel-invite', 'remove-member', 'unassign-asset'] },
  'assets: ad_account': { match: '_ad_accounts', covers: ['unassign-asset'] },
  assignments: { match: '/assigned_users', covers: ['unassign-asset'] },
} as const;
type Listing = keyof typeof LISTINGS;
const REQUIRED: readonly Listing[] = ['invites', 'members'];
const TAKES_AWAY = ['remove-member', 'cancel-invite', 'unassign-asset', 'change-member-role'];

type Tamper = 'loop' | 'missing-id';
/** A fault: emulator faults, or a handler that rewrites the listing's answers. */
const FAULTS: Record<string, (match: string) => { faults?: FaultConfig; tamper?: Tamper }> = {
  '5xx after retries': (match) => ({ faults: { errorRate: 1, match } }),
  'dropped socket': (match) => ({ faults: { dropRate: 1, match: match === '/assigned_users' ? '^/$|/assigned_users' : match } }),
  'throttled (code 4)': (match) => ({ faults: { throttle: { code: 4, match } } }),
  'plain HTTP 403': (match) => ({ faults: { plainForbidden: { match: match === '/assigned_users' ? '^/$' : match, calls: 1000 } } }),
  'paging.next loops': () => ({ tamper: 'loop' }),
  'a row without its id': () => ({ tamper: 'missing-id' }),
};

/** Rewrites a Graph list answer: its `next` pointing back at itself, or its first row without `id`. */
function rewrite(body: any, tamper: Tamper, self: string): boolean {
  if (!body || !Array.isArray(body.data) || body.data.length === 0) return false;
  if (tamper === 'missing-id') delete body.data[0].id;
  else body.paging = { ...(body.paging ?? {}), next: self };
  return true;
}

/** A front handler: tampers with answers on paths matching `state.match` (batch operations included) while `state.tamper` is set. */
function front(state: { tamper?: Tamper; match?: string; url?: string }): express.RequestHandler {
  // Batch bodies parsed first (the emulator takes a body a parent app parsed, http-app.ts bodyParamsOf).
  return express.Router().use(express.urlencoded({ extended: false }), express.json(), (req, res, next) => {
    const end = res.end.bind(res) as (chunk?: unknown) => express.Response;
    (res as { end: unknown }).end = (chunk?: unknown) => {
      if (!state.tamper || !state.match || typeof chunk !== 'string') return end(chunk);
      try {
        const body = JSON.parse(chunk);
        const batch = req.method === 'POST' && /^\/(v\d+\.\d+\/?)?$/.test(req.path);
        if (batch && Array.isArray(body)) {
          const ops = JSON.parse(String((req.body as { batch?: string })?.batch ?? '[]')) as Array<{ relative_url?: string }>;
          body.forEach((item: { body?: string } | null, i: number) => {
            if (!item?.body || !String(ops[i]?.relative_url ?? '').includes(state.match!.replace(/^\//, ''))) return;
            const inner = JSON.parse(item.body);
            if (rewrite(inner, state.tamper!, `${state.url}/${ops[i]!.relative_url}`)) item.body = JSON.stringify(inner);
          });
        } else if (req.method === 'GET' && new RegExp(state.match).test(req.path)) {
          rewrite(body, state.tamper, `${state.url}${req.originalUrl}`);
        }
        res.removeHeader('content-length');
        return end(JSON.stringify(body));
      } catch {
        return end(chunk);
      }
    };
    next();
  });
}

const byHand = (h: Harness) => createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: h.url }, { log: silent });

/** A hub after a complete first import, then changed by hand so that only a new complete read takes access away. */
async function hubThatWouldRemove(state: Parameters<typeof front>[0]) {
  const h = await startHarness({ config, front: front(state) });
  state.url = h.url;
  await checkForUpdates(h);
  const viewer = await onboard(h, 'u-vera', 'vera@example.com', 'Meta Viewers');
  await settle(h);
  await h.directory.createUser('u-walk', 'walk.in@example.com'); // in the directory, in no group
  await h.directory.createUser('u-pend', 'pending.walk@example.com');
  await settle(h);
  const seat = h.emulator.control.acceptInvite((await byHand(h).invite!({ email: 'walk.in@example.com', role: 'EMPLOYEE' })).inviteId).memberId;
  const invite = (await byHand(h).invite!({ email: 'pending.walk@example.com', role: 'EMPLOYEE' })).inviteId;
  await byHand(h).assignAsset!({ asset: { type: 'ad_account', id: 'act_111' }, userId: viewer, tasks: ['ADVERTISE', 'ANALYZE'] });
  const before = { tasks: new Set((await collect(h.store.list('tasks', HUB))).map((t) => t.id)), audit: (await collect(h.store.list('audit', HUB))).length, calls: h.emulator.calls.length };
  return { h, seat, invite, viewer, before };
}

/** Runs one check and waits until its run is recorded (failed or completed) and what it queued has run. */
async function checkOnce(h: Harness): Promise<CheckRunRecord> {
  const t = await h.agent.api.checkForUpdates(HUB, { type: 'admin', actor: 'e2e' });
  const run = await until(`run of ${t.id}`, () => h.store.get('checkRuns', HUB, t.id) as Promise<CheckRunRecord | undefined>, 30_000);
  await settle(h, 1_500);
  return run;
}

const newTasks = async (h: Harness, before: Set<string>) => (await collect(h.store.list('tasks', HUB))).filter((t) => !before.has(t.id));

// Four cases at a time: each starts a harness of its own (emulator, store, agent, front handler),
// and much of a case is the faulty check's retries waited out in checkOnce's settle, idle.
describe('no removal without a complete picture (Meta): listing × fault', { concurrency: 4 }, () => {
  for (const [listing, { match, covers }] of Object.entries(LISTINGS) as Array<[Listing, (typeof LISTINGS)[Listing]]>) {
    for (const [fault, make] of Object.entries(FAULTS)) {
      test(`${listing}: ${fault}`, async () => {
        const state: Parameters<typeof front>[0] = {};
        const { h, seat, invite, viewer, before } = await hubThatWouldRemove(state);
        try {
          const { faults, tamper } = make(match);
          if (faults) h.emulator.control.setFaults(faults);
          Object.assign(state, { tamper, match });
          const run = await checkOnce(h);
          h.emulator.control.setFaults({});
          Object.assign(state, { tamper: undefined });
          const queued = await newTasks(h, before.tasks);
          const takes = queued.filter((t) => TAKES_AWAY.includes(t.kind) && (covers as readonly string[]).includes(t.kind));
          assert.deepEqual(takes.map((t) => `${t.kind} ${t.summary}`), [], 'nothing the unread listing covers is taken away');
          const invitesSent = h.emulator.calls.slice(before.calls).filter((c) => c.method === 'POST' && /\/business_users$/.test(c.path));
          assert.deepEqual(invitesSent.map((c) => c.body.email), [], 'no invite sent');
          if (REQUIRED.includes(listing)) {
            assert.ok(h.emulator.control.state().users.some((u) => u.id === seat), 'the seat is still there');
            assert.ok(h.emulator.control.state().invites.some((i) => i.id === invite && i.status === 'PENDING'), 'the invite is still pending');
          }
          assert.ok(h.emulator.control.state().assignments.some((a) => a.userId === viewer && a.assetId === 'act_111'), 'the grant is still there');
          assert.deepEqual(await collect(h.store.list('reports', HUB)), [], 'no report');
          const audit = (await collect(h.store.list('audit', HUB))).slice(before.audit);
          assert.deepEqual(audit.filter((e) => e.action === 'exemption-ended' || e.action === 'departed-retired'), []);
          const checked = audit.filter((e) => e.action === 'check-for-updates' && e.taskId === run.id);
          if (REQUIRED.includes(listing) || run.outcome === 'failed') {
            // A listing that fails the whole read (required, or one that loops: no connector error) stops the check.
            assert.equal(run.outcome, 'failed', JSON.stringify(run));
            assert.ok(checked.every((e) => e.outcome === 'failed') && checked.length > 0, 'audited as failed');
            assert.equal(queued.filter((t) => TAKES_AWAY.includes(t.kind)).length, 0, 'nothing taken away in the whole hub');
            assert.ok((await hubHealth(h.store, HUB, new Date())).problems.some((p) => /last check for updates failed/.test(p)), 'hub health says failed');
          } else {
            assert.equal(run.outcome, 'completed');
            assert.ok(run.unavailable?.some((u) => u.section === 'assets' || u.section === 'assignments'), `run says partial: ${JSON.stringify(run.unavailable)}`);
            assert.ok(checked.some((e) => /not read \(previous data kept\)/.test(e.why)), 'audited as partial');
            assert.ok((await hubHealth(h.store, HUB, new Date())).problems.some((p) => /could not read (assets|assignments)/.test(p)), 'hub health says partial');
          }
        } finally {
          await h.close();
        }
      });
    }
  }

  test('control: the same hub read with no fault removes the seat, cancels the invite and unassigns the grant', async () => {
    const { h, seat, invite, viewer } = await hubThatWouldRemove({});
    try {
      await checkOnce(h);
      await until('all three taken away', async () => {
        await settle(h);
        const s = h.emulator.control.state();
        return !s.users.some((u) => u.id === seat) && !s.invites.some((i) => i.id === invite && i.status === 'PENDING') && !s.assignments.some((a) => a.userId === viewer && a.assetId === 'act_111');
      }, 15_000);
    } finally {
      await h.close();
    }
  });
});
