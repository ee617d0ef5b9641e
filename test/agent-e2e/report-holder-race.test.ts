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
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { signedIn } from '../../scim-server/web/web-fixtures.ts';
import { HUB, settle, until } from './harness.ts';
import { admin, ninaSeatUnderOscarsAddress, reportHolderWorld } from './report-holder-fixtures.ts';

const world = reportHolderWorld('report-holder-race');

test("an owner's re-match committed between the manager's rank check and the apply is caught in the apply's transaction (403, audited once, the owner's seat stays)", async () => {
  const h = world.h;
  // Nina's seat under oscar@example.com, Max a manager (report-holder-fixtures.ts).
  const seat = await ninaSeatUnderOscarsAddress(h);
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
  world.atApply = async () => {
    await h.agent.api.matchMember(HUB, seat, { directoryUserId: 'u-oscar' }, admin);
    rematched = true;
  };
  const max = await signedIn(world.sessions, 'max@example.com');
  const res = await world.call(max, 'POST', `/ui/api/v1/reports/${report.id}/apply`, { memberIds: [seat], reason: 'Nina left' });
  const body = await res.text();
  assert.ok(rematched, 'the re-match landed between the check and the apply');
  await settle(h, 3_000); // the removal's task, had the apply been let through
  assert.ok(world.inMeta(seat), `the owner's seat is not removed (the apply answered ${res.status} ${body})`);
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
