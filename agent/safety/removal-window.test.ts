import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeMemberOperation } from '../plan/removal.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { exceedsRemovalThreshold } from './classify.ts';
import { recordRemovals, removedWithin } from './removal-window.ts';

const HOUR = 3_600_000;
const at = (minutes: number) => new Date(Date.parse('2026-12-03T12:00:00Z') + minutes * 60_000);
const removal = (id: string) => removeMemberOperation({ id, role: 'EMPLOYEE', email: `${id}@example.com` }, { reason: 'deactivated', because: 'deactivated in the directory' });

test('removals let through count toward the threshold for the window, then lapse', async () => {
  const store = new MemoryStore();
  await store.transact((tx) => recordRemovals(tx, 'h', 1, at(0), HOUR));
  await store.transact((tx) => recordRemovals(tx, 'h', 2, at(30), HOUR));
  assert.equal(await removedWithin(store, 'h', at(45), HOUR), 3);
  assert.equal(await removedWithin(store, 'h', at(75), HOUR), 2, 'the first lapsed after an hour');
  assert.equal(await removedWithin(store, 'h', at(45), 0), 0, 'a window of 0 counts nothing');
  await store.transact((tx) => recordRemovals(tx, 'h', 1, at(120), HOUR));
  assert.deepEqual((await store.get('removalWindows', 'h', 'h'))?.released.map((r) => r.removals), [1], 'entries older than the window are dropped');
});

test('one removal at a time halts once the window holds more than the threshold', () => {
  // 11 members, threshold 20 %: alone, one removal of 10 left is 10 %; after two let through, 3 of 11.
  assert.equal(exceedsRemovalThreshold([removal('m-1')], 10, 20).exceeds, false);
  const third = exceedsRemovalThreshold([removal('m-3')], 9, 20, 2);
  assert.equal(third.exceeds, true);
  assert.equal(third.share.toFixed(1), '27.3');
  assert.equal(exceedsRemovalThreshold([], 9, 20, 5).exceeds, false, 'nothing to remove never halts');
});
