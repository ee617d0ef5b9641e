import type { Change } from '../../agent/store/store.ts';
import type { TaskRecord } from '../../agent/tasks/task-record.ts';
import { recordTask } from './metrics.ts';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
/** Task ends remembered, so that a later write of the same finished record is not a second end. */
const REMEMBERED = 10_000;

/**
 * `hubwarden_tasks_total` and the task duration, from the store's change feed (the agent stays
 * free of server imports): one count per task end. A finished task is written again after it
 * ended (settle-invite.ts marks an earlier invite task `settled`; pruning moves it), and each write
 * is a change with a terminal status: counted at each, a counter meant to rise once per finished
 * task (https://prometheus.io/docs/concepts/metric_types/#counter) rose two or three times. An end
 * is the task's id with its `completedAt`: a task run again and finished again counts again.
 * Other replicas' commits carry no record (Change.remote) and are theirs to count.
 */
export function taskEndCounter(count: typeof recordTask = recordTask, remembered = REMEMBERED): (changes: readonly Change[]) => void {
  const counted = new Set<string>();
  return (changes) => {
    for (const change of changes) {
      if (change.collection !== 'tasks' || !change.record) continue;
      const task = change.record as TaskRecord;
      if (!TERMINAL.has(task.status) || !task.completedAt) continue;
      const end = `${task.hubId}\u0000${task.id}\u0000${task.completedAt}`;
      if (counted.has(end)) continue;
      counted.add(end);
      if (counted.size > remembered) counted.delete(counted.values().next().value!);
      count(task.kind, task.status, Date.parse(task.completedAt) - Date.parse(task.createdAt));
    }
  };
}
