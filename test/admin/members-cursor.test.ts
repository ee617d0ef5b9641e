/**
 * GET /hubs/{hubId}/members pages by cursor too: `next` of one page, passed as `after`, starts the
 * following page after that page's last row, so rows a check for updates adds or removes between
 * two requests neither repeat nor skip any (offset paging did both). Offsets still work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentApi } from '../../agent/api.ts';
import { MembersIndex } from '../../agent/members/members-index.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import '../../agent/app-state/records.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';

const at = '2026-11-01T00:00:00.000Z';
const auth = { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` };

test('members JSON list: `next` then `after` repeats no row when rows are added before it; offsets and email still work', async () => {
  const config = testConfig();
  const hub = config.file.hubs.find((h) => h.id === 'acme-ads')!;
  const store = new MemoryStore();
  const put = (id: string) => store.transact((tx) => tx.put('appMembers', 'acme-ads', id, { hubId: 'acme-ads', id, email: `${id}@example.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at }));
  for (const id of ['b1', 'b2', 'b3', 'b4']) await put(id);
  const index = new MembersIndex(store, () => new Map([['acme-ads', hub]]), () => new Date(at));
  const agent = {
    hub: async (id: string) => (id === 'acme-ads' ? { id } : undefined),
    members: async (hubId: string, q: object) => (await index.query(hubId, q))!,
  } as unknown as AgentApi;
  const server = await serveRouters([['/api/v1', createAdminRouter({ config, agent })]]);
  const get = async (query: string) => {
    const res = await fetch(`${server.url}/api/v1/hubs/acme-ads/members?${query}`, { headers: auth });
    return { status: res.status, body: await res.json() };
  };
  try {
    const first = await get('limit=2');
    assert.deepEqual(first.body.items.map((m: { id: string }) => m.id), ['b1', 'b2']);
    assert.equal(typeof first.body.next, 'string');
    await put('a0'); // sorted before the page boundary: offset=2 would answer b2 again
    const second = await get(`limit=2&after=${encodeURIComponent(first.body.next)}`);
    assert.deepEqual(second.body.items.map((m: { id: string }) => m.id), ['b3', 'b4']);
    assert.equal(second.body.next, undefined, 'the last page has no next');
    assert.deepEqual((await get('offset=2&limit=2')).body.items.map((m: { id: string }) => m.id), ['b2', 'b3'], 'offsets still page');
    const both = await get(`email=b1%40example.com&after=${encodeURIComponent(first.body.next)}`);
    assert.equal(both.status, 400);
    assert.match(both.body.detail, /give email or after/);
    assert.equal((await get('after=junk')).status, 400);
  } finally {
    index.close();
    await server.close();
  }
});
