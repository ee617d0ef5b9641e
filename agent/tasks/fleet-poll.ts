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
 * The open tasks are read again only once this many times the last read's duration has passed
 * (and never more often than `pollMs`): the read takes at most about 1/20 of the replica's time.
 * Measured on PostgreSQL (`npm run bench -- open-tasks`, 2 cores, docs/benchmarks.md): 4,000
 * open tasks read in 54-87 ms with 48-83 ms of this process's CPU, 40,000 in 0.72-0.78 s with
 * 0.57-0.59 s: every `pollMs` (2 s), about 30% of a core for the read alone, on every replica, for
 * as long as a rollout of 40,000 people waits out Meta's daily invite limit (weeks). Open tasks
 * change only as their notifications say (or a replica dies between a commit and its
 * announcement, or the feed was cut: read at once, below).
 */
const READ_SPACING = 20;

/**
 * On a store shared by replicas, the runner's look at the store besides its change
 * notifications: every `pollMs` it renews this replica's share of the hubs' limits and reads the
 * rate-limit blocks any replica recorded, and reads the open tasks (store index) every `pollMs`,
 * or less often when that read is long (READ_SPACING), and at once after the change feed was
 * cut (`Store.subscribeMissed`). So a notification lost while the feed reconnected is made up
 * for at the next tick, and one lost with a replica that died between its commit and its
 * announcement within `pollMs` or the spacing (task-runner.ts, TaskRunnerOptions.pollMs). A
 * lease left by a replica killed mid-task needs no read: the claim's notification indexed the
 * task under its lease's end (runnable-index.ts).
 */
export class FleetPoll {
  private timer?: NodeJS.Timeout;
  /** A poll is reading: tasks a notification touched meanwhile keep what the notification said. */
  private touchedSincePoll?: Set<string>;
  /**
   * When the open tasks may be read next (`performance.now()` ms, monotonic); 0: at the next
   * tick. Not the runner's clock: a wall clock stepped back (NTP), or a simulated one that stands
   * still, would put the next read off for as long, and a notification lost with a replica that
   * died would then never be made up for.
   */
  private readOpenAt = 0;
  private unsubscribeMissed?: () => void;

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
    // The feed was cut: notifications sent meanwhile are lost; the next tick reads the open tasks.
    this.unsubscribeMissed = this.d.store.subscribeMissed?.(() => (this.readOpenAt = 0));
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
    this.unsubscribeMissed?.();
    this.unsubscribeMissed = undefined;
  }

  private async poll(): Promise<void> {
    await this.d.shares?.renew();
    await this.readBlocks();
    if (performance.now() >= this.readOpenAt) await this.readOpen();
    // Every tick, as before the open tasks' read was spaced: the shares renewed may leave room.
    this.d.schedulePump();
  }

  /** The open tasks into the runner's index, where a notification did not already put them as they are. */
  private async readOpen(): Promise<void> {
    const { pending } = this.d;
    const touched = new Set<string>();
    this.touchedSincePoll = touched;
    try {
      const startedAt = performance.now();
      // Due again from now: a cut feed noted while this read runs asks for the next one.
      this.readOpenAt = Infinity;
      let open: Array<Readonly<TaskRecord>>;
      try {
        open = await this.d.store.lookup('tasks', FLEET_INDEX, 'open');
      } catch (err) {
        this.readOpenAt = 0;
        throw err;
      }
      if (this.readOpenAt === Infinity) this.readOpenAt = performance.now() + Math.max(this.d.pollMs, READ_SPACING * (performance.now() - startedAt));
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
  }
}
