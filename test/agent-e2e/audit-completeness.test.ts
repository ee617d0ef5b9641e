import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OKTA } from './directory.ts';
import { onboard, until, HUB, type Harness } from './harness.ts';
import { checkCase, finished, isMember, leaver, oktaHook, owner, signedIn, startWorld, type Case } from './audit-completeness-fixtures.ts';

/**
 * Every change to people's access and to hubwarden's own governance state is audited with who
 * (the trigger's type and actor), what (the action, the hub and the person or row), why and the
 * outcome; a change refused by a brake or that failed is audited as such, never as done and never
 * left out. One row per path that changes something: each drives the path through the agent the
 * server runs (member service wired, as scim-server/compose.ts does) and checks the entries it
 * wrote. Paths over HTTP (SCIM, hooks, the dashboard adapter) reach these same agent calls with
 * their own trigger; their own tests check the trigger (test/admin/hook-audit.test.ts,
 * scim-server/web/acting-agent.ts). Here: SCIM, owners' decisions, identity provider events and
 * leavers; audit-completeness-checks (checks for updates, write-back, hubs out of the config),
 * -brakes (safety brakes) and -offers (offers and claim access) cover the rest.
 */

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


const people: Case[] = [
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
];

describe('audit completeness: every path that changes access (SCIM, owners, identity provider events)', () => {
  let h: Harness;
  before(async () => { h = await startWorld(); });
  after(() => h.close());
  for (const c of people) test(c.name, () => checkCase(h, c));
});
