import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig } from '../../test/admin/test-server.ts';
import { resolveViewer } from './hub-guard.ts';
import { createWebRouter } from './router.ts';
import type { Session } from './session-store.ts';
import type { WebContext } from './web-context.ts';
import { signInWithToken } from './web-fixtures.ts';

const silent = { info() {}, warn() {}, error() {} };


describe('an administrator\'s dashboard session ends its rights when the config no longer grants them', () => {
  test('an admin token removed from server.adminTokens (it leaked): its sessions no longer see any hub', async () => {
    const store = new MemoryStore();
    await store.open();
    const first = await serveRouters([['/ui', createWebRouter({ config: testConfig(), agent: new FakeAgent(), store, log: silent })]]);
    const cookie = await signInWithToken(first.url, TEST_ENV.SECOND_ADMIN_TOKEN);
    assert.ok(cookie);
    const seen = await (await fetch(`${first.url}/ui/api/v1/hubs`, { headers: { cookie } })).json() as { total: number };
    assert.ok(seen.total > 0, 'an administrator sees the hubs');
    await first.close();

    // Restarted on the same store with the second token taken out of the config.
    const base = testConfig();
    const rotated = { ...base, file: { ...base.file, server: { ...base.file.server, adminTokens: ['env:ADMIN_TOKEN'] } } };
    const second = await serveRouters([['/ui', createWebRouter({ config: rotated, agent: new FakeAgent(), store, log: silent })]]);
    try {
      const res = await fetch(`${second.url}/ui/api/v1/hubs`, { headers: { cookie } });
      const body = res.status === 200 ? await res.json() as { total: number } : undefined;
      assert.ok(res.status === 403 || body?.total === 0, `the old session still sees hubs: ${res.status} ${JSON.stringify(body)}`);
    } finally {
      await second.close();
    }
  });

  test('an OIDC administrator taken off allowedEmails / allowedGroups is an administrator no more', async () => {
    const ctx = (allowedEmails: string[], allowedGroups: string[]) => ({ config: { file: { server: { oidc: { allowedEmails, allowedGroups } }, hubs: [] } } }) as unknown as WebContext;
    const byGroup: Session = { id: 'x', actor: 'oidc:1', via: 'oidc', admin: true, adminGroups: ['hubwarden-admins'], csrf: 'c', createdAt: 0, lastSeenAt: 0 };
    assert.equal((await resolveViewer(ctx([], ['hubwarden-admins']), byGroup)).admin, true);
    assert.equal((await resolveViewer(ctx([], ['other-admins']), byGroup)).admin, false);
    const byEmail: Session = { ...byGroup, adminGroups: undefined, email: 'boss@acme.example' } as Session;
    assert.equal((await resolveViewer(ctx(['Boss@Acme.example'], []), byEmail)).admin, true);
  });
});
