/**
 * The members table over the admin API says where each row's directory user stands in the IdP
 * (`directoryStatus`), built by the real member service from the store: a deactivated, suspended
 * (Okta's suspend event hook) or deleted (SCIM DELETE) person's seat row no longer looks like
 * anyone's while its removal is pending. The answers parse with the documented (strict) schema,
 * and the members list filters by it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberQuery } from '../../agent/api.ts';
import { createMemberService, type MemberService } from '../../agent/members/member-service.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { MemberList, MemberSchema } from '../../scim-server/admin/response-schemas.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, testConfig, TEST_ENV, type TestServer } from './test-server.ts';
import '../../agent/app-state/records.ts';
import '../../agent/dispatch/departed-user.ts';

const HUB = 'acme-ads';
const at = '2026-11-01T00:00:00.000Z';
const user = (id: string, email: string, extra: Partial<DirectoryUserRecord> = {}): DirectoryUserRecord =>
  ({ hubId: HUB, id, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1, ...extra });

describe('admin API: the directory status of member rows', () => {
  let server: TestServer;
  let service: MemberService;

  before(async () => {
    const config = testConfig();
    const store = new MemoryStore();
    await store.transact((tx) => {
      for (const [id, email] of [['m1', 'ann@x.com'], ['m2', 'bob@x.com'], ['m3', 'cy@x.com'], ['m4', 'dee@x.com']]) {
        tx.put('appMembers', HUB, id, { hubId: HUB, id, email, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
      }
      tx.put('directoryUsers', HUB, 'u1', user('u1', 'ann@x.com'));
      tx.put('directoryUsers', HUB, 'u2', user('u2', 'bob@x.com', { active: false }));
      tx.put('directoryUsers', HUB, 'u3', user('u3', 'cy@x.com', { suspended: { at, by: 'okta-event-hook' } }));
      tx.put('departedUsers', HUB, 'u4', { hubId: HUB, directoryUserId: 'u4', userName: 'dee@x.com', emails: ['dee@x.com'], at });
      tx.put('directoryGroups', HUB, 'g1', { hubId: HUB, id: 'g1', displayName: 'Sales', members: [{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }], scim: {}, created: at, lastModified: at, version: 1 });
    });
    service = createMemberService({ config, store, log: { info() {}, warn() {}, error() {} } });
    const agent = new FakeAgent();
    agent.members = (hubId: string, query: MemberQuery) => service.members(hubId, query);
    agent.member = (hubId: string, memberId: string) => service.member(hubId, memberId);
    server = await serveRouters([['/api/v1', createAdminRouter({ config, agent })]]);
  });
  after(async () => {
    await server.close();
    service.close();
  });

  const get = async (path: string) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` } });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };

  test('GET members and one member: directoryStatus on each row, as documented', async () => {
    const list = await get(`/hubs/${HUB}/members?sort=email`);
    assert.equal(list.status, 200);
    const page = MemberList.parse(list.body);
    assert.deepEqual(page.items.map((m) => [m.id, m.status, m.grantedBy.join(), m.directoryStatus]), [
      ['m1', 'onboarded', 'Sales', 'active'],
      ['m2', 'onboarded', 'Sales', 'deactivated'],
      ['m3', 'onboarded', 'Sales', 'suspended'],
      ['m4', 'unmatched', '', 'deleted'],
    ]);
    const one = await get(`/hubs/${HUB}/members/m3`);
    assert.equal(one.status, 200);
    assert.equal(MemberSchema.parse(one.body).directoryStatus, 'suspended');
  });

  test('GET members?directoryStatus= filters; an unknown value is a 400 problem naming the field', async () => {
    const suspended = await get(`/hubs/${HUB}/members?directoryStatus=suspended`);
    assert.deepEqual((suspended.body.items as Array<{ id: string }>).map((m) => m.id), ['m3']);
    assert.equal(suspended.body.total, 1);
    const deleted = await get(`/hubs/${HUB}/members?status=unmatched&directoryStatus=deleted`);
    assert.deepEqual((deleted.body.items as Array<{ id: string }>).map((m) => m.id), ['m4']);
    const bad = await get(`/hubs/${HUB}/members?directoryStatus=gone`);
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.detail), /directoryStatus/);
  });
});
