/**
 * A manager matches a seat to someone else, or un-matches it, while an administrator re-matches it
 * to a hub owner: the re-match commits after the dashboard's rank check (scoped-agent.ts) read whom
 * the seat is matched to (Nina, no hub role), and before the agent's transaction stages the
 * manager's decision, which then took the seat from the owner (matched to a colleague, it gets the
 * colleague's role; un-matched, it names nobody and the removal's rank rule no longer sees it).
 * The check made inside that transaction (`holdersCheckedWithin`, removal-rank.ts) sees Oscar and
 * refuses: the seat stays his, and the refusal is audited once, as the manager's.
 * End to end: the dashboard's routes over the real agent, connector and Meta emulator; the agent
 * the dashboard sees commits the re-match as the decision begins (the race, made certain).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { signedIn } from '../../scim-server/web/web-fixtures.ts';
import { HUB, settle } from './harness.ts';
import { admin, ninaSeatUnderOscarsAddress, reportHolderWorld } from './report-holder-fixtures.ts';

const world = reportHolderWorld('match-holder-race');

test("an owner's re-match committed between a manager's rank check and their match or un-match is caught in the decision's transaction (403, audited once, the seat stays the owner's)", async () => {
  const h = world.h;
  const seat = await ninaSeatUnderOscarsAddress(h);
  // Oscar, a hub owner the IdP deactivated, under another address; Carl, a colleague with no hub role.
  await h.directory.createUser('u-oscar', 'oscar.ng@example.com');
  await h.directory.setActive('u-oscar', false);
  await h.directory.patchGroup('Meta Admins', ['u-oscar']);
  await h.directory.createUser('u-carl', 'carl@example.com');
  await settle(h);
  const max = await signedIn(world.sessions, 'max@example.com');
  const path = `/ui/api/v1/hubs/${HUB}/members/${encodeURIComponent(seat)}`;
  const refusals = async (action: string) => (await collect(h.store.list('audit', HUB))).filter((e) => e.action === action && e.outcome === 'failed' && e.trigger?.actor === 'max@example.com');

  for (const [decision, action, body] of [['match', 'member-matched', { directoryUserId: 'u-carl', reason: 'Carl took over' }], ['unmatch', 'member-unmatched', { reason: 'not Nina\'s' }]] as const) {
    // The seat is Nina's again when the manager asks (an administrator's own match).
    await h.agent.api.matchMember(HUB, seat, { directoryUserId: 'u-nina' }, admin);
    await settle(h);
    assert.equal((await h.agent.api.member(HUB, seat))?.directoryUserId, 'u-nina', `${decision}: the seat is Nina's when the manager asks`);
    let rematched = false;
    world.atApply = async () => {
      await h.agent.api.matchMember(HUB, seat, { directoryUserId: 'u-oscar' }, admin);
      rematched = true;
    };
    const res = await world.call(max, 'POST', `${path}/${decision}`, body);
    const text = await res.text();
    assert.ok(rematched, `${decision}: the re-match landed between the check and the decision`);
    await settle(h);
    assert.equal((await h.agent.api.member(HUB, seat))?.directoryUserId, 'u-oscar', `${decision}: the seat stays Oscar's (answered ${res.status} ${text})`);
    assert.equal(res.status, 403, text);
    assert.match(JSON.parse(text).detail, /a manager cannot (take|un-match) the seat of an owner/);
    const refused = await refusals(action);
    assert.equal(refused.length, 1, JSON.stringify(refused));
    assert.equal(refused[0]!.subject?.directoryUserId, 'u-oscar', `${decision}: audited as the current holder's`);
    assert.equal(refused[0]!.subject?.memberId, seat);
    assert.match(refused[0]!.why, new RegExp(body.reason), 'with the reason given');
  }

  // Without the race both stay the manager's: the check inside the transaction spares the match's own target.
  await h.agent.api.matchMember(HUB, seat, { directoryUserId: 'u-nina' }, admin);
  await settle(h);
  const matched = await world.call(max, 'POST', `${path}/match`, { directoryUserId: 'u-carl', reason: 'Carl took over' });
  assert.equal(matched.status, 200, await matched.text());
  assert.equal((await h.agent.api.member(HUB, seat))?.directoryUserId, 'u-carl');
  const unmatched = await world.call(max, 'POST', `${path}/unmatch`, { reason: 'not Carl\'s either' });
  assert.equal(unmatched.status, 200, await unmatched.text());
});
