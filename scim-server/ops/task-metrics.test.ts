import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Change } from '../../agent/store/store.ts';
import { taskEndCounter } from './task-metrics.ts';

const task = (status: string, completedAt?: string, extra: object = {}) => ({
  id: 't1', hubId: 'h', kind: 'invite', status, createdAt: '2026-12-06T10:00:00.000Z', ...(completedAt ? { completedAt } : {}), ...extra,
});
const put = (record: object): Change => ({ collection: 'tasks', partition: 'h', id: 't1', record });

test('a finished task written again (marked settled) is one end, a task finished again is another, a remote change is none', () => {
  const ends: Array<[string, string, number]> = [];
  const feed = taskEndCounter((kind, outcome, ms) => ends.push([kind, outcome, ms]));
  feed([put(task('running'))]);
  feed([put(task('failed', '2026-12-06T10:00:02.000Z'))]);
  // settle-invite.ts marks the earlier, failed invite task settled: the same end, written again.
  feed([put(task('failed', '2026-12-06T10:00:02.000Z', { settled: { at: '2026-12-06T10:01:00.000Z', found: 'member', by: 't2' } }))]);
  assert.deepEqual(ends, [['invite', 'failed', 2_000]]);
  // Run again and finished again: a second end.
  feed([put(task('completed', '2026-12-06T10:05:00.000Z'))]);
  feed([{ collection: 'tasks', partition: 'h', id: 't9', record: undefined, remote: true }]);
  assert.deepEqual(ends.map(([, outcome]) => outcome), ['failed', 'completed']);
});

test('the ends remembered are bounded: the oldest is forgotten first', () => {
  let n = 0;
  const feed = taskEndCounter(() => { n++; }, 2);
  for (const id of ['a', 'b', 'c']) feed([{ collection: 'tasks', partition: 'h', id, record: { ...task('completed', '2026-12-06T10:00:01.000Z'), id } }]);
  feed([{ collection: 'tasks', partition: 'h', id: 'c', record: { ...task('completed', '2026-12-06T10:00:01.000Z'), id: 'c' } }]);
  assert.equal(n, 3, 'c is remembered');
  feed([{ collection: 'tasks', partition: 'h', id: 'a', record: { ...task('completed', '2026-12-06T10:00:01.000Z'), id: 'a' } }]);
  assert.equal(n, 4, 'a was forgotten (bounded memory), so its write counts again');
});
