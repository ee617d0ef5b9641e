/**
 * A manager applies a deprovisioning report's item while an administrator re-matches its seat to
 * a hub owner: the re-match commits after the dashboard's rank check (scim-server/web/report-rank.ts)
 * read whom the seat is matched to, and before the agent's transaction applies the item. The
 * first check let the apply through (the seat was Nina's, no hub role); the check made inside the
 * apply's transaction (`applyReport`'s `within`) sees Oscar, an owner, and refuses: the owner's
 * seat stays, the item stays open, and the refusal is audited once, as the manager's.
 * End to end: the dashboard's routes over the real agent, connector and Meta emulator; the agent
 * the dashboard sees commits the re-match as the apply begins (the race, made certain).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import type { AgentApi } from '../../agent/api.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { SessionStore } from '../../scim-server/web/session-store.ts';
import { dashboardCaller, dashboardConfig, serveDashboard, signedIn } from '../../scim-server/web/web-fixtures.ts';
import type { TestServer } from '../admin/test-server.ts';
import { checkForUpdates, HUB, settle, until, type Harness } from './harness.ts';
import { startWorld } from './audit-completeness-fixtures.ts';

const config = dashboardConfig('report-holder-race', `
  - id: ${HUB}
    connector: meta-business
    meta: { businessId: "${SANDBOX.businessId}", accessToken: env:META_TOKEN }
    teams:
      - { group: Meta Advertisers, appRole: EMPLOYEE }
      - { group: Meta Admins, hubRole: owner, appRole: ADMIN }
      - { group: Meta Managers, hubRole: manager, appRole: EMPLOYEE }
    safety: { settleSeconds: 1, removalThresholdPercent: 50, confirmDeprovisioning: true }
`);

let h: Harness;
let server: TestServer;
const sessions = new SessionStore(new MemoryStore());
const call = dashboardCaller(() => server);
const admin = { type: 'admin' as const, actor: 'boss@acme.example' };
const inMeta = (id: string) => h.emulator.control.state().users.some((u) => u.id === id);
/** Set by the test: run once when the dashboard's apply reaches the agent, before the agent's own transaction. */
let atApply: (() => Promise<void>) | undefined;

before(async () => {
  h = await startWorld({}, config.file);
  const api = h.agent.api;
  const racing: AgentApi = new Proxy(api, {
    get(target, prop, receiver) {
      if (prop === 'applyReport') {
        return async (...args: Parameters<AgentApi['applyReport']>) => {
          const hook = atApply;
          atApply = undefined;
          await hook?.();
          return target.applyReport(...args);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  server = await serveDashboard({ config, agent: racing, store: h.store, sessions });
});
after(async () => {
  await server?.close();
  await h?.close();
});

test("an owner's re-match committed between the manager's rank check and the apply is caught in the apply's transaction (403, audited once, the owner's seat stays)", async () => {
  // Nina's invite was accepted under oscar@example.com: the seat carries that address, matched to Nina.
  await h.directory.createUser('u-nina', 'nina@example.com');
  await h.directory.patchGroup('Meta Advertisers', ['u-nina']);
  const invite = await until('the invite of nina@example.com', () => h.emulator.control.state().invites.find((i) => i.email === 'nina@example.com' && i.status === 'PENDING'));
  const { memberId: seat } = h.emulator.control.acceptInvite(invite.id, { email: 'oscar@example.com' });
  await checkForUpdates(h);
  await h.directory.createUser('u-max', 'max@example.com');
  await h.directory.patchGroup('Meta Managers', ['u-max']);
  // Nina is deactivated: her seat's removal waits in the report, recorded for her.
  await h.directory.setActive('u-nina', false);
  const report = await until('the report item', async () => (await h.agent.api.reports(HUB)).find((r) => r.items.some((i) => i.memberId === seat)), 6_000);
  await settle(h);
  // Oscar, a hub owner the IdP deactivated, under another address; nobody has matched the seat to him yet.
  await h.directory.createUser('u-oscar', 'oscar.ng@example.com');
  await h.directory.setActive('u-oscar', false);
  await h.directory.patchGroup('Meta Admins', ['u-oscar']);
  await settle(h);
  const before = await h.agent.api.member(HUB, seat);
  assert.equal(before?.directoryUserId, 'u-nina', `the seat is Nina's when the manager asks (${JSON.stringify(before)})`);

  // The administrator's re-match commits once the dashboard's own check has passed, as the apply begins.
  let rematched = false;
  atApply = async () => {
    await h.agent.api.matchMember(HUB, seat, { directoryUserId: 'u-oscar' }, admin);
    rematched = true;
  };
  const max = await signedIn(sessions, 'max@example.com');
  const res = await call(max, 'POST', `/ui/api/v1/reports/${report.id}/apply`, { memberIds: [seat], reason: 'Nina left' });
  const body = await res.text();
  assert.ok(rematched, 'the re-match landed between the check and the apply');
  await settle(h, 3_000); // the removal's task, had the apply been let through
  assert.ok(inMeta(seat), `the owner's seat is not removed (the apply answered ${res.status} ${body})`);
  assert.equal(res.status, 403, body);
  assert.match(JSON.parse(body).detail, new RegExp(`a manager cannot remove the seat of an owner.*item ${seat} of report ${report.id}`));
  const now = (await h.agent.api.reports(HUB)).find((r) => r.id === report.id)!;
  assert.equal(now.items.find((i) => i.memberId === seat)!.appliedAt, undefined, 'nothing was applied');
  const refused = (await collect(h.store.list('audit', HUB))).filter((e) => e.action === 'apply-report');
  assert.equal(refused.length, 1, JSON.stringify(refused));
  assert.equal(refused[0]!.outcome, 'failed');
  assert.match(refused[0]!.why, new RegExp(`max@example\\.com asked to apply report ${report.id} to oscar@example\\.com: refused, a manager cannot remove the seat of an owner`));
  assert.equal(refused[0]!.subject?.directoryUserId, 'u-oscar', "audited as the current holder's");
  assert.equal(refused[0]!.subject?.memberId, seat);
  assert.match(refused[0]!.why, /Nina left/, 'with the reason given');
  assert.equal(refused[0]!.trigger?.actor, 'max@example.com');
});
