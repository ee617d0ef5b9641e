/**
 * Sign-out while the store refuses writes (a database failover): the session is not ended on the
 * replicas, so the browser must not be told to forget it either. Before, the cookie was cleared
 * first: the person saw the sign-in page and took themselves for signed out, while the session
 * id stayed valid on every replica for up to 12 hours.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { storeThatGoesDown } from '../../test/admin/failing-store.test-double.ts';
import { serveRouters, testConfig, type TestServer } from '../../test/admin/test-server.ts';
import { createWebRouter } from './router.ts';
import { SessionStore } from './session-store.ts';

const silent = { info() {}, warn() {}, error() {} };

describe('sign-out when the store refuses it', () => {
  let server: TestServer;
  const fault = storeThatGoesDown(1);
  const sessions = new SessionStore(fault.store);
  before(async () => {
    await fault.store.open();
    server = await serveRouters([['/ui', createWebRouter({ config: testConfig(), agent: new FakeAgent(), store: fault.store, log: silent, sessions })]]);
  });
  after(() => server.close());

  const signOut = (cookie: string, csrf: string) => fetch(`${server.url}/ui/sign-out`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }),
  });
  const cleared = (res: Response) => res.headers.getSetCookie().some((c) => /^hubwarden-session=;/.test(c));

  test('the cookie is kept while the session lives on; signing out again ends both', async () => {
    const s = await sessions.create('admin-token:0a1b2c', 'admin-token');
    const cookie = `hubwarden-session=${s.id}`;
    fault.goDown();
    const refused = await signOut(cookie, s.csrf);
    assert.equal(fault.refused(), 1, 'the store refused the sign-out');
    assert.ok(refused.status >= 500, `status ${refused.status}`);
    assert.ok(await sessions.get(s.id), 'the session is still there');
    assert.equal(cleared(refused), false, 'the browser is not told to forget a session every replica still honours');

    const again = await signOut(cookie, s.csrf);
    assert.equal(again.status, 303);
    assert.equal(cleared(again), true);
    assert.equal(await sessions.get(s.id), undefined);
  });
});
