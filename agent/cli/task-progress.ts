import cliProgress from 'cli-progress';
import type { TaskView } from '../api.ts';
import type { AdminClient } from './admin-client.ts';
import { seg } from './admin-client.ts';

const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `GET /tasks/{id}` until the task finishes, drawing its progress (done/total, phase) as a
 * bar on stderr. cli-progress draws nothing when stderr is not a terminal, so piped output and
 * tests stay clean.
 */
export async function followTask(client: AdminClient, taskId: string, intervalMs = 500): Promise<TaskView> {
  const bar = new cliProgress.SingleBar(
    { format: '{bar} {value}/{total} {phase}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  try {
    for (;;) {
      const task = await client.get<TaskView>(`/tasks/${seg(taskId)}`);
      const total = task.progress?.total || 1;
      const done = task.progress?.done ?? 0;
      const phase = task.progress?.phase ?? task.status;
      if (!started) {
        bar.start(total, done, { phase });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { phase });
      }
      if (FINISHED.has(task.status)) return task;
      await sleep(intervalMs);
    }
  } finally {
    if (started) bar.stop();
  }
}
