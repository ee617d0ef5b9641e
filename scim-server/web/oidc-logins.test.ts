import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { PendingLogins } from './oidc-logins.ts';

const login = (state: string) => ({ state, nonce: `n-${state}`, verifier: 'v'.repeat(43), next: '/ui/' });

describe('pending OIDC sign-ins under a flood of sign-in starts', () => {
  test('one address opening sign-in in a loop pushes out its own pending sign-ins, not another person\'s', async () => {
    const store = new MemoryStore();
    await store.open();
    let now = 1_000_000;
    const pending = new PendingLogins(store, 600_000, 5, () => now);
    await pending.add(login('victim'), '10.0.0.1');
    // `GET /ui/auth/oidc` needs no sign-in: anyone may call it as often as they like.
    for (let i = 0; i < 50; i++) {
      now += 10;
      await pending.add(login(`flood-${i}`), '203.0.113.66');
    }
    assert.equal(await store.count('oidcLogins', ''), 5, 'still bounded');
    assert.deepEqual(await pending.take('victim'), login('victim'), 'the person who started a real sign-in can finish it');
    assert.deepEqual(await pending.take('flood-49'), login('flood-49'), 'the flooder\'s newest is kept');
    assert.equal(await pending.take('flood-0'), undefined, 'the flooder\'s oldest went');
  });

  test('when every address has one pending sign-in, the oldest goes first (as before)', async () => {
    const store = new MemoryStore();
    await store.open();
    let now = 1_000_000;
    const pending = new PendingLogins(store, 600_000, 3, () => now);
    for (let i = 0; i < 4; i++) {
      now += 10;
      await pending.add(login(`s-${i}`), `10.0.0.${i}`);
    }
    assert.equal(await pending.take('s-0'), undefined);
    for (const s of ['s-1', 's-2', 's-3']) assert.ok(await pending.take(s), s);
  });
});
