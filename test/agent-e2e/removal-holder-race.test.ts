/**
 * A manager removes a seat while an administrator re-matches it to a hub owner: the re-match
 * commits after the dashboard's rank check (scim-server/web/removal-rank.ts) read whom the seat
 * is matched to (Nina, no hub role), and before the agent's transaction queues the removal, which
 * reads the match anew and queues an owner's removal (forced: no re-plan) of Oscar's seat. The
 * check made inside that transaction (`removeMember`'s `within`) sees Oscar and refuses: the
 * owner's seat stays, nothing is queued, and the refusal is audited once, as the manager's.
 * End to end: the dashboard's routes over the real agent, connector and Meta emulator; the agent
 * the dashboard sees commits the re-match as the removal begins (the race, made certain).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { signedIn } from '../../scim-server/web/web-fixtures.ts';
import { HUB, settle } from './harness.ts';
import { admin, ninaSeatUnderOscarsAddress, reportHolderWorld } from './report-holder-fixtures.ts';

const world = reportHolderWorld('removal-holder-race');

test("an owner's re-match committed between the manager's rank check and the removal is caught in the removal's transaction (403, audited once, the owner's seat stays)", async () => {
  const h = world.h;
  const seat = await ninaSeatUnderOscarsAddress(h);
  // Oscar, a hub owner the IdP deactivated, under another address; nobody has matched the seat to him yet.
  await h.directory.createUser('u-oscar', 'oscar.ng@example.com');
  await h.directory.setActive('u-oscar', false);
  await h.directory.patchGroup('Meta Admins', ['u-oscar']);
  await settle(h);
  assert.equal((await h.agent.api.member(HUB, seat))?.directoryUserId, 'u-nina', 'the seat is Nina\'s when the manager asks');

  let rematched = false;
  world.atApply = async () => {
    await h.agent.api.matchMember(HUB, seat, { directoryUserId: 'u-oscar' }, admin);
    rematched = true;
  };
  const max = await signedIn(world.sessions, 'max@example.com');
  const res = await world.call(max, 'POST', `/ui/api/v1/hubs/${HUB}/members/${encodeURIComponent(seat)}/remove`, { reason: 'Nina moved teams' });
  const body = await res.text();
  assert.ok(rematched, 'the re-match landed between the check and the removal');
  await settle(h, 3_000); // the removal's task, had it been queued
  assert.ok(world.inMeta(seat), `the owner's seat is not removed (the removal answered ${res.status} ${body})`);
  assert.equal(res.status, 403, body);
  assert.match(JSON.parse(body).detail, /a manager cannot remove the seat of an owner/);
  const entries = (await collect(h.store.list('audit', HUB))).filter((e) => e.action === 'remove-member' && e.trigger?.actor === 'max@example.com');
  assert.equal(entries.length, 1, JSON.stringify(entries));
  assert.equal(entries[0]!.outcome, 'failed');
  assert.equal(entries[0]!.subject?.directoryUserId, 'u-oscar', "audited as the current holder's");
  assert.equal(entries[0]!.subject?.memberId, seat);
  assert.match(entries[0]!.why, /max@example\.com asked to remove oscar@example\.com: refused, a manager cannot remove the seat of an owner/);
  assert.match(entries[0]!.why, /Nina moved teams/, 'with the reason given');
});
