/**
 * A manager ends an exemption, or replaces it by one that lapses tomorrow, while an administrator
 * re-matches the exempted seat to a hub owner: the re-match commits after the dashboard's rank
 * check (scim-server/web/exemption-rank.ts) read whom the exempted seat is matched to (Nina, no
 * hub role), and before the agent's transaction stages the manager's decision, which then ended
 * or shortened the owner's exemption (the plan then lowers or removes the owner's seat). The
 * check made inside that transaction (`within`: the exemption and its holder read through it) sees
 * Oscar and refuses: the exemption stays as it was, and the refusal is audited once, as the
 * manager's. End to end: the dashboard's routes over the real agent, connector and Meta emulator;
 * the agent the dashboard sees commits the re-match as the decision begins (the race, made certain).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { signedIn } from '../../scim-server/web/web-fixtures.ts';
import { HUB, settle } from './harness.ts';
import { admin, ninaSeatUnderOscarsAddress, reportHolderWorld } from './report-holder-fixtures.ts';

const world = reportHolderWorld('exemption-holder-race');

test("an owner's re-match committed between a manager's rank check and their ending or replacing of the seat's exemption is caught in the decision's transaction (403, audited once, the exemption stays)", async () => {
  const h = world.h;
  const seat = await ninaSeatUnderOscarsAddress(h);
  // Oscar, a hub owner the IdP deactivated, under another address.
  await h.directory.createUser('u-oscar', 'oscar.ng@example.com');
  await h.directory.setActive('u-oscar', false);
  await h.directory.patchGroup('Meta Admins', ['u-oscar']);
  await settle(h);
  const max = await signedIn(world.sessions, 'max@example.com');
  const path = `/ui/api/v1/hubs/${HUB}/members/${encodeURIComponent(seat)}`;
  const refusals = async (action: string) => (await collect(h.store.list('audit', HUB))).filter((e) => e.action === action && e.outcome === 'failed' && e.trigger?.actor === 'max@example.com');
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString();

  for (const [decision, action, body] of [['unexempt', 'member-unexempted', { reason: 'Nina no longer needs it' }], ['exempt', 'member-exempted', { reason: 'only until tomorrow', until: tomorrow }]] as const) {
    // Nina's seat, exempted by an administrator, when the manager asks.
    await h.agent.api.matchMember(HUB, seat, { directoryUserId: 'u-nina' }, admin);
    await h.agent.api.exemptMember(HUB, seat, { reason: 'kept during the audit' }, admin);
    await settle(h);
    const before = await h.agent.api.member(HUB, seat);
    assert.equal(before?.directoryUserId, 'u-nina', `${decision}: the seat is Nina's when the manager asks`);
    assert.equal(before?.exemption?.reason, 'kept during the audit', `${decision}: exempted when the manager asks`);
    let rematched = false;
    world.atApply = async () => {
      await h.agent.api.matchMember(HUB, seat, { directoryUserId: 'u-oscar' }, admin);
      rematched = true;
    };
    const res = await world.call(max, 'POST', `${path}/${decision}`, body);
    const text = await res.text();
    assert.ok(rematched, `${decision}: the re-match landed between the check and the decision`);
    await settle(h);
    const after = await h.agent.api.member(HUB, seat);
    assert.equal(after?.directoryUserId, 'u-oscar', `${decision}: the seat is Oscar's`);
    assert.deepEqual([after?.exemption?.reason, after?.exemption?.until], ['kept during the audit', undefined], `${decision}: Oscar's exemption stays as it was (answered ${res.status} ${text})`);
    assert.equal(res.status, 403, text);
    assert.match(JSON.parse(text).detail, /a manager cannot change the exemption of an owner/);
    const refused = await refusals(action);
    assert.equal(refused.length, 1, JSON.stringify(refused));
    assert.equal(refused[0]!.subject?.directoryUserId, 'u-oscar', `${decision}: audited as the current holder's`);
    assert.equal(refused[0]!.subject?.memberId, seat);
    // The exempt route's `reason` is the exemption's own (checked by the agent, not audited unchecked); the unexempt route's is the request's.
    assert.match(refused[0]!.why, decision === 'exempt' ? /asked to exempt oscar@example\.com until / : new RegExp(body.reason), 'what was asked');
  }

  // Without the race both stay the manager's: Nina's exemption is replaced, then ended.
  await h.agent.api.matchMember(HUB, seat, { directoryUserId: 'u-nina' }, admin);
  await settle(h);
  const replaced = await world.call(max, 'POST', `${path}/exempt`, { reason: 'only until tomorrow', until: tomorrow });
  assert.equal(replaced.status, 200, await replaced.text());
  assert.equal((await h.agent.api.member(HUB, seat))?.exemption?.reason, 'only until tomorrow');
  const ended = await world.call(max, 'POST', `${path}/unexempt`, { reason: 'Nina no longer needs it' });
  assert.equal(ended.status, 200, await ended.text());
  assert.equal((await h.agent.api.member(HUB, seat))?.exemption, undefined);
});
