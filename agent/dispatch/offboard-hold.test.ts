import { test } from 'node:test';
import assert from 'node:assert/strict';
import { offboardedAmong } from '../access/hub-access.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { holdOffboarded } from './offboard-hold.ts';

const AT = new Date('2026-12-06T12:00:00Z');
const everyHub: Trigger = { type: 'admin', actor: 'admin-token:every' };
const hubToken: Trigger = { type: 'admin', actor: 'admin-token:hub', hubs: ['meta-main'] };

/** Jane's directory user after the offboardings `triggers`, in order, and what each returned. */
async function heldBy(...triggers: Trigger[]) {
  const store = new MemoryStore();
  const hub = testHub();
  await store.transact((tx) => tx.put('directoryUsers', hub.id, 'jane', testUser('jane', 'jane@example.com')));
  const written: boolean[] = [];
  for (const trigger of triggers) written.push(await store.transact((tx) => holdOffboarded(tx, hub, 'jane', trigger, AT)));
  return { user: (await store.get('directoryUsers', hub.id, 'jane'))!, written };
}

test("a hub-scoped caller's offboarding holds the person on its hub but takes away no administration of every hub; an every-hub one does", async () => {
  const scoped = await heldBy(hubToken);
  assert.deepEqual(scoped.user.offboarded, { at: AT.toISOString(), by: 'admin-token:hub', hubs: ['meta-main'] });
  assert.equal(offboardedAmong([{ user: scoped.user }]), false, "one hub's token cannot end an allow-listed administrator's rights");

  const unscoped = await heldBy(everyHub);
  assert.equal(unscoped.user.offboarded?.hubs, undefined);
  assert.equal(offboardedAmong([{ user: unscoped.user }]), true);
});

test("an every-hub offboarding widens a hub-scoped hold (audited again); a hub-scoped one never narrows an every-hub hold", async () => {
  const widened = await heldBy(hubToken, everyHub);
  assert.deepEqual(widened.written, [true, true]);
  assert.equal(widened.user.offboarded?.by, 'admin-token:every');
  assert.equal(offboardedAmong([{ user: widened.user }]), true);

  const kept = await heldBy(everyHub, hubToken);
  assert.deepEqual(kept.written, [true, false]);
  assert.equal(kept.user.offboarded?.hubs, undefined);
  assert.equal(offboardedAmong([{ user: kept.user }]), true);
});
