/**
 * Matching across imports: who a row is stays with it when the app gives it a new id (an
 * accepted invite becomes a member), over the real check for updates and a MemoryStore.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { configSchema, type HubConfigFile } from '../../config/schema.ts';
import { runCheckForUpdates } from './run-check.ts';
import { emptyApp, fakeConnector } from './fake-app.test-double.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { collect } from '../store/store.ts';
import '../app-state/records.ts';

const hub: HubConfigFile = configSchema.parse({ hubs: [{ id: 'acme', connector: 'meta-business', meta: { businessId: '1000' } }] }).hubs[0];
const silent = { info() {}, warn() {} };
const trigger = { type: 'admin' as const, actor: 'test' };
let clock = Date.parse('2026-11-23T10:00:00.000Z');
const now = () => new Date((clock += 1000));

const user = (id: string, email: string): DirectoryUserRecord =>
  ({ hubId: 'acme', id, userName: `${id}@idp.example`, active: true, email, emails: [email], scim: {}, created: 'x', lastModified: 'x', version: 1 });

test('a disputed invite that is accepted stays disputed on its member row until an owner decides', async () => {
  const store = new MemoryStore();
  await store.transact((tx) => tx.put('directoryUsers', 'acme', 'u-jane', user('u-jane', 'jane@acme.com')));
  const app = emptyApp();
  app.invites = [{ id: '901', email: 'jane@acme.com', role: 'EMPLOYEE', status: 'pending' }];
  const connector = fakeConnector(app);
  const check = (taskId: string) => runCheckForUpdates({ store, hub, connector, trigger, taskId, now, log: silent });
  await check('t1');
  assert.equal((await store.get('memberMatches', 'acme', 'invite:901'))?.directoryUserId, 'u-jane');
  // The IdP moves Jane to a new email and gives her old one to Bob: the invite is disputed.
  await store.transact((tx) => {
    tx.put('directoryUsers', 'acme', 'u-jane', user('u-jane', 'jane.doe@acme.com'));
    tx.put('directoryUsers', 'acme', 'u-bob', user('u-bob', 'jane@acme.com'));
  });
  await check('t2');
  assert.deepEqual((await store.get('memberMatches', 'acme', 'invite:901'))?.candidates, ['u-bob', 'u-jane']);
  // Someone accepts the invite: the app lists a member (new id) under the invite's email.
  app.invites = [];
  app.members = [{ id: '21', email: 'jane@acme.com', role: 'EMPLOYEE', inviteId: '901' }];
  await check('t3');
  const seat = await store.get('memberMatches', 'acme', '21');
  assert.equal(seat?.outcome, 'unmatched', 'not handed to Bob by email alone');
  assert.equal(seat?.directoryUserId, undefined);
  assert.deepEqual(seat?.candidates, ['u-bob', 'u-jane']);
});

test("a seat's person changing at a check is audited (who, what it was, what it is); an unchanged or first match is not", async () => {
  const store = new MemoryStore();
  await store.transact((tx) => tx.put('directoryUsers', 'acme', 'u-jane', user('u-jane', 'jane@acme.com')));
  const app = emptyApp();
  app.members = [{ id: '11', email: 'jane@acme.com', role: 'EMPLOYEE' }];
  const connector = fakeConnector(app);
  const check = (taskId: string) => runCheckForUpdates({ store, hub, connector, trigger, taskId, now, log: silent });
  const changedIn = async (taskId: string) => (await collect(store.list('audit', 'acme'))).filter((e) => e.taskId === taskId && e.action === 'member-match-changed');
  await check('t1');
  await check('t2');
  assert.deepEqual([...await changedIn('t1'), ...await changedIn('t2')], [], 'a first match, or one unchanged, is no change');
  await store.transact((tx) => {
    tx.put('directoryUsers', 'acme', 'u-jane', user('u-jane', 'jane.doe@acme.com'));
    tx.put('directoryUsers', 'acme', 'u-bob', user('u-bob', 'jane@acme.com'));
  });
  await check('t3');
  const [entry, ...more] = await changedIn('t3');
  assert.equal(more.length, 0);
  assert.deepEqual(entry?.subject, { memberId: '11', email: 'jane@acme.com', directoryUserId: 'u-jane' });
  assert.match(entry!.why, /disputed between directory users u-bob, u-jane, was matched to directory user u-jane/);
  assert.deepEqual(entry?.detail, { from: { outcome: 'onboarded', directoryUserId: 'u-jane', manual: false }, to: { outcome: 'unmatched', candidates: ['u-bob', 'u-jane'], manual: false } });
  assert.equal(entry?.trigger.actor, 'test');
});

test('system users added, removed or given another role in the app are audited; one whose listing failed is no change', async () => {
  const store = new MemoryStore();
  const app = emptyApp();
  app.systemUsers = [{ id: '51', name: 'hubwarden', role: 'ADMIN' }, { id: '52', name: 'reporting', role: 'EMPLOYEE' }];
  const connector = fakeConnector(app);
  const check = (taskId: string) => runCheckForUpdates({ store, hub, connector, trigger, taskId, now, log: silent });
  const entries = async (taskId: string) => (await collect(store.list('audit', 'acme'))).filter((e) => e.taskId === taskId && e.action.startsWith('system-user-'));
  await check('s1');
  assert.deepEqual(await entries('s1'), [], 'a first import compares nothing');
  app.systemUsers = [{ id: '51', name: 'hubwarden', role: 'ADMIN' }, { id: '52', name: 'reporting', role: 'ADMIN' }, { id: '53', name: 'backdoor', role: 'ADMIN' }];
  const run = await check('s2');
  assert.equal(run.changeCounts?.systemUserChanges, 2);
  assert.deepEqual((await entries('s2')).map((e) => [e.action, e.why]), [
    ['system-user-role-changed', 'system user reporting (52) role changed in the app from EMPLOYEE to ADMIN, not by hubwarden (it never changes system users): reported only'],
    ['system-user-added', 'system user backdoor (53) added in the app as ADMIN, not by hubwarden (it never changes system users): reported only'],
  ]);
  // The listing fails: its records are kept, and nothing is reported as removed.
  connector.failOn = { listing: 'listSystemUsers', kind: 'unavailable' };
  await check('s3');
  assert.deepEqual(await entries('s3'), []);
  connector.failOn = undefined;
  app.systemUsers = [{ id: '51', name: 'hubwarden', role: 'ADMIN' }];
  await check('s4');
  assert.deepEqual((await entries('s4')).map((e) => e.action), ['system-user-removed', 'system-user-removed']);
});

test('a person the app lists on two pages (its paging shifted under a change) is one row: counted, matched and reported once', async () => {
  const store = new MemoryStore();
  await store.transact((tx) => tx.put('directoryUsers', 'acme', 'u-jane', user('u-jane', 'jane@acme.com')));
  const app = emptyApp();
  const connector = fakeConnector(app);
  const check = (taskId: string) => runCheckForUpdates({ store, hub, connector, trigger, taskId, now, log: silent });
  await check('d1');
  // Pages of two: Jane is the last of page one and, the listing having shifted, the first of page two.
  app.members = [{ id: '10', email: 'al@acme.com', role: 'EMPLOYEE' }, { id: '11', email: 'jane@acme.com', role: 'EMPLOYEE' }, { id: '11', email: 'jane@acme.com', role: 'EMPLOYEE' }];
  app.invites = [{ id: '901', email: 'kim@acme.com', role: 'EMPLOYEE', status: 'pending' }, { id: '901', email: 'kim@acme.com', role: 'EMPLOYEE', status: 'pending' }];
  const run = await check('d2');
  assert.equal(run.counts?.members, 2);
  assert.equal(run.counts?.invites, 1);
  assert.deepEqual(run.changes?.newMembers.map((m) => m.memberId), ['10', '11']);
  assert.equal(run.matchCounts?.onboarded, 1);
  const added = (await collect(store.list('audit', 'acme'))).filter((e) => e.taskId === 'd2' && e.action === 'drift-member-added-by-hand');
  assert.equal(added.length, 2, 'one entry per person');
});

test('an exempted invite whose person changed email keeps that person when it is accepted', async () => {
  const store = new MemoryStore();
  await store.transact((tx) => tx.put('directoryUsers', 'acme', 'u-jane', user('u-jane', 'jane@acme.com')));
  const app = emptyApp();
  app.invites = [{ id: '901', email: 'jane@acme.com', role: 'EMPLOYEE', status: 'pending' }];
  const connector = fakeConnector(app);
  const check = (taskId: string) => runCheckForUpdates({ store, hub, connector, trigger, taskId, now, log: silent });
  await check('e1');
  await store.transact((tx) => {
    tx.put('exemptions', 'acme', 'invite:901', { hubId: 'acme', memberId: 'invite:901', reason: 'agency lead', by: 'owner', at: '2026-11-23T10:00:00.000Z' });
    tx.put('directoryUsers', 'acme', 'u-jane', user('u-jane', 'jane.doe@acme.com'));
  });
  await check('e2');
  assert.equal((await store.get('memberMatches', 'acme', 'invite:901'))?.directoryUserId, 'u-jane');
  app.invites = [];
  app.members = [{ id: '21', email: 'jane@acme.com', role: 'EMPLOYEE' }];
  await check('e3');
  const seat = await store.get('memberMatches', 'acme', '21');
  assert.equal(seat?.outcome, 'exempted');
  assert.equal(seat?.directoryUserId, 'u-jane', "still Jane's seat (write-back says exempted; no second invite for her)");
});

test('a person matched to two seats (one IdP user, two addresses): the run counts both seats, audits it, and removes neither', async () => {
  const store = new MemoryStore();
  await store.transact((tx) => {
    tx.put('directoryUsers', 'acme', 'u-ann', { ...user('u-ann', 'ann@acme.com'), emails: ['ann@acme.com', 'ann@home.example'] });
    tx.put('directoryUsers', 'acme', 'u-bob', user('u-bob', 'bob@acme.com'));
  });
  const app = emptyApp();
  app.members = [{ id: '10', email: 'ann@acme.com', role: 'EMPLOYEE' }, { id: '11', email: 'ann@home.example', role: 'ADMIN' }, { id: '12', email: 'bob@acme.com', role: 'EMPLOYEE' }];
  const check = (taskId: string) => runCheckForUpdates({ store, hub, connector: fakeConnector(app), trigger, taskId, now, log: silent });
  const run = await check('two1');
  assert.equal(run.matchCounts?.onboarded, 3);
  assert.equal(run.otherSeats, 2);
  const audited = (await collect(store.list('audit', 'acme'))).find((e) => e.taskId === 'two1' && e.action === 'check-for-updates');
  assert.equal((audited?.detail as { otherSeats?: number }).otherSeats, 2);
  assert.match(audited!.why, /2 seat\(s\) held by a person holding another/);
  assert.deepEqual((await collect(store.list('appMembers', 'acme'))).map((m) => m.id).sort(), ['10', '11', '12']);
  // Bob's single seat alone: none.
  app.members = app.members.filter((m) => m.id !== '11');
  assert.equal((await check('two2')).otherSeats, 0);
});
