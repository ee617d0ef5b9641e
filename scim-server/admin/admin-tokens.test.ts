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

test('the audit label is keyed by the key file: not the plain SHA-256 prefix a label reader could test guesses against; stable across restarts, different under another key', async (t) => {
  const { createHash } = await import('node:crypto');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { Keyring } = await import('../../agent/secrets/keyring.ts');
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-admin-label-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = testConfig(`secrets: { keyFile: ${join(dir, 'hubwarden.key')} }`);
  const plain = `admin-token:${createHash('sha256').update(TEST_ENV.ADMIN_TOKEN).digest('hex').slice(0, 6)}`;

  const first = adminTokensFrom(config).actorFor(TEST_ENV.ADMIN_TOKEN)!;
  assert.match(first, /^admin-token:[0-9a-f]{6}$/);
  assert.notEqual(first, plain, 'not the unsalted hash prefix');
  assert.equal(adminTokensFrom(config).actorFor(TEST_ENV.ADMIN_TOKEN), first, 'a restart reading the same key file: the same label');
  assert.equal(adminTokensFrom(config, await Keyring.load(config.pathOf(config.file.secrets.keyFile))).actorFor(TEST_ENV.ADMIN_TOKEN), first, 'the loaded keyring gives the label the key file gives');
  assert.ok(adminTokensFrom(config).configured(first));
  assert.equal(adminTokensFrom(config).configured(plain), false, 'an old unkeyed label is no configured token');

  const other = adminTokensFrom(config, Keyring.fromKey(Buffer.alloc(32, 9))).actorFor(TEST_ENV.ADMIN_TOKEN)!;
  const again = adminTokensFrom(config, Keyring.fromKey(Buffer.alloc(32, 9))).actorFor(TEST_ENV.ADMIN_TOKEN)!;
  assert.equal(other, again);
  assert.notEqual(other, first, 'another key file: another label');
  assert.notEqual(adminTokensFrom(config).actorFor(TEST_ENV.SECOND_ADMIN_TOKEN), first, 'two tokens, two labels');
});
