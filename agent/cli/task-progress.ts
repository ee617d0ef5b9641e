import cliProgress from 'cli-progress';
import type { TaskView } from '../api.ts';
import type { AdminClient } from './admin-client.ts';
import { seg } from './admin-client.ts';
import { CliError } from './cli-error.ts';
import { isObject, kindOf, stringOf } from './answer.ts';
import { inLine, unexpectedAnswer } from './output.ts';
import { escapeForTerminal } from '../safe-text.ts';

const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** setTimeout's largest delay (a 32-bit signed int); beyond it the delay is 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The pause between polls: HUBWARDEN_POLL_MS (tests set it low), else `defaultMs`. Anything but a
 * whole number of milliseconds the timer can hold is a usage mistake, refused before any request:
 * `Number('2s')` is NaN, and a NaN, below-1 or too large delay makes setTimeout wait 1 ms
 * (https://nodejs.org/api/timers.html#settimeoutcallback-delay-args), so the CLI polled the
 * server in a tight loop.
 */
export function pollInterval(defaultMs: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.HUBWARDEN_POLL_MS;
  if (raw === undefined) return defaultMs;
  const ms = /^\d{1,10}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!(ms >= 1 && ms <= MAX_TIMER_MS)) throw new CliError(`HUBWARDEN_POLL_MS: expected a whole number of milliseconds from 1 to ${MAX_TIMER_MS}, got "${raw}"`, 2);
  return ms;
}

/**
 * The fields of a task the CLI writes into a line (its kind, status, hub, progress, summary and error): a value of
 * another kind was printed as `[object Object]` (`check for updates of acme failed: [object
 * Object]`, a tasks row's `[object Object]/3`). `where` names the task in a list (`items[2].`).
 */
export function checkTaskText(task: unknown, where = ''): void {
  if (!isObject(task)) return;
  const wrong = (field: string, value: unknown, expected: string) => unexpectedAnswer(`"${where}${field}" is ${kindOf(value)}, not ${expected}`);
  // Written into lines as they are (an offboarding's removals: `failed remove acme: …`).
  for (const field of ['kind', 'status', 'hubId'] as const) if (task[field] !== undefined && task[field] !== null && typeof task[field] !== 'string') throw wrong(field, task[field], 'a string');
  if (task.summary !== undefined && task.summary !== null && typeof task.summary !== 'string') throw wrong('summary', task.summary, 'a string');
  if (task.lastError !== undefined && task.lastError !== null) {
    if (!isObject(task.lastError)) throw wrong('lastError', task.lastError, 'an object');
    if (typeof task.lastError.message !== 'string') throw wrong('lastError.message', task.lastError.message, 'a string');
  }
  if (task.progress !== undefined && task.progress !== null) {
    if (!isObject(task.progress)) throw wrong('progress', task.progress, 'an object');
    for (const field of ['done', 'total'] as const) if (typeof task.progress[field] !== 'number') throw wrong(`progress.${field}`, task.progress[field], 'a number');
  }
}

/**
 * A followed task as one line (`task 7 check: failed (…)`), above what it found: its error is the
 * app's text (it may quote a member's name), so each value is kept to one line (`inLine`).
 */
export const taskLine = (t: TaskView) => `task ${inLine(t.id)} ${inLine(t.kind)}: ${inLine(t.status)}${t.lastError ? ` (${inLine(t.lastError.message)})` : ''}`;

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
  // Ctrl-C while waiting: the bar hid the cursor and turned line wrapping off (cli-progress's
  // hideCursor, linewrap: false), and node's default exit on SIGINT left the admin's terminal so.
  // It is put back, and the line says the task goes on: stopping the wait cancels nothing.
  const interrupted = (signal: NodeJS.Signals) => {
    if (started) bar.stop();
    process.stderr.write(`hubwarden: stopped waiting; task ${escapeForTerminal(taskId)} goes on in hubwarden (hubwarden tasks)\n`);
    // 128 + the signal's number, as a shell reports a command a signal ended.
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    for (;;) {
      const task = await client.get<TaskView>(`/tasks/${seg(taskId)}`);
      stringOf(task, 'status');
      checkTaskText(task);
      const progress: Partial<NonNullable<TaskView['progress']>> = task.progress && typeof task.progress === 'object' ? task.progress : {};
      const total = typeof progress.total === 'number' && progress.total > 0 ? progress.total : 1;
      const done = typeof progress.done === 'number' ? progress.done : 0;
      // Drawn on the admin's terminal: a phase from the server is shown escaped.
      const phase = escapeForTerminal(String(progress.phase ?? task.status));
      if (!started) {
        bar.start(total, done, { phase });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { phase });
      }
      // Its error is printed (`check for updates of acme failed: …`): scrubbed as a problem's
      // detail is, so an error that quotes the request's Authorization header never shows the token.
      if (FINISHED.has(task.status)) return task.lastError ? { ...task, lastError: { ...task.lastError, message: client.scrub(task.lastError.message) } } : task;
      await sleep(intervalMs);
    }
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    if (started) bar.stop();
  }
}
