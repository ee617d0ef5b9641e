import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import '../../app-state/records.ts';
import { suiteStores } from '../../../test/suite-stores.ts';
import type { Store } from '../../store/store.ts';
import { TASK_KEY_INDEX, taskKeyOf, type TaskRecord } from '../task-record.ts';
import { earlierResendUnknown } from './unsettled-invites.ts';

/**
 * Whether an earlier attempt of a re-send may have reached the app is read from the task records
 * in the store (every replica, and a restarted process, read the same), not from a connector's
 * memory: this task's attempts, and those of an earlier task of the same change that failed with
 * such an attempt, until a task of the change completed.
 */
const HUB = 'hub-a';
const KEY = 'op:reinvite:ann@example.com';
const trigger = { type: 'scim' as const, idp: 'okta' };

function task(id: string, createdAt: string, state: Partial<TaskRecord>): TaskRecord {
  return { id, hubId: HUB, kind: 'reinvite', status: 'running', idempotencyKey: KEY, payload: {}, summary: 're-invite ann', trigger, attempts: 1, attemptsEnded: 0, createdAt, updatedAt: createdAt, ...state };
}

async function seed(store: Store, tasks: TaskRecord[]): Promise<void> {
  store.defineIndex('tasks', TASK_KEY_INDEX, (t, hubId) => [taskKeyOf(hubId, t.idempotencyKey)]);
  await store.transact((tx) => { for (const t of tasks) tx.put('tasks', HUB, t.id, t); });
}

for (const kind of await suiteStores('memory', 'lowdb', 'postgres')) {
  describe(`earlierResendUnknown (${kind.kind})`, { skip: kind.skip }, () => {
    test('this task\'s attempt of unknown outcome, or an earlier failed task\'s, until a task of the change completed', async (t) => {
      const { store, dispose } = await kind.open();
      t.after(dispose);
      const now = task('t-now', '2026-12-07T10:00:00.000Z', {});
      await seed(store, [now]);
      assert.equal(await earlierResendUnknown(now, store), false, 'a first attempt');
      assert.equal(await earlierResendUnknown({ ...now, attempts: 2, attemptsEnded: 1 }, store), true, 'its first attempt ended unknown');
      assert.equal(await earlierResendUnknown({ ...now, attempts: 2, attemptsEnded: 1, attemptsRefused: 1 }, store), false, 'its first attempt was refused');

      await seed(store, [task('t-refused', '2026-12-07T08:00:00.000Z', { status: 'failed', attempts: 3, attemptsEnded: 3, attemptsRefused: 3 })]);
      assert.equal(await earlierResendUnknown(now, store), false, 'an earlier task refused every time sent nothing');
      await seed(store, [task('t-lost', '2026-12-07T09:00:00.000Z', { status: 'failed', attempts: 3, attemptsEnded: 3, attemptsRefused: 1 })]);
      assert.equal(await earlierResendUnknown(now, store), true, 'an earlier task of the same change may have sent it');
      await seed(store, [task('t-done', '2026-12-07T09:30:00.000Z', { status: 'completed', attempts: 1, attemptsEnded: 1 })]);
      assert.equal(await earlierResendUnknown(now, store), false, 'a later task of the change completed: settled');
    });
  });
}
