/**
 * A deprovisioning report's item names the person it was recorded for, and is not refreshed after.
 * The seat may be matched to someone else since: here an administrator matched Nina's seat to
 * Oscar, a hub owner the IdP deactivated. The removal's rank rule (scoped-agent.ts) is about
 * whose seat it is now too: a manager applying the item was let through because the item names
 * Nina, and the agent's re-plan (whose slice reads Oscar by the seat's address) governed the seat
 * by its current match and removed the owner's seat.
 * End to end: the dashboard's routes over the real agent, connector and Meta emulator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { signedIn } from '../../scim-server/web/web-fixtures.ts';
import { HUB, settle, until } from './harness.ts';
import { admin, ninaSeatUnderOscarsAddress, reportHolderWorld } from './report-holder-fixtures.ts';

const world = reportHolderWorld('report-holder-rank');

test("a manager applying an item whose seat is now an owner's is refused (403, audited), and the owner's seat stays", async () => {
  const h = world.h;
  // Nina's seat under oscar@example.com, Max a manager (report-holder-fixtures.ts).
  const seat = await ninaSeatUnderOscarsAddress(h);
  assert.equal((await h.agent.api.member(HUB, seat))?.directoryUserId, 'u-nina');
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

  const max = await signedIn(world.sessions, 'max@example.com');
  const res = await world.call(max, 'POST', `/ui/api/v1/reports/${report.id}/apply`, { memberIds: [seat], reason: 'Nina left' });
  const body = await res.text();
  await settle(h, 3_000); // the removal's task, had the apply been let through
  assert.ok(world.inMeta(seat), `the owner's seat is not removed (the apply answered ${res.status} ${body})`);
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
