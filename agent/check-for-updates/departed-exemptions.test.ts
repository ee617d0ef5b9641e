import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { configSchema, type HubConfigFile } from '../../config/schema.ts';
import { runCheckForUpdates, type CheckInput } from './run-check.ts';
import { emptyApp, fakeConnector, type FakeApp, type FakeConnector } from './fake-app.test-double.ts';
import { buildHubMembers } from '../members/member-view.ts';
import { planHub } from '../plan/plan-hub.ts';
import { defineStandingIndexes, standingOfUser } from '../standing/standing.ts';
import { defineDirectoryIndexes, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import type { ExemptionRecord } from '../app-state/records.ts';
import '../app-state/records.ts';

// An exemption is trust in one seat or invite: when two complete checks in a row no longer list
// it, the exemption ends (audited), and a later seat for the same email is not covered by it. One
// listing that wrongly lacks the row ends nothing.
const hub: HubConfigFile = configSchema.parse({ hubs: [{ id: 'acme', connector: 'meta-business', meta: { businessId: '1000' } }] }).hubs[0];
const silent = { info() {}, warn() {} };
let clock = Date.parse('2026-11-23T10:00:00.000Z');
const now = () => new Date((clock += 1000));
const input = (store: MemoryStore, connector: FakeConnector, taskId: string, on: HubConfigFile = hub): CheckInput =>
  ({ store, hub: on, connector, trigger: { type: 'schedule', detail: 'test' }, taskId, now, log: silent });

function business(): FakeApp {
  const app = emptyApp();
  app.members = [
    { id: '11', email: 'jane@acme.com', role: 'ADMIN' },
    { id: '12', email: 'john@acme.com', role: 'EMPLOYEE' },
    { id: '14', email: 'max@agency.com', role: 'EMPLOYEE' },
  ];
  app.invites = [{ id: '901', email: 'lea@agency.com', role: 'EMPLOYEE', status: 'pending' }];
  app.systemUsers = [{ id: '51', name: 'hubwarden', role: 'ADMIN' }];
  app.assets = [{ type: 'ad_account', id: 'act_1', ownership: 'owned' }];
  app.assignments = [{ asset: { type: 'ad_account', id: 'act_1' }, userId: '12', userType: 'member', tasks: ['ADVERTISE'] }];
  return app;
}

const user = (id: string, email: string): DirectoryUserRecord =>
  ({ hubId: 'acme', id, userName: email, active: true, email, emails: [email], scim: {}, created: 'x', lastModified: 'x', version: 1 });

const exemption = (memberId: string, email: string): ExemptionRecord =>
  ({ hubId: 'acme', memberId, email, reason: 'agency contract', by: 'owner@acme.com', at: '2026-11-23T09:00:00.000Z' });

/** A hub imported once, with member 14 (max) and invite 901 (lea) exempted without an end date. */
async function exemptedHub(): Promise<{ store: MemoryStore; app: FakeApp; connector: FakeConnector }> {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  defineStandingIndexes(store);
  await store.transact((tx) => {
    for (const u of [user('u-jane', 'jane@acme.com'), user('u-john', 'john@acme.com'), user('u-max', 'max@agency.com'), user('u-lea', 'lea@agency.com')]) tx.put('directoryUsers', 'acme', u.id, u);
  });
  const app = business();
  const connector = fakeConnector(app);
  await runCheckForUpdates(input(store, connector, 't1'));
  await store.transact((tx) => {
    tx.put('exemptions', 'acme', '14', exemption('14', 'max@agency.com'));
    tx.put('exemptions', 'acme', 'invite:901', exemption('invite:901', 'lea@agency.com'));
  });
  return { store, app, connector };
}

const endedEntries = async (store: MemoryStore) => (await collect(store.list('audit', 'acme'))).filter((e) => e.action === 'exemption-ended');

describe('check for updates: an exemption ends with its seat', () => {
  test('a complete listing without the exempted member ends its exemption, audited by the system', async () => {
    const { store, app, connector } = await exemptedHub();
    app.members = app.members.filter((m) => m.id !== '14');
    const first = await runCheckForUpdates(input(store, connector, 't2'));
    assert.ok(await store.get('exemptions', 'acme', '14'), 'one listing without it ends nothing yet');
    assert.equal(first.endedExemptions, undefined);
    const run = await runCheckForUpdates(input(store, connector, 't3'));

    assert.equal(await store.get('exemptions', 'acme', '14'), undefined, 'the exemption is no longer in force');
    assert.ok(await store.get('exemptions', 'acme', 'invite:901'), 'the pending invite still listed keeps its exemption');
    assert.deepEqual(run.endedExemptions, ['14']);
    const [entry, ...more] = await endedEntries(store);
    assert.equal(more.length, 0);
    assert.equal(entry?.outcome, 'ok');
    assert.equal(entry?.trigger.actor, 'system');
    assert.equal(entry?.taskId, 't3');
    assert.deepEqual(entry?.subject, { memberId: '14', email: 'max@agency.com' });
    assert.match(entry?.why ?? '', /^member no longer in the hub: the exemption of max@agency\.com \("agency contract", by owner@acme\.com\) ended/);
    assert.deepEqual(entry?.detail, { because: 'member-gone', reason: 'agency contract', by: 'owner@acme.com', at: '2026-11-23T09:00:00.000Z' });
  });

  test('a later seat for the same email is not covered: neither under the same id nor a new one', async () => {
    const { store, app, connector } = await exemptedHub();
    const max = app.members.find((m) => m.id === '14')!;
    app.members = app.members.filter((m) => m.id !== '14');
    await runCheckForUpdates(input(store, connector, 't2'));
    await runCheckForUpdates(input(store, connector, 't3'));
    // Invited again and back under the same id (an app whose member id is the person's own user
    // id), and under a new one.
    app.members = [...app.members, max, { id: '15', email: 'MAX@agency.com', role: 'EMPLOYEE' }];
    await runCheckForUpdates(input(store, connector, 't4'));

    assert.equal(await store.get('exemptions', 'acme', '14'), undefined);
    for (const id of ['14', '15']) assert.notEqual((await store.get('memberMatches', 'acme', id))?.outcome, 'exempted', `row ${id}`);
    const { views } = await buildHubMembers(store, hub, new Date(clock));
    for (const id of ['14', '15']) {
      const v = views.find((x) => x.id === id);
      assert.ok(v, `row ${id} listed`);
      assert.notEqual(v.status, 'exempted', `row ${id}`);
      assert.equal(v.exemption, undefined);
    }
    assert.notEqual((await standingOfUser(store, 'acme', 'u-max', new Date(clock))).standing, 'exempted');
  });

  test('a filtered member listing ends nothing: no removal, and no end of trust, without a complete picture', async () => {
    const { store, app, connector } = await exemptedHub();
    // The credential lists jane only: john holds an assignment the listing lacks (filtered), max
    // and lea's invite are gone from it too.
    app.members = app.members.filter((m) => m.id === '11');
    app.invites = [];
    const run = await runCheckForUpdates(input(store, connector, 't2'));
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.complete, false);
    assert.equal(run.endedExemptions, undefined);
    assert.ok(await store.get('exemptions', 'acme', '14'));
    assert.ok(await store.get('exemptions', 'acme', 'invite:901'));
    assert.deepEqual(await endedEntries(store), []);
  });

  test('a failed reading ends nothing', async () => {
    const { store, app, connector } = await exemptedHub();
    app.members = app.members.filter((m) => m.id !== '14');
    connector.failOn = { listing: 'listInvites', kind: 'unavailable' };
    await assert.rejects(runCheckForUpdates(input(store, connector, 't2')));
    assert.ok(await store.get('exemptions', 'acme', '14'));
    assert.deepEqual(await endedEntries(store), []);
  });

  test('an exempted invite ends with the invite: cancelled (no longer listed, kept as canceled) or expired', async () => {
    for (const change of ['cancelled', 'expired'] as const) {
      const { store, app, connector } = await exemptedHub();
      app.invites = change === 'cancelled' ? [] : [{ ...app.invites[0]!, status: 'expired' }];
      await runCheckForUpdates(input(store, connector, 't2'));
      assert.ok(await store.get('exemptions', 'acme', 'invite:901'), `${change}: one check ends nothing yet`);
      await runCheckForUpdates(input(store, connector, 't3'));
      assert.equal(await store.get('exemptions', 'acme', 'invite:901'), undefined, change);
      assert.ok(await store.get('exemptions', 'acme', '14'), `${change}: the listed member keeps its exemption`);
      const entries = await endedEntries(store);
      assert.deepEqual(entries.map((e) => [e.subject?.memberId, e.detail?.because]), [['invite:901', change === 'cancelled' ? 'invite-canceled' : 'invite-expired']], change);
    }
  });

  test('an exempted invite accepted carries its exemption to the seat it became; nothing ends', async () => {
    const { store, app, connector } = await exemptedHub();
    app.invites = [];
    app.members = [...app.members, { id: '16', email: 'lea@agency.com', role: 'EMPLOYEE', inviteId: '901' }];
    await runCheckForUpdates(input(store, connector, 't2'));
    assert.equal((await store.get('exemptions', 'acme', '16'))?.reason, 'agency contract');
    assert.deepEqual(await endedEntries(store), []);
  });

  test('one complete listing that wrongly lacks the exempted rows ends nothing: listed again, they stay exempted and nothing plans their removal', async () => {
    // Under `safety.drift: correct`, a seat ended and then listed again is a seat added by hand,
    // which the plan removes: an owner's decision would have gone on one odd listing.
    const correcting: HubConfigFile = { ...hub, safety: { ...hub.safety, drift: 'correct' } };
    const { store, app, connector } = await exemptedHub();
    const listed = { members: app.members, invites: app.invites };
    app.members = app.members.filter((m) => m.id !== '14');
    app.invites = [];
    const odd = await runCheckForUpdates(input(store, connector, 't2', correcting));
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.complete, true, 'the listing looked complete');
    assert.equal(odd.endedExemptions, undefined);
    Object.assign(app, listed);
    await runCheckForUpdates(input(store, connector, 't3', correcting));

    assert.deepEqual(await endedEntries(store), []);
    for (const row of ['14', 'invite:901']) {
      assert.equal((await store.get('exemptions', 'acme', row))?.reason, 'agency contract', row);
      assert.equal((await store.get('memberMatches', 'acme', row))?.outcome, 'exempted', row);
    }
    // Write-back and the SCIM extension say exempted again, with the owner's reason.
    const standing = await standingOfUser(store, 'acme', 'u-max', new Date(clock));
    assert.equal(standing.standing, 'exempted');
    const plan = await planHub(store, correcting, { now: new Date(clock) });
    const touched = plan.operations.filter((op) => op.email === 'max@agency.com' || op.email === 'lea@agency.com');
    assert.deepEqual(touched.map((op) => op.summary), []);
  });

  test('a filtered check between two complete ones without the row still ends it: its snapshot kept every member as last seen', async () => {
    const { store, app, connector } = await exemptedHub();
    const members = app.members.filter((m) => m.id !== '14');
    app.members = members;
    await runCheckForUpdates(input(store, connector, 't2'));
    app.members = members.filter((m) => m.id !== '12'); // john holds an assignment: filtered
    await runCheckForUpdates(input(store, connector, 't3'));
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.complete, false);
    assert.ok(await store.get('exemptions', 'acme', '14'), 'a filtered reading ends nothing');
    app.members = members;
    const run = await runCheckForUpdates(input(store, connector, 't4'));
    assert.deepEqual(run.endedExemptions, ['14']);
    assert.equal(await store.get('exemptions', 'acme', '14'), undefined);
  });
});
