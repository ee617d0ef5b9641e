/**
 * A deprovisioning report's item names the person it was recorded for, and is not refreshed after.
 * The seat may be matched to someone else since: here an administrator matched Nina's seat to
 * Oscar, a hub owner the IdP deactivated. The removal's rank rule (scoped-agent.ts) is about
 * whose seat it is now too: a manager applying the item was let through because the item names
 * Nina, and the agent's re-plan (whose slice reads Oscar by the seat's address) governed the seat
 * by its current match and removed the owner's seat.
 * End to end: the dashboard's routes over the real agent, connector and Meta emulator.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { SessionStore } from '../../scim-server/web/session-store.ts';
import { dashboardCaller, dashboardConfig, serveDashboard, signedIn } from '../../scim-server/web/web-fixtures.ts';
import type { TestServer } from '../admin/test-server.ts';
import { checkForUpdates, HUB, settle, until, type Harness } from './harness.ts';
import { startWorld } from './audit-completeness-fixtures.ts';

const config = dashboardConfig('report-holder-rank', `
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

before(async () => {
  h = await startWorld({}, config.file);
  server = await serveDashboard({ config, agent: h.agent.api, store: h.store, sessions });
});
after(async () => {
  await server?.close();
  await h?.close();
});

test("a manager applying an item whose seat is now an owner's is refused (403, audited), and the owner's seat stays", async () => {
  // Nina's invite was accepted under oscar@example.com (Meta lets the invited person accept with
  // another account): the seat carries that address and is matched to Nina, whose invite it was.
  await h.directory.createUser('u-nina', 'nina@example.com');
  await h.directory.patchGroup('Meta Advertisers', ['u-nina']);
  const invite = await until('the invite of nina@example.com', () => h.emulator.control.state().invites.find((i) => i.email === 'nina@example.com' && i.status === 'PENDING'));
  const { memberId: seat } = h.emulator.control.acceptInvite(invite.id, { email: 'oscar@example.com' });
  await checkForUpdates(h);
  assert.equal((await h.agent.api.member(HUB, seat))?.directoryUserId, 'u-nina');
  // Max manages the hub.
  await h.directory.createUser('u-max', 'max@example.com');
  await h.directory.patchGroup('Meta Managers', ['u-max']);
  // Nina is deactivated: her seat's removal waits in the report, recorded for her.
  await h.directory.setActive('u-nina', false);
  const report = await until('the report item', async () => (await h.agent.api.reports(HUB)).find((r) => r.items.some((i) => i.memberId === seat)), 6_000);
  await settle(h);
  assert.equal(report.items.find((i) => i.memberId === seat)!.directoryUserId, 'u-nina');

  // Oscar, one of the hub's owners, deactivated in the IdP; the seat under his address is his, an
  // administrator finds, and matches it to him while the item is open.
  await h.directory.createUser('u-oscar', 'oscar@example.com');
  await h.directory.setActive('u-oscar', false);
  await h.directory.patchGroup('Meta Admins', ['u-oscar']);
  await settle(h);
  await h.agent.api.matchMember(HUB, seat, { directoryUserId: 'u-oscar' }, admin);
  await settle(h);
  assert.equal((await h.agent.api.member(HUB, seat))?.directoryUserId, 'u-oscar');
  const open = (await h.agent.api.reports(HUB)).find((r) => r.id === report.id)!;
  assert.equal(open.items.find((i) => i.memberId === seat)!.appliedAt, undefined, 'the item is still open');

  const max = await signedIn(sessions, 'max@example.com');
  const res = await call(max, 'POST', `/ui/api/v1/reports/${report.id}/apply`, { memberIds: [seat], reason: 'Nina left' });
  const body = await res.text();
  await settle(h, 3_000); // the removal's task, had the apply been let through
  assert.ok(inMeta(seat), `the owner's seat is not removed (the apply answered ${res.status} ${body})`);
  assert.equal(res.status, 403, body);
  assert.match(JSON.parse(body).detail, new RegExp(`a manager cannot remove the seat of an owner.*item ${seat} of report ${report.id}`));
  const after = (await h.agent.api.reports(HUB)).find((r) => r.id === report.id)!;
  assert.equal(after.items.find((i) => i.memberId === seat)!.appliedAt, undefined, 'nothing was applied');
  const refused = (await collect(h.store.list('audit', HUB))).filter((e) => e.action === 'apply-report' && e.outcome === 'failed');
  assert.equal(refused.length, 1);
  assert.match(refused[0]!.why, new RegExp(`max@example\\.com asked to apply report ${report.id} to oscar@example\\.com: refused, a manager cannot remove the seat of an owner`));
  assert.equal(refused[0]!.subject?.directoryUserId, 'u-oscar', "audited as the current holder's");
  assert.equal(refused[0]!.subject?.memberId, seat);
  assert.match(refused[0]!.why, /Nina left/, 'with the reason given');
});
