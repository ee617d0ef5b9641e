/**
 * Preloaded into every replica the multi-replica suite starts (`--import`, see fleet.ts): when
 * the test process that started the replica is gone (killed by the runner's timeout, crashed,
 * Ctrl-C), the replica goes too. Otherwise an orphan would keep its schedules running and its
 * connections open against the shared PostgreSQL long after the suite, since the suite's
 * `after` hook never ran.
 *
 * Node keeps `process.ppid` as read at start, so the parent is asked for instead: on Linux the
 * 4th field of /proc/self/stat is the current parent (proc(5)), which changes when the orphan
 * is reparented; elsewhere, whether the parent PID still exists (kill(2) with signal 0).
 */
import { readFileSync } from 'node:fs';

const parent = process.ppid;

function parentGone(): boolean {
  try {
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== parent;
  } catch {
    try {
      process.kill(parent, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
}

setInterval(() => {
  if (parentGone()) process.kill(process.pid, 'SIGKILL');
}, 500).unref();
