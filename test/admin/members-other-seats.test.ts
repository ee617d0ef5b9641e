/**
 * One person holding two seats on a hub (agent/members/other-seats.ts): an owner matches Ann's
 * personal-address seat to her directory user by hand. Both rows then carry `otherSeats` over the
 * admin API (parsing with the documented schema), its CSV and the CLI, and `flag=other-seats`
 * lists them; exempting one seat (an owner's decision) ends it. Built by the real member service
 * from the store: a decision about one row re-marks the person's other row without a rebuild.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberQuery } from '../../agent/api.ts';
import { createMemberService, type MemberService } from '../../agent/members/member-service.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { MemberList } from '../../scim-server/admin/response-schemas.ts';
import { FakeAgent } from './fake-agent.ts';
import { cli } from './cli-run.ts';
import { serveRouters, testConfig, TEST_ENV, type TestServer } from './test-server.ts';
import '../../agent/app-state/records.ts';
import '../../agent/dispatch/departed-user.ts';

const HUB = 'acme-ads';
const at = '2026-11-01T00:00:00.000Z';
const admin = { type: 'admin' as const, actor: 'test' };
const user = (id: string, email: string): DirectoryUserRecord =>
  ({ hubId: HUB, id, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1 });

describe('admin API and CLI: one person holding two seats', () => {
  let server: TestServer;
  let service: MemberService;

  before(async () => {
    const config = testConfig();
    const store = new MemoryStore();
    await store.transact((tx) => {
      for (const [id, email] of [['m1', 'ann@work.com'], ['m2', 'ann.private@mail.com'], ['m3', 'bob@work.com']]) {
        tx.put('appMembers', HUB, id, { hubId: HUB, id, email, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
      }
      tx.put('directoryUsers', HUB, 'u-ann', user('u-ann', 'ann@work.com'));
      tx.put('directoryUsers', HUB, 'u-bob', user('u-bob', 'bob@work.com'));
    });
    service = createMemberService({ config, store, log: { info() {}, warn() {}, error() {} }, clock: () => new Date(at) });
    const agent = new FakeAgent();
    agent.members = (hubId: string, query: MemberQuery) => service.members(hubId, query);
    agent.member = (hubId: string, memberId: string) => service.member(hubId, memberId);
    server = await serveRouters([['/api/v1', createAdminRouter({ config, agent })]]);
  });
  after(async () => {
    await server.close();
    service.close();
  });

  const get = async (path: string, accept = 'application/json') => {
    const res = await fetch(`${server.url}/api/v1${path}`, { headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}`, accept } });
    return { status: res.status, text: await res.text() };
  };
  const page = async (query: string) => MemberList.parse(JSON.parse((await get(`/hubs/${HUB}/members?sort=email${query}`)).text));
  const auth = () => ['--url', server.url, '--token', TEST_ENV.ADMIN_TOKEN];

  test('one seat each: no row carries otherSeats, and the flag lists none', async () => {
    assert.deepEqual((await page('')).items.map((m) => [m.id, m.status, m.otherSeats]), [
      ['m2', 'unmatched', undefined], ['m1', 'onboarded', undefined], ['m3', 'onboarded', undefined],
    ]);
    assert.equal((await page('&flag=other-seats')).total, 0);
  });

  test('matched by hand to the same person: both seats say so (API, flag, CSV, CLI)', async () => {
    await service.matchMember(HUB, 'm2', { directoryUserId: 'u-ann' }, admin);
    const all = await page('');
    assert.deepEqual(all.items.map((m) => [m.id, m.status, m.directoryUserId, m.otherSeats]), [
      ['m2', 'onboarded', 'u-ann', ['m1']], ['m1', 'onboarded', 'u-ann', ['m2']], ['m3', 'onboarded', 'u-bob', undefined],
    ]);
    const flagged = await page('&flag=other-seats');
    assert.deepEqual([flagged.total, flagged.items.map((m) => m.id)], [2, ['m2', 'm1']]);

    const csv = await get(`/hubs/${HUB}/members?flag=other-seats`, 'text/csv');
    assert.equal(csv.status, 200);
    const lines = csv.text.trimEnd().split(/\r?\n/);
    assert.match(lines[0], /,other seats,member id$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(',').slice(-2)), [['m1', 'm2'], ['m2', 'm1']]);

    const table = await cli(['members', HUB, '--other-seats', ...auth()]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /OTHER SEATS/);
    assert.match(table.stdout, /^m1\s+onboarded\s+ann@work\.com\s.*\sm2$/m);
    assert.doesNotMatch(table.stdout, /bob@work\.com/);
    assert.match(table.stdout, /2 of 2 member\(s\)/);
  });

  test('an owner exempts the second seat: the first no longer carries the flag', async () => {
    await service.exemptMember(HUB, 'm2', { reason: 'shared front-desk account' }, admin);
    const all = await page('');
    assert.deepEqual(all.items.map((m) => [m.id, m.status, m.otherSeats]), [
      ['m2', 'exempted', undefined], ['m1', 'onboarded', undefined], ['m3', 'onboarded', undefined],
    ]);
    assert.equal((await page('&flag=other-seats')).total, 0);
  });

  test('an unknown flag is a 400 naming the field', async () => {
    const bad = await get(`/hubs/${HUB}/members?flag=twins`);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /flag/);
  });
});
