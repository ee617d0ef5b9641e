/**
 * The admin API slows down token guessing per address like the dashboard's sign-in: after the
 * limit of wrong tokens, a wrong token from that address is 429 with Retry-After until the window
 * passes, while the right token always passes. A request without a token is not a guess and does
 * not count.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from 'express';
import { FailureLimiter } from '../auth-failures.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from '../../test/admin/test-server.ts';
import { adminTokensFrom, requireAdminToken } from './admin-tokens.ts';

let server: TestServer | undefined;
after(() => server?.close());

test('wrong admin tokens from one address: 429 with Retry-After after the limit, until the window passes; the right token always passes', async () => {
  let now = Date.UTC(2026, 10, 23, 12);
  const router = Router();
  router.use(requireAdminToken(adminTokensFrom(testConfig()), new FailureLimiter({ admin: { maxFailures: 3, windowMs: 60_000 } }, () => now)));
  router.get('/whoami', (_req, res) => { res.json({ actor: res.locals.actor }); });
  server = await serveRouters([['/', router]]);
  const call = (token?: string) => fetch(`${server!.url}/whoami`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  for (let i = 0; i < 5; i++) assert.equal((await call()).status, 401, 'no token: not counted');
  assert.equal((await call(TEST_ENV.ADMIN_TOKEN)).status, 200);
  for (let i = 0; i < 3; i++) assert.equal((await call(`guess-${i}`)).status, 401);
  const locked = await call('guess-3');
  assert.equal(locked.status, 429, 'the guesser waits');
  assert.ok(Number(locked.headers.get('retry-after')) > 0);
  assert.match(locked.headers.get('content-type') ?? '', /application\/problem\+json/);
  for (let i = 0; i < 5; i++) assert.equal((await call(TEST_ENV.ADMIN_TOKEN)).status, 200, 'a valid token is never refused because of failures');
  now += 61_000;
  assert.equal((await call('guess-4')).status, 401, 'a new window');
});
