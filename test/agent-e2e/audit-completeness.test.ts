import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../agent/api.ts';
import { createAgent } from '../../agent/agent.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { createMemberService } from '../../agent/members/member-service.ts';
import type { Operation } from '../../agent/plan/operation.ts';
import { enqueueOperation } from '../../agent/tasks/operations/enqueue-operation.ts';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { createMetaEmulator, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { MEMORY_STORE } from '../suite-stores.ts';
import { configSchema, type ConfigFile } from '../../config/schema.ts';
import { Directory, OKTA } from './directory.ts';
import { checkForUpdates, HUB, hubConfig, onboard, silent, until, type Harness } from './harness.ts';

/**
 * Every change to people's access and to hubwarden's own governance state is audited with who
 * (the trigger's type and actor), what (the action, the hub and the person or row), why and the
 * outcome; a change refused by a brake or that failed is audited as such, never as done and never
 * left out. One row per path that changes something: each drives the path through the agent the
 * server runs (member service wired, as scim-server/compose.ts does) and checks the entries it
 * wrote. Paths over HTTP (SCIM, hooks, the dashboard adapter) reach these same agent calls with
 * their own trigger; their own tests check the trigger (test/admin/hook-audit.test.ts,
 * scim-server/web/acting-agent.ts).
 */
const owner: Trigger = { type: 'admin', actor: 'owner@example.com' };
const signedIn: Trigger = { type: 'dashboard', actor: 'manager@example.com' };
const oktaHook: Trigger = { type: 'okta-event-hook', idp: 'okta', actor: 'okta-admin@example.com', detail: 'event e-1' };
const leaver: Trigger = { type: 'entra-lifecycle', idp: 'entra', actor: 'workflow:wf-1', detail: 'task t-1 result r-1' };

let writebackRefusal: Error | undefined;
/** Armed by a row: the write-back run stops part way and says why in its report (agent/writeback `stopped`). */
let writebackStop: string | undefined;

/** The agent as the server builds it (member service included), on the Meta emulator. */
async function startWorld(safety: Record<string, unknown> = {}, config: ConfigFile = hubConfig(safety)): Promise<Harness> {
  const emulator = createMetaEmulator();
  const server = await emulator.listen(0);
  const connector = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log: silent });
  const { store, dispose } = await MEMORY_STORE.open();
  // Write-back to the IdP (agent/writeback), as a double: a row arms `writebackRefusal` to have the IdP refuse a run.
  const writeback = { async run() { if (writebackRefusal) throw writebackRefusal; return writebackStop ? { hubId: HUB, written: 2, failed: 8, stopped: writebackStop } : undefined; } };
  const members = createMemberService({ config: { file: config }, store, log: silent, writeback });
  const agent = createAgent({ config, store, connectorFor: () => connector, log: silent, members, auditFile: false, runner: { backoffBaseMs: 20, backoffMaxMs: 200, leaseMs: 2_000 } });
  await agent.start();
  const h: Harness = {
    emulator, url: server.url, agent, store, directory: new Directory(store, HUB),
    async close() { await agent.stop(500); await server.close(); await dispose(); },
  };
  await checkForUpdates(h);
  return h;
}

const isMember = (h: Harness, id: string) => h.emulator.control.state().users.some((u) => u.id === id);
const finished = (h: Harness, id: string) => until(`task ${id} finished`, async () => {
  const t = await h.agent.api.task(id);
  return t && ['completed', 'failed', 'cancelled'].includes(t.status) ? t : undefined;
}, 20_000);

interface Expected {
  action: string;
  outcome: AuditEntry['outcome'];
  trigger: Trigger;
  email?: string;
  memberId?: string;
  directoryUserId?: string;
  /** The task that wrote it, where the case starts several of one action (a failed task's retry is audited too). */
  taskId?: string;
  /** The hub (default HUB); null: an entry about every hub (an offboarding). */
  hubId?: string | null;
  /** Says why: the group, the rule, the brake, the reason given. */
  why: RegExp;
  /** The same change must not also be audited with this outcome (a refusal recorded as done). */
  not?: AuditEntry['outcome'];
}

interface Case {
  name: string;
  /** Runs the path; answers what it must have audited. */
  run(h: Harness): Promise<Expected[]>;
}

async function entriesSince(h: Harness, seq: number): Promise<AuditEntry[]> {
  return (await h.agent.api.audit({ limit: 1000 })).items.filter((e) => e.seq > seq);
}

async function checkCase(h: Harness, c: Case): Promise<void> {
  const mark = (await h.agent.api.audit({ limit: 1 })).items[0]?.seq ?? 0;
  const expected = await c.run(h);
  await h.agent.idle();
  const seen = await entriesSince(h, mark);
  const show = () => seen.map((e) => `${e.action}/${e.outcome} ${e.subject?.email ?? ''} [${e.trigger.type}:${e.trigger.actor ?? ''}] ${e.why}`).join('\n  ');
  for (const x of expected) {
    const same = (e: AuditEntry) => e.action === x.action && (x.email === undefined || e.subject?.email === x.email) && (x.memberId === undefined || e.subject?.memberId === x.memberId) && (x.taskId === undefined || e.taskId === x.taskId);
    // Several entries of one action (a push's two writes): the one whose why matches, else the first, to show.
    const candidates = seen.filter((e) => same(e) && e.outcome === x.outcome);
    const entry = candidates.find((e) => x.why.test(e.why)) ?? candidates[0];
    assert.ok(entry, `${c.name}: no ${x.action}/${x.outcome} entry for ${x.email ?? x.memberId ?? '(hub)'}; audited:\n  ${show()}`);
    // Who
    assert.equal(entry.trigger.type, x.trigger.type, `${c.name}: ${x.action}: trigger type; audited:\n  ${show()}`);
    assert.equal(entry.trigger.actor, x.trigger.actor, `${c.name}: ${x.action}: actor`);
    if (x.trigger.idp) assert.equal(entry.trigger.idp, x.trigger.idp, `${c.name}: ${x.action}: idp`);
    // What
    assert.equal(entry.hubId, x.hubId === null ? undefined : x.hubId ?? HUB, `${c.name}: ${x.action}: hub`);
    if (x.email) assert.equal(entry.subject?.email, x.email);
    if (x.memberId) assert.equal(entry.subject?.memberId, x.memberId);
    if (x.directoryUserId) assert.equal(entry.subject?.directoryUserId, x.directoryUserId, `${c.name}: ${x.action}: directory user`);
    // Why
    assert.match(entry.why, x.why, `${c.name}: ${x.action}: why`);
    assert.ok(entry.at && entry.seq > mark);
    if (x.not) assert.equal(seen.filter((e) => same(e) && e.outcome === x.not).length, 0, `${c.name}: ${x.action} also audited as ${x.not}:\n  ${show()}`);
  }
  // No secret in any entry (the emulator's token is the one secret this world has).
  assert.ok(!JSON.stringify(seen).includes(SANDBOX.token), `${c.name}: an entry holds the app token`);
}

const scimPush: Case = {
  name: 'SCIM push (user created, added to a group): invite',
  async run(h) {
    await h.directory.createUser('u-ivy', 'ivy@example.com');
    await h.directory.patchGroup('Meta Advertisers', ['u-ivy']);
    await until('ivy invited', () => h.emulator.control.state().invites.some((i) => i.email === 'ivy@example.com'));
    return [
      { action: 'desired-state-change', outcome: 'ok', trigger: OKTA, directoryUserId: 'u-ivy', why: /scim from okta: 1 user-created; 1 person/ },
      { action: 'desired-state-change', outcome: 'ok', trigger: OKTA, directoryUserId: 'u-ivy', why: /scim from okta: 1 group-members \(group "Meta Advertisers"\); 1 person/ },
      { action: 'invite', outcome: 'ok', trigger: OKTA, email: 'ivy@example.com', why: /Meta Advertisers.*assigned/ },
    ];
  },
};

const plain: Case[] = [
  scimPush,
  {
    name: 'SCIM group removal: the seat goes',
    async run(h) {
      const seat = await onboard(h, 'u-gus', 'gus@example.com', 'Meta Advertisers');
      await h.directory.patchGroup('Meta Advertisers', [], ['u-gus']);
      await until('gus removed', () => !isMember(h, seat));
      return [{ action: 'remove-member', outcome: 'ok', trigger: OKTA, email: 'gus@example.com', memberId: seat, why: /no mapped group \(unassigned\)/ }];
    },
  },
  {
    name: 'SCIM deactivation: the seat goes',
    async run(h) {
      const seat = await onboard(h, 'u-dee', 'dee@example.com', 'Meta Advertisers');
      await h.directory.setActive('u-dee', false);
      await until('dee removed', () => !isMember(h, seat));
      return [{ action: 'remove-member', outcome: 'ok', trigger: OKTA, email: 'dee@example.com', memberId: seat, why: /deactivated/ }];
    },
  },
  {
    name: 'an owner exempts, a removal is refused by the exemption, the owner ends it',
    async run(h) {
      const seat = await onboard(h, 'u-eve', 'eve@example.com', 'Meta Advertisers');
      await h.agent.api.exemptMember(HUB, seat, { reason: 'agency contract' }, owner);
      await assert.rejects(h.agent.api.removeMember(HUB, seat, signedIn), /exempted/);
      await h.agent.api.unexemptMember(HUB, seat, owner);
      assert.ok(isMember(h, seat));
      return [
        { action: 'member-exempted', outcome: 'ok', trigger: owner, email: 'eve@example.com', memberId: seat, why: /agency contract/ },
        { action: 'remove-member', outcome: 'failed', trigger: signedIn, email: 'eve@example.com', memberId: seat, why: /manager@example\.com asked to remove eve@example\.com: refused, .*exempted/, not: 'pending' },
        { action: 'member-unexempted', outcome: 'ok', trigger: owner, email: 'eve@example.com', memberId: seat, why: /ended the exemption.*agency contract/ },
      ];
    },
  },
  {
    name: 'an owner un-matches and matches a member',
    async run(h) {
      const seat = await onboard(h, 'u-max', 'max@example.com', 'Meta Advertisers');
      await h.agent.api.unmatchMember(HUB, seat, owner);
      await h.agent.api.matchMember(HUB, seat, { directoryUserId: 'u-max' }, owner);
      return [
        { action: 'member-unmatched', outcome: 'ok', trigger: owner, memberId: seat, why: /un-matched max@example\.com from directory user u-max/ },
        { action: 'member-matched', outcome: 'ok', trigger: owner, memberId: seat, why: /matched max@example\.com to directory user max@example\.com/ },
      ];
    },
  },
  {
    name: 'an owner registers a guest',
    async run(h) {
      await h.agent.api.registerGuest(HUB, { email: 'Guest@Partner.example', note: 'agency' }, owner);
      return [{ action: 'guest-registered', outcome: 'ok', trigger: owner, email: 'guest@partner.example', why: /registered guest@partner\.example as a guest.*agency/ }];
    },
  },
  {
    name: 'an owner removes a member (queued, then done)',
    async run(h) {
      const seat = await onboard(h, 'u-ron', 'ron@example.com', 'Meta Advertisers');
      const task = await h.agent.api.removeMember(HUB, seat, signedIn);
      await finished(h, task.id);
      assert.ok(!isMember(h, seat));
      return [
        { action: 'remove-member', outcome: 'pending', trigger: signedIn, email: 'ron@example.com', memberId: seat, why: /manager@example\.com asked to remove ron@example\.com/ },
        { action: 'remove-member', outcome: 'ok', trigger: signedIn, email: 'ron@example.com', memberId: seat, why: /remove ron@example\.com/ },
      ];
    },
  },
  {
    name: 'an owner removes a member and the app refuses every attempt',
    async run(h) {
      const seat = await onboard(h, 'u-fay', 'fay@example.com', 'Meta Advertisers');
      h.emulator.control.setFaults({ errorRate: 1, match: `/${seat}` });
      try {
        const task = await h.agent.api.removeMember(HUB, seat, owner);
        assert.equal((await finished(h, task.id)).status, 'failed');
      } finally {
        h.emulator.control.setFaults({});
      }
      return [{ action: 'remove-member', outcome: 'failed', trigger: owner, email: 'fay@example.com', memberId: seat, why: /gave up|failed|error/i, not: 'ok' }];
    },
  },
  {
    name: 'an Okta event hook suspends a person: seat removed',
    async run(h) {
      const seat = await onboard(h, 'u-sue', 'sue@example.com', 'Meta Advertisers');
      await h.agent.api.suspendPerson({ email: 'sue@example.com' }, true, oktaHook);
      await until('sue removed', () => !isMember(h, seat));
      return [
        { action: 'user-suspended', outcome: 'ok', trigger: oktaHook, email: 'sue@example.com', why: /suspended in the IdP/ },
        { action: 'remove-member', outcome: 'ok', trigger: oktaHook, email: 'sue@example.com', memberId: seat, why: /remove sue@example\.com/ },
      ];
    },
  },
  {
    name: 'an Entra Lifecycle Workflows leaver: offboarded',
    async run(h) {
      const seat = await onboard(h, 'u-leo', 'leo@example.com', 'Meta Advertisers');
      const parent = await h.agent.api.offboard({ email: 'leo@example.com' }, leaver);
      assert.equal((await finished(h, parent.id)).status, 'completed');
      return [
        { action: 'offboard', outcome: 'pending', trigger: leaver, email: 'leo@example.com', memberId: seat, why: /remove leo@example\.com/ },
        { action: 'remove-member', outcome: 'ok', trigger: leaver, email: 'leo@example.com', memberId: seat, why: /remove leo@example\.com/ },
      ];
    },
  },
  {
    name: 'an Entra leaver whose removal the app refuses: the offboarding failed',
    async run(h) {
      const seat = await onboard(h, 'u-lou', 'lou@example.com', 'Meta Advertisers');
      h.emulator.control.setFaults({ errorRate: 1, match: `/${seat}` });
      try {
        const parent = await h.agent.api.offboard({ email: 'Lou@example.com' }, leaver);
        assert.equal((await finished(h, parent.id)).status, 'failed');
      } finally {
        h.emulator.control.setFaults({});
      }
      return [
        { action: 'remove-member', outcome: 'failed', trigger: leaver, email: 'lou@example.com', memberId: seat, why: /remove lou@example\.com/, not: 'ok' },
        { action: 'offboard', outcome: 'failed', trigger: leaver, hubId: null, email: 'lou@example.com', why: /offboard Lou@example\.com from every hub: 1 of 1 removal\(s\) did not happen/, not: 'ok' },
      ];
    },
  },
  {
    name: 'an invite declined in the app: found by a check for updates',
    async run(h) {
      await h.directory.createUser('u-dan', 'dan@example.com');
      await h.directory.patchGroup('Meta Advertisers', ['u-dan']);
      const invite = await until('dan invited', () => h.emulator.control.state().invites.find((i) => i.email === 'dan@example.com' && i.status === 'PENDING'));
      h.emulator.control.declineInvite(invite.id);
      await checkForUpdates(h);
      // The app lists pending invites only: a declined one is seen leaving them before it expired.
      return [
        { action: 'drift-invite-canceled-in-app', outcome: 'ok', trigger: { type: 'admin', actor: 'e2e' }, email: 'dan@example.com', why: /declined by the person or cancelled in the app; hubwarden re-sends it once/ },
        { action: 'reinvite', outcome: 'ok', trigger: { type: 'admin', actor: 'e2e' }, email: 'dan@example.com', why: /re-invite dan@example\.com.*declined/ },
      ];
    },
  },
  {
    name: 'a check for updates asked from the dashboard, and one the app refuses',
    async run(h) {
      const ok = await h.agent.api.checkForUpdates(HUB, signedIn);
      assert.equal((await finished(h, ok.id)).status, 'completed');
      h.emulator.control.setFaults({ errorRate: 1, match: 'business_users' });
      let refused: { id: string };
      try {
        refused = await h.agent.api.checkForUpdates(HUB, owner);
        await until('a failed read audited', async () => (await h.agent.api.audit({ hubId: HUB, action: 'check-for-updates' })).items.some((e) => e.taskId === refused.id && e.outcome === 'failed'), 20_000);
      } finally {
        h.emulator.control.setFaults({});
      }
      return [
        // By task: the refused check is retried once the app answers again, and its retry is audited ok too.
        { action: 'check-for-updates', outcome: 'ok', trigger: signedIn, taskId: ok.id, why: /check for updates of hub meta-main: \d+ members/ },
        { action: 'check-for-updates', outcome: 'failed', trigger: owner, taskId: refused.id, why: /check for updates of hub meta-main stopped: .+; the previous complete snapshot is kept/ },
      ];
    },
  },
  {
    name: 'the write-back after a check for updates is refused by the identity provider',
    async run(h) {
      writebackRefusal = new Error('okta: 401 E0000011 Invalid token provided');
      try {
        const t = await h.agent.api.checkForUpdates(HUB, owner);
        assert.equal((await finished(h, t.id)).status, 'completed', 'the import stands');
      } finally {
        writebackRefusal = undefined;
      }
      return [{ action: 'writeback.run', outcome: 'failed', trigger: owner, why: /write-back to the identity provider after check for updates of hub meta-main stopped: okta: 401 E0000011/ }];
    },
  },
  {
    name: 'the write-back after a check for updates stops part way (the identity provider failing update after update)',
    async run(h) {
      writebackStop = 'okta failed 10 updates in a row for a passing reason (last: okta: 503); the rest are sent on the next run';
      try {
        const t = await h.agent.api.checkForUpdates(HUB, owner);
        const done = await finished(h, t.id);
        assert.equal(done.status, 'completed', 'the import stands');
        assert.match(String((done.result as { writeback?: unknown })?.writeback), /^failed: okta failed 10 updates in a row/, 'the task result does not say "done"');
      } finally {
        writebackStop = undefined;
      }
      return [{ action: 'writeback.run', outcome: 'failed', trigger: owner, why: /after check for updates of hub meta-main stopped: okta failed 10 updates in a row/ }];
    },
  },
  {
    name: 'a SCIM push accepted for a hub since taken out of the config: failed, not dropped',
    async run(h) {
      const retired = new Directory(h.store, 'retired-hub');
      await retired.createUser('u-old', 'old@example.com');
      await until('dispatched', async () => (await h.store.count('outbox', 'retired-hub')) === 0);
      return [{ action: 'desired-state-change', outcome: 'failed', trigger: OKTA, hubId: 'retired-hub', why: /scim from okta: 1 user-created; not acted on: hub retired-hub is not configured/ }];
    },
  },
  {
    name: 'a change queued for a hub no longer in the config: failed, not dropped',
    async run(h) {
      const retired = { ...hubConfig().hubs[0]!, id: 'retired-hub' };
      const op: Operation = { kind: 'remove-member', key: 'remove:6100000000009999', memberId: '6100000000009999', role: 'EMPLOYEE', email: 'old@example.com', directoryUserId: 'u-old', summary: 'remove old@example.com (EMPLOYEE) from the business', effect: 'removal', reason: 'deactivated' };
      const task = await h.store.transact((tx) => enqueueOperation(tx, { hub: retired, op, trigger: owner, force: true }));
      assert.equal((await finished(h, task.id)).status, 'failed');
      return [{ action: 'remove-member', outcome: 'failed', trigger: owner, hubId: 'retired-hub', email: 'old@example.com', memberId: '6100000000009999', why: /remove old@example\.com.*not configured/, not: 'ok' }];
    },
  },
];

describe('audit completeness: every path that changes access', () => {
  let h: Harness;
  before(async () => { h = await startWorld(); });
  after(() => h.close());
  for (const c of plain) test(c.name, () => checkCase(h, c));
});

describe('audit completeness: safety brakes (confirmDeprovisioning)', () => {
  let h: Harness;
  before(async () => { h = await startWorld({ confirmDeprovisioning: true }); });
  after(() => h.close());
  test('a deactivation goes to the report; an owner applies it', () => checkCase(h, {
    name: 'confirmDeprovisioning',
    async run(h) {
      const seat = await onboard(h, 'u-rae', 'rae@example.com', 'Meta Advertisers');
      await h.directory.setActive('u-rae', false);
      const report = await until('a report', async () => (await h.agent.api.reports(HUB)).find((r) => r.items.some((i) => i.memberId === seat)));
      await h.agent.idle();
      assert.ok(isMember(h, seat), 'held until applied');
      await h.agent.api.applyReport(report.id, [seat], owner);
      await until('rae removed', () => !isMember(h, seat));
      return [
        { action: 'report', outcome: 'pending', trigger: OKTA, email: 'rae@example.com', memberId: seat, why: /confirmDeprovisioning|report/ },
        { action: 'apply-report', outcome: 'ok', trigger: owner, email: 'rae@example.com', memberId: seat, why: new RegExp(`applied from report ${report.id}`) },
        { action: 'remove-member', outcome: 'ok', trigger: owner, email: 'rae@example.com', memberId: seat, why: /remove rae@example\.com/ },
      ];
    },
  }));
});

describe('audit completeness: safety brakes (removal threshold)', () => {
  let h: Harness;
  before(async () => { h = await startWorld({ removalThresholdPercent: 10 }); });
  after(() => h.close());
  test('removals over the threshold wait for approval; an owner rejects them', () => checkCase(h, {
    name: 'removal threshold',
    async run(h) {
      const a = await onboard(h, 'u-tia', 'tia@example.com', 'Meta Advertisers', { import: false });
      const b = await onboard(h, 'u-tom', 'tom@example.com', 'Meta Advertisers', { import: false });
      await checkForUpdates(h);
      await h.directory.setActive('u-tia', false);
      await h.directory.setActive('u-tom', false);
      const approval = await until('an approval', async () => (await h.agent.api.approvals(HUB)).find((x) => x.status === 'pending'));
      await h.agent.api.decideApproval(approval.id, 'reject', owner);
      await h.agent.idle();
      assert.ok(isMember(h, a) && isMember(h, b), 'nobody removed');
      return [
        { action: 'approval-requested', outcome: 'pending', trigger: OKTA, why: /would remove 2 of \d+ member/ },
        { action: 'approval-rejected', outcome: 'ok', trigger: owner, why: /would remove 2/ },
        // In each person's own trail: held by the brake, then not done because the owner said no.
        ...[['tia@example.com', a], ['tom@example.com', b]].flatMap(([email, seat]): Expected[] => [
          { action: 'remove-member', outcome: 'pending', trigger: OKTA, email, memberId: seat, why: new RegExp(`held for approval ${approval.id} \\(removalThresholdPercent 10%: seat removals\\)`) },
          { action: 'remove-member', outcome: 'skipped', trigger: owner, email, memberId: seat, why: new RegExp(`not done, approval ${approval.id} rejected by owner@example\\.com`), not: 'ok' },
        ]),
      ];
    },
  }));
});

/** A claim team (a collection): joining it makes an offer; claiming it invites. */
const offersConfig = () => configSchema.parse({
  collections: [{ id: 'brand-hubs', label: 'Brand hubs', offerDays: 14 }],
  hubs: [{
    id: HUB, connector: 'meta-business', meta: { businessId: SANDBOX.businessId },
    teams: [{ group: 'Brand', appRole: 'EMPLOYEE', collection: 'brand-hubs', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }] }],
    safety: { settleSeconds: 1, removalThresholdPercent: 50, confirmDeprovisioning: false },
  }],
});

describe('audit completeness: offers and claim access', () => {
  let h: Harness;
  before(async () => { h = await startWorld({}, offersConfig()); });
  after(() => h.close());
  test('an offer is made, claimed from the dashboard, and a claim of an expired one is refused', () => checkCase(h, {
    name: 'offers',
    async run(h) {
      await h.directory.createUser('u-kim', 'kim@example.com');
      await h.directory.createUser('u-lee', 'lee@example.com');
      await h.directory.patchGroup('Brand', ['u-kim', 'u-lee']);
      const offerOf = (email: string) => until(`offer to ${email}`, async () => (await h.agent.api.offers(email))[0]);
      const kim = await offerOf('kim@example.com');
      const lee = await offerOf('lee@example.com');
      const claim = await h.agent.api.claimOffer('kim@example.com', kim.id, signedIn);
      await finished(h, claim.id);
      await until('kim invited', () => h.emulator.control.state().invites.some((i) => i.email === 'kim@example.com'));
      // Lee's offer lapses unclaimed (its end date passed), then someone claims it.
      await h.store.transact(async (tx) => {
        const o = (await tx.get('offers', HUB, lee.id))!;
        tx.put('offers', HUB, lee.id, { ...o, expiresAt: new Date(Date.now() - 60_000).toISOString() });
      });
      await assert.rejects(h.agent.api.claimOffer('lee@example.com', lee.id, signedIn), /expired/);
      return [
        { action: 'offer-made', outcome: 'ok', trigger: OKTA, email: 'kim@example.com', why: /Brand/ },
        { action: 'offer-claimed', outcome: 'ok', trigger: signedIn, email: 'kim@example.com', why: /kim@example\.com claimed EMPLOYEE on hub meta-main offered through Brand/ },
        { action: 'invite', outcome: 'ok', trigger: signedIn, email: 'kim@example.com', why: /invite kim@example\.com as EMPLOYEE/ },
        { action: 'offer-claimed', outcome: 'failed', trigger: signedIn, email: 'lee@example.com', why: new RegExp(`dashboard:manager@example\\.com claimed offer ${lee.id} for lee@example\\.com: refused, offer ${lee.id} expired`), not: 'ok' },
      ];
    },
  }));
});
