/**
 * A manager approves a halted plan (the removal brake) while an administrator re-matches one of
 * its rows to a hub owner: the re-match commits after the dashboard's rank check
 * (scim-server/web/approval-rank.ts) read whom the seat is matched to, and before the agent's
 * decision. The approval keeps the operation it halted with (recorded for Nina, no hub role), so
 * neither the first check nor the pin on its operations (`approvalAsChecked`) saw Oscar; the check
 * made inside the decision's transaction does and refuses: the owner's seat stays, the approval
 * stays pending, and the refusal is audited once, as the manager's.
 * End to end: the dashboard's routes over the real agent, connector and Meta emulator; the agent
 * the dashboard sees commits the re-match as the decision begins (the race, made certain).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { signedIn } from '../../scim-server/web/web-fixtures.ts';
import { HUB, settle, until } from './harness.ts';
import { admin, ninaSeatUnderOscarsAddress, reportHolderWorld } from './report-holder-fixtures.ts';

// No report: a deactivation's removal runs at once unless the brake (1% of the members) holds it.
const world = reportHolderWorld('approval-holder-race', '{ settleSeconds: 1, removalThresholdPercent: 1, confirmDeprovisioning: false }');

test("an owner's re-match committed between the manager's rank check and the approval is caught in the decision's transaction (403, audited once, the owner's seat stays)", async () => {
  const h = world.h;
  const seat = await ninaSeatUnderOscarsAddress(h);
  // Nina is deactivated: her seat's removal is held by the brake, recorded for her.
  await h.directory.setActive('u-nina', false);
  const approval = await until('the approval holding her removal', async () => (await h.agent.api.approvals(HUB)).find((a) => a.status === 'pending' && a.operations.some((o) => o.summary.includes('oscar@example.com'))), 6_000);
  await settle(h);
  // Oscar, a hub owner the IdP deactivated, under another address; nobody has matched the seat to him yet.
  await h.directory.createUser('u-oscar', 'oscar.ng@example.com');
  await h.directory.setActive('u-oscar', false);
  await h.directory.patchGroup('Meta Admins', ['u-oscar']);
  await settle(h);
  assert.equal((await h.agent.api.member(HUB, seat))?.directoryUserId, 'u-nina', 'the seat is Nina\'s when the manager asks');
  assert.equal((await h.agent.api.approvals(HUB)).find((a) => a.id === approval.id)?.status, 'pending');

  let rematched = false;
  world.atApply = async () => {
    await h.agent.api.matchMember(HUB, seat, { directoryUserId: 'u-oscar' }, admin);
    rematched = true;
  };
  const max = await signedIn(world.sessions, 'max@example.com');
  const res = await world.call(max, 'POST', `/ui/api/v1/approvals/${approval.id}/approve`, { reason: 'Nina left' });
  const body = await res.text();
  assert.ok(rematched, 'the re-match landed between the check and the decision');
  await settle(h, 3_000); // the removal's task, had the approval been let through
  assert.ok(world.inMeta(seat), `the owner's seat is not removed (the approval answered ${res.status} ${body})`);
  assert.equal(res.status, 403, body);
  assert.match(JSON.parse(body).detail, new RegExp(`a manager cannot remove or lower the seat of an owner.*approval ${approval.id} would`));
  assert.notEqual((await h.agent.api.approvals(HUB)).find((a) => a.id === approval.id)?.status, 'approved', 'not approved');
  const refused = (await collect(h.store.list('audit', HUB))).filter((e) => e.action === 'approval-approved');
  assert.equal(refused.length, 1, JSON.stringify(refused));
  assert.equal(refused[0]!.outcome, 'failed');
  assert.equal(refused[0]!.subject?.directoryUserId, 'u-oscar', "audited as the current holder's");
  assert.equal(refused[0]!.subject?.memberId, seat);
  assert.match(refused[0]!.why, /Nina left/, 'with the reason given');
  assert.equal(refused[0]!.trigger?.actor, 'max@example.com');
});
