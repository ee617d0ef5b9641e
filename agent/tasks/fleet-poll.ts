import type { Store } from '../store/store.ts';
import { FLEET_INDEX, type FleetShares } from './fleet-limits.ts';
import type { TaskLog } from './handler.ts';
import type { OutageNote } from './outage-note.ts';
import { refOf, type RunnableIndex } from './runnable-index.ts';
import { dueAt } from './task-transitions.ts';
import type { TaskRecord } from './task-record.ts';
import { readScopeBlocks } from './scope-blocks.ts';

export interface FleetPollDeps {
  store: Store;
  /** The runner's index, where open tasks and blocks go. */
  pending: RunnableIndex;
  shares?: FleetShares;
  owner: string;
  pollMs: number;
  log: TaskLog;
  /** A failing poll is logged when it starts failing and when it works again (outage-note.ts). */
  outages: OutageNote;
  clock: () => number;
  /** The runner is started and not stopping. */
  running: () => boolean;
  /** A re-read or a run of the task is under way in the runner: what it finds is newer. */
  busy: (ref: string) => boolean;
  index: (t: Readonly<TaskRecord>) => void;
  /** A rate-limit block recorded in the store: into the index and to the hub's connector (index-feed.ts). */
  noteBlock: (hubId: string, scope: string, until: number) => void;
  schedulePump: () => void;
}

/**
 * On a store shared by replicas, the runner's look at the store besides its change
 * notifications: every `pollMs` it renews this replica's share of the hubs' limits and reads the
 * open tasks (store index) and the rate-limit blocks any replica recorded, so a notification lost
 * while the feed reconnected, or a lease left by a replica killed mid-task, is found within
 * `pollMs` (task-runner.ts, TaskRunnerOptions.pollMs).
 */
export class FleetPoll {
  private timer?: NodeJS.Timeout;
  /** A poll is reading: tasks a notification touched meanwhile keep what the notification said. */
  private touchedSincePoll?: Set<string>;

  constructor(private readonly d: FleetPollDeps) {}

  /** A notification about the task came in: a poll under way leaves it as the notification said. */
  touched(ref: string): void {
    this.touchedSincePoll?.add(ref);
  }

  /**
   * The rate-limit blocks recorded by any replica, into the index and to the hub's connector: a
   * block whose notification this replica never got (recorded before it started, or while its
   * feed reconnected) must stop its connector's calls into the scope too, not only its tasks of
   * that scope (a throttled business or ad account has no task of its own).
   */
  async readBlocks(): Promise<void> {
    await readScopeBlocks(this.d.store, this.d.clock(), (hubId, scope, until) => this.d.noteBlock(hubId, scope, until));
  }

  start(): void {
    if (this.timer || !this.d.running()) return;
    let polling = false;
    this.timer = setInterval(() => {
      if (polling || !this.d.running()) return;
      polling = true;
      this.poll().then(() => this.d.outages.ok('poll'), (err: unknown) => this.d.outages.failed('poll', err)).finally(() => (polling = false));
    }, this.d.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    const { pending } = this.d;
    await this.d.shares?.renew();
    const touched = new Set<string>();
    this.touchedSincePoll = touched;
    try {
      await this.readBlocks();
      const open = await this.d.store.lookup('tasks', FLEET_INDEX, 'open');
      if (!this.d.running()) return;
      for (const t of open) {
        const ref = refOf(t.hubId, t.id);
        // A notification or re-read since the poll began knows better; a task in flight is ours.
        if (touched.has(ref) || this.d.busy(ref)) continue;
        // Indexed as it is: leave it (re-adding would move it behind newer tasks).
        if (pending.dueOf(t.hubId, t.id) === dueAt(t, this.d.owner)) continue;
        pending.remove(t.hubId, t.id);
        this.d.index(t);
      }
    } finally {
      if (this.touchedSincePoll === touched) this.touchedSincePoll = undefined;
    }
    this.d.schedulePump();
  }
}
