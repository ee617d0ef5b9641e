import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { HookEventLog } from '../../scim-server/hooks/hook-events.ts';
import { HOOK_EVENT_TTL_MS } from '../../scim-server/hooks/hook-event-record.ts';

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
  await log.claim('okta', 'okta', [{ id: 'x' }]);
  await log.tidy(); // the sweep a hook starts after its answer (nothing to drop yet)
  now += HOOK_EVENT_TTL_MS + 1;
  assert.equal(await log.sweep(), 1);
  await log.claim('okta', 'okta', [{ id: 'y' }]);
  await log.update('okta', 'y', { expiresAt: new Date(now - 1).toISOString() });
  now += 60_000;
  assert.equal(await log.sweep(), 0, 'within the hour: not swept');
  assert.equal(await log.sweep(true), 1);
});

test('on a shared store, pickUp keeps looking at open records through the index (not every record) until close', async () => {
  const store = new MemoryStore();
  Object.defineProperty(store, 'shared', { value: true });
  await store.open();
  const reads = { lookup: 0, list: 0 };
  const lookup = store.lookup.bind(store);
  const list = store.list.bind(store);
  store.lookup = ((...args: Parameters<typeof lookup>) => { reads.lookup++; return lookup(...args); }) as typeof store.lookup;
  store.list = ((...args: Parameters<typeof list>) => { reads.list++; return list(...args); }) as typeof store.list;
  const acted: string[] = [];
  const log = new HookEventLog(store, Date.now, undefined, 60);
  // A week of finished records is not read at every look.
  await store.transact((tx) => {
    for (let n = 0; n < 50; n++) tx.put('hookEvents', 'okta', `done-${n}`, { id: `done-${n}`, source: 'okta', idp: 'okta', receivedAt: '2026-11-23T10:00:00Z', expiresAt: '2099-01-01T00:00:00Z', state: 'done' });
  });
  await log.pickUp('okta', () => true, (records) => acted.push(...records.map((r) => r.id)));
  // A record a replica took after this one started, then died holding: taken once its lease lapses.
  await store.transact((tx) => tx.put('hookEvents', 'okta', 'e-1', { id: 'e-1', source: 'okta', idp: 'okta', receivedAt: '2026-11-23T10:00:00Z', expiresAt: '2099-01-01T00:00:00Z', state: 'processing', lease: { owner: 'hooks-died', until: new Date(Date.now() + 100).toISOString() } }));
  await sleep(350);
  assert.deepEqual(acted, ['e-1']);
  assert.equal(reads.list, 0, 'no listing of the hook records');
  assert.ok(reads.lookup >= 3, `looked again every lease period (${reads.lookup} looks)`);
  log.close();
  const looks = reads.lookup;
  await store.transact((tx) => tx.put('hookEvents', 'okta', 'e-2', { id: 'e-2', source: 'okta', idp: 'okta', receivedAt: '2026-11-23T10:00:00Z', expiresAt: '2099-01-01T00:00:00Z', state: 'processing' }));
  await sleep(200);
  assert.equal(reads.lookup, looks, 'no look after close: the timer and the subscription are gone');
  assert.deepEqual(acted, ['e-1']);
});
