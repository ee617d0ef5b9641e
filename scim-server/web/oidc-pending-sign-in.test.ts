/** The pending OIDC sign-in, sealed in the browser's cookie (oidc-pending.ts): nothing stored per start, tampering and expiry refused, replicas sharing the key file (oidc-sign-in.test.ts has the sign-in itself). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters } from '../../test/admin/test-server.ts';
import { PendingCookie } from './oidc-pending.ts';
import { createWebRouter } from './router.ts';
import { oidcWorld, silent } from './oidc-sign-in-fixtures.ts';

describe('OIDC sign-in: the pending sign-in in the browser', () => {
  const w = oidcWorld();
  const { start, callback, nonces, keyFile, configWith } = w;

  test('2,000 sign-in starts write nothing to the store: the pending sign-in is in the browser', async () => {
    let transactions = 0;
    let changes = 0;
    const transact = w.store.transact.bind(w.store);
    w.store.transact = ((fn: never) => { transactions++; return transact(fn); }) as typeof w.store.transact;
    const unsubscribe = w.store.subscribe((c) => { changes += c.length; });
    try {
      // `GET /ui/auth/oidc` needs no credential: anyone may call it in a loop.
      for (let i = 0; i < 2_000; i++) await start(w.server.url);
    } finally {
      unsubscribe();
      w.store.transact = transact;
    }
    assert.equal(transactions, 0, 'no transaction per start');
    assert.equal(changes, 0, 'no record written');
    // A person who started a sign-in before the loop is not pushed out by it: nothing is kept to push.
    w.person = { email: 'ada@acme.example', email_verified: true };
    const mine = await start(w.server.url, '/ui/hubs/acme-ads');
    for (let i = 0; i < 50; i++) await start(w.server.url);
    nonces.set('code-after-flood', mine.nonce);
    const back = await callback(w.server.url, 'code-after-flood', mine.state, mine.cookie);
    assert.equal(back.location, '/ui/hubs/acme-ads');
    assert.ok(back.session, 'signed in');
  });

  test('a changed pending-sign-in cookie is refused as unverifiable; an expired one as expired', async () => {
    w.person = { email: 'ada@acme.example', email_verified: true };
    const mine = await start(w.server.url);
    nonces.set('code-tampered', mine.nonce);
    const [name, value] = mine.cookie.split('=') as [string, string];
    const parts = decodeURIComponent(value).split('.');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0] = ct[0]! ^ 1; // one bit of the sealed JSON
    const tampered = `${name}=${encodeURIComponent([...parts.slice(0, 3), ct.toString('base64url')].join('.'))}`;
    const refused = await callback(w.server.url, 'code-tampered', mine.state, tampered);
    assert.equal(refused.location, '/ui/sign-in?error=invalid');
    assert.equal(refused.session, undefined);
    const page = await (await fetch(`${w.server.url}${refused.location}`)).text();
    assert.match(page, /could not be verified/, 'the sign-in page says why');
    // Sealed with the same key 11 minutes ago: past the 10-minute sign-in, whatever the browser kept.
    const old = await new PendingCookie(Keyring.load(keyFile), 600_000, () => Date.now() - 11 * 60_000)
      .seal({ state: mine.state, nonce: mine.nonce, verifier: 'v'.repeat(43), next: '/ui/' });
    const expired = await callback(w.server.url, 'code-tampered', mine.state, `hubwarden-oidc=${encodeURIComponent(old)}`);
    assert.equal(expired.location, '/ui/sign-in?error=expired');
    assert.equal(expired.session, undefined);
    // The untouched cookie still works, so the refusals above were about the cookie alone.
    assert.ok((await callback(w.server.url, 'code-tampered', mine.state, mine.cookie)).session);
    // The state of the URL must be the one sealed in the cookie (another sign-in's state is refused).
    const other = await start(w.server.url);
    assert.equal((await callback(w.server.url, 'code-tampered', other.state, mine.cookie)).location, '/ui/sign-in?error=expired');
  });

  test('two replicas sharing the key file finish each other\'s sign-ins; one with another key file refuses', async () => {
    const replica = await serveRouters([['/ui', createWebRouter({ config: configWith(keyFile), agent: new FakeAgent(), store: new MemoryStore(), log: silent })]]);
    const otherKey = join(mkdtempSync(join(tmpdir(), 'hubwarden-oidc-')), 'hubwarden.key');
    const stranger = await serveRouters([['/ui', createWebRouter({ config: configWith(otherKey), agent: new FakeAgent(), store: new MemoryStore(), log: silent })]]);
    try {
      w.person = { email: 'ada@acme.example', email_verified: true };
      const mine = await start(w.server.url, '/ui/hubs/acme-ads');
      nonces.set('code-replica', mine.nonce);
      const back = await callback(replica.url, 'code-replica', mine.state, mine.cookie);
      assert.equal(back.location, '/ui/hubs/acme-ads', 'the replica that did not start it finishes it');
      assert.ok(back.session);
      const theirs = await start(replica.url);
      nonces.set('code-replica-2', theirs.nonce);
      assert.ok((await callback(w.server.url, 'code-replica-2', theirs.state, theirs.cookie)).session, 'and the other way round');
      const foreign = await callback(stranger.url, 'code-replica-2', theirs.state, theirs.cookie);
      assert.equal(foreign.location, '/ui/sign-in?error=invalid', 'a server with another key file opens nothing');
    } finally {
      await replica.close();
      await stranger.close();
    }
  });
});
