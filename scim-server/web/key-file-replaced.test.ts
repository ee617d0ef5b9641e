import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig } from '../../test/admin/test-server.ts';
import { createWebRouter } from './router.ts';
import { signInWithToken } from './web-fixtures.ts';

/**
 * Replacing `secrets.keyFile` (docs/operations.md, "Replacing the key file"): what the key file
 * keys changes with it, and nothing stays open that the old key granted. An admin token's label
 * is an HMAC under a key derived from the key file, and a token-signed-in session is held by that
 * label: under a new key it names no configured token, so the session keeps no administrator's
 * rights (the token itself still signs in again). (An OIDC sign-in in progress under the old key
 * is refused: oidc-pending-sign-in.test.ts.)
 */
const silent = { info() {}, warn() {}, error() {} };
const config = testConfig();
const keyFile = config.pathOf(config.file.secrets.keyFile);
type Key = 'old' | 'new';
const keys: Record<Key, string> = { old: `${randomBytes(32).toString('base64')}\n`, new: `${randomBytes(32).toString('base64')}\n` };

/** A server started with `key` in the key file, as `npm start` reads it (every part from the file). */
async function serve(store: MemoryStore, key: Key) {
  writeFileSync(keyFile, keys[key], { mode: 0o600 });
  return serveRouters([['/ui', createWebRouter({ config, agent: new FakeAgent(), store, log: silent, keyring: Keyring.loadSync(keyFile) })]]);
}

/** The session cookie of a token sign-in, which must be accepted. */
async function signedInWithToken(url: string, token: string): Promise<string> {
  const cookie = await signInWithToken(url, token);
  assert.ok(cookie, 'signed in');
  return cookie;
}

/** The hubs the session lists and the status of one hub's page, on a server keyed with `keyring`. */
async function seen(store: MemoryStore, key: Key, cookie: string) {
  const server = await serve(store, key);
  try {
    const res = await fetch(`${server.url}/ui/api/v1/hubs`, { headers: { cookie } });
    const hubs = res.status === 200 ? ((await res.json()) as { items: Array<{ id: string }> }).items.map((h) => h.id) : [];
    return { hubs, acme: (await fetch(`${server.url}/ui/api/v1/hubs/acme-ads`, { headers: { cookie } })).status };
  } finally {
    await server.close();
  }
}

test('after the key file is replaced, an admin-token session keeps no administrator rights; the token signs in again', async (t) => {
  const kept = Keyring.loadSync(keyFile) && readFileSync(keyFile); // the test key file, created if none
  t.after(() => writeFileSync(keyFile, kept, { mode: 0o600 }));
  const store = new MemoryStore();
  await store.open();
  const before = await serve(store, 'old');
  const cookie = await signedInWithToken(before.url, TEST_ENV.ADMIN_TOKEN);
  await before.close();
  assert.deepEqual(await seen(store, 'old', cookie), { hubs: ['acme-ads', 'beta-shop'], acme: 200 }, 'a restart with the same key: still an administrator');
  const replaced = await seen(store, 'new', cookie);
  assert.deepEqual([replaced.hubs, replaced.acme], [[], 403], 'the new key: the session names no configured token');
  const after = await serve(store, 'new');
  try {
    const again = await signedInWithToken(after.url, TEST_ENV.ADMIN_TOKEN);
    assert.deepEqual(await seen(store, 'new', again), { hubs: ['acme-ads', 'beta-shop'], acme: 200 });
  } finally {
    await after.close();
  }
});
