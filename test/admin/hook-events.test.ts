import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { HOOK_EVENT_TTL_MS, HookEventLog } from '../../scim-server/hooks/hook-events.ts';

test('claim takes each id once (also within one batch); the sweep drops expired records but keeps waiting callouts', async () => {
  const store = new MemoryStore();
  let now = Date.UTC(2026, 10, 23);
  const log = new HookEventLog(store, () => now);
  assert.deepEqual(await log.claim('okta', 'okta', [{ id: 'a' }, { id: 'b' }, { id: 'a' }]), ['a', 'b']);
  assert.deepEqual(await log.claim('okta', 'okta', [{ id: 'b' }, { id: 'c' }]), ['c']);
  await log.claim('entra-lifecycle', 'entra', [{ id: 'r-1' }]);
  await log.update('entra-lifecycle', 'r-1', { state: 'waiting' });

  now += HOOK_EVENT_TTL_MS - 1;
  assert.equal(await log.sweep(true), 0, 'nothing has expired yet');
  now += 2;
  assert.equal(await log.sweep(true), 3);
  assert.equal(await store.count('hookEvents', 'okta'), 0);
  assert.equal((await log.get('entra-lifecycle', 'r-1'))?.state, 'waiting', 'a callout still waiting is needed to resume');
  // Once expired and swept, an id is new again (Okta stopped retrying long before).
  assert.deepEqual(await log.claim('okta', 'okta', [{ id: 'a' }]), ['a']);
});

test('the sweep runs at most once an hour unless forced', async () => {
  const store = new MemoryStore();
  let now = Date.UTC(2026, 10, 23);
  const log = new HookEventLog(store, () => now);
  await log.claim('okta', 'okta', [{ id: 'x' }]); // first claim sweeps (nothing to drop)
  now += HOOK_EVENT_TTL_MS + 1;
  assert.equal(await log.sweep(), 1);
  await log.claim('okta', 'okta', [{ id: 'y' }]);
  await log.update('okta', 'y', { expiresAt: new Date(now - 1).toISOString() });
  now += 60_000;
  assert.equal(await log.sweep(), 0, 'within the hour: not swept');
  assert.equal(await log.sweep(true), 1);
});
