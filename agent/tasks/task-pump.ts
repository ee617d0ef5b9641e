import type { TaskHandler } from './handler.ts';
import { CLAIM_AHEAD, DEFAULT_REQUESTS_PER_SECOND } from './runner-defaults.ts';
import { RequestBudget } from './request-budget.ts';
import { claimable, dueAt } from './task-transitions.ts';
import type { FleetShares } from './fleet-limits.ts';
import type { OutageNote } from './outage-note.ts';
import { dueIds, LOCAL, refOf, type RunnableIndex } from './runnable-index.ts';
import type { TaskRecord } from './task-record.ts';
import type { TaskRunnerOptions } from './runner-options.ts';

/** What the pump needs of its runner (task-runner.ts): its state, shared, and its launch. */
export interface TaskPumpDeps {
  o: TaskRunnerOptions;
  /** The runner's index of runnable tasks. */
  pending: RunnableIndex;
  /** Tasks launched and not yet given back, per slot key (a hub, or LOCAL): the runner's launch counts them. */
  slots: Map<string, number>;
  /** Tasks running in this process, by ref (runnable-index.ts `refOf`). */
  inflight: ReadonlyMap<string, Promise<void>>;
  handlers: ReadonlyMap<string, TaskHandler>;
  /** Fleet: this replica's shares of each hub's budget and concurrency. */
  shares?: FleetShares;
  /** Fleet: hubs whose call slots other replicas hold: a change to their record wakes the pump. */
  waitingForRoom: Set<string>;
  owner: string;
  clock: () => number;
  /** The store is shared by replicas (a lease of this owner is exclusive only when it is not). */
  fleet: boolean;
  concurrency: number;
  localConcurrency: number;
  outages: OutageNote;
  stopping: () => boolean;
  started: () => boolean;
  /** The index is being built at start: nothing is pumped until it is. */
  starting: () => Promise<void> | undefined;
  index: (t: Readonly<TaskRecord>) => void;
  /** Claims and runs `t`, holding a slot of `slotKey` (task-runner.ts `launch`). */
  launch: (t: Readonly<TaskRecord>, slotKey: string) => void;
}

/**
 * The task runner's pump: a pass over the due tasks of its index, hub by hub and rate-limit scope
 * by scope, that reads them again and launches those still claimable, within the hub's slots,
 * request budget and (on a store shared by replicas) its share of the fleet's limits; and when to
 * pass again (a change, a timer at the next run time, lease expiry or end of a block). A file of its
 * own for its size: task-runner.ts keeps the index, the launch of a task, and start and stop.
 */
export class TaskPump {
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private pumpQueued = false;
  /** A pump is running (it awaits reads); `pumpAgain`: something changed meanwhile, pump once more. */
  private pumping = false;
  private pumpAgain = false;
  private readonly budgets = new Map<string, RequestBudget>();
  /** The hub whose store-only task was launched last: the next pass starts with the hub after it (`hubOrder`). */
  private lastLocal?: string;
  private readonly o: TaskRunnerOptions;
  private readonly pending: RunnableIndex;
  private readonly slots: Map<string, number>;
  private readonly inflight: ReadonlyMap<string, Promise<void>>;
  private readonly handlers: ReadonlyMap<string, TaskHandler>;
  private readonly shares?: FleetShares;
  private readonly waitingForRoom: Set<string>;
  private readonly owner: string;
  private readonly clock: () => number;
  private readonly fleet: boolean;
  private readonly concurrency: number;
  private readonly localConcurrency: number;
  private readonly outages: OutageNote;

  constructor(private readonly d: TaskPumpDeps) {
    this.o = d.o;
    this.pending = d.pending;
    this.slots = d.slots;
    this.inflight = d.inflight;
    this.handlers = d.handlers;
    this.shares = d.shares;
    this.waitingForRoom = d.waitingForRoom;
    this.owner = d.owner;
    this.clock = d.clock;
    this.fleet = d.fleet;
    this.concurrency = d.concurrency;
    this.localConcurrency = d.localConcurrency;
    this.outages = d.outages;
  }

  private get stopping(): boolean {
    return this.d.stopping();
  }

  private get started(): boolean {
    return this.d.started();
  }

  private get starting(): Promise<void> | undefined {
    return this.d.starting();
  }

  private index(t: Readonly<TaskRecord>): void {
    this.d.index(t);
  }

  private launch(t: Readonly<TaskRecord>, slotKey: string): void {
    this.d.launch(t, slotKey);
  }

  /** No pass is queued or running (the runner's `idle`). */
  get idle(): boolean {
    return !this.pumpQueued && !this.pumping;
  }

  /** The runner stops: no timer wakes a pass any more (a stopping runner pumps nothing either). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  /** Re-reads the clock and runs what is due (after a simulated clock jumped ahead). */
  poke(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.schedulePump();
  }

  schedulePump(): void {
    if (this.pumpQueued || this.stopping || !this.started || this.starting) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      void this.runPump();
    });
  }

  /** One pump at a time (a pump awaits reads); a wake-up during one runs another right after it. */
  private async runPump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        await this.pump();
      } while (this.pumpAgain && !this.stopping && this.started);
      this.outages.ok('reading the due tasks');
    } catch (err) {
      // A failed read (the store is failing): try again shortly rather than stall; logged when
      // the reads start failing and when they work again, not every second of an outage.
      this.outages.failed('reading the due tasks', err);
      this.wakeAt(this.clock() + 1_000);
    } finally {
      this.pumping = false;
    }
  }

  private wakeAt(at: number): void {
    if (!Number.isFinite(at) || this.stopping) return;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.runPump();
    }, Math.max(0, Math.min(at - this.clock(), 2 ** 31 - 1)));
  }

  private budget(hubId: string): RequestBudget {
    let b = this.budgets.get(hubId);
    const perSecond = this.o.requestsPerSecondPerHub ?? DEFAULT_REQUESTS_PER_SECOND;
    if (!b) this.budgets.set(hubId, (b = new RequestBudget(perSecond, Math.max(1, Math.min(DEFAULT_REQUESTS_PER_SECOND, perSecond)), this.clock)));
    return b;
  }

  private async pump(): Promise<void> {
    if (this.stopping || !this.started) return;
    const now = this.clock();
    let next = Infinity;
    for (const hubId of this.hubOrder()) {
      const scopes = this.pending.byHub.get(hubId);
      if (!scopes) continue;
      // Asked for with the first due tasks' records below, so both go in one round trip on
      // PostgreSQL (read-batch.ts): one fewer turn between an invite queued and its start.
      const readAt = this.clock();
      // A hub taken out of the config holds its tasks no longer, paused or not: nothing would ever
      // resume it, and they waited for good, neither done nor reported failed. They run and end as
      // their handlers end a task of a hub not configured (failed, audited).
      const pausedRead = hubId === '' ? Promise.resolve(false) : this.o.store.get('hubStates', '', hubId).then((s) => this.pending.notePaused(hubId, s?.paused === true && this.o.hubs().has(hubId), readAt));
      pausedRead.catch(() => {}); // not awaited when every scope is blocked: nothing is launched then, so its failure is moot
      for (const [scope, tasks] of scopes) {
        const local = scope === LOCAL;
        const slotKey = local ? LOCAL : hubId;
        const limit = local ? this.localConcurrency : this.concurrency * CLAIM_AHEAD;
        const blockedUntil = this.pending.blockedUntil(hubId, scope);
        if (blockedUntil > now) { next = Math.min(next, blockedUntil); continue; }
        // While a hub is paused only its tasks that run paused (the check for updates) are read
        // and launched; the rest wait for the resume unread. Before, every pass read the records
        // of the paused hub's whole backlog (a batch per claim-ahead room) only to skip each one,
        // and every other hub's task waited for that pass, for as long as the token stayed
        // unfixed. A hub found paused at the last pass is asked first; another in the same round
        // trip as its first due tasks (one batch read before the pause is known, at most).
        const room = limit - (this.slots.get(slotKey) ?? 0);
        const whilePaused = (id: string) => this.pending.runsWhilePaused(hubId, id);
        const [ahead, paused] = hubId !== '' && this.pending.seenPausedLast(hubId)
          ? await pausedRead.then(async (p): Promise<[Map<string, Readonly<TaskRecord> | undefined>, boolean]> => [await this.readDue(hubId, tasks, now, room, undefined, p ? whilePaused : undefined), p])
          : await Promise.all([this.readDue(hubId, tasks, now, room), pausedRead]);
        if (this.stopping || !this.started) return;
        for (const [id, due] of tasks) {
          if ((this.slots.get(slotKey) ?? 0) >= limit) break;
          if (due > now) { next = Math.min(next, due); continue; }
          if (paused && !ahead.has(id) && !whilePaused(id)) continue;
          if (!ahead.has(id)) {
            // Indexed after this pass read the due tasks (queued meanwhile), or reached because
            // slots freed while the pass awaited: this one and the due ones after it are read
            // together. Read one at a time, a burst's pass went on for seconds, a round trip per
            // task, while every invite queued meanwhile waited for it (the provision benchmark's
            // p99 of 1.6-4.5 s in about one run in ten).
            await this.readDue(hubId, tasks, now, limit, ahead, paused ? whilePaused : undefined);
            if (this.stopping || !this.started) return;
          }
          const t = ahead.get(id);
          // A notification re-indexed or dropped it while the read ran: that entry is the newer one.
          if (tasks.get(id) !== due) continue;
          if (!t || !claimable(t, now, this.owner, !this.fleet)) {
            // Not runnable as it is now (the index entry was older than the record): index it by
            // what it is (a later run time), or drop it.
            tasks.delete(id);
            if (t) { const d = dueAt(t, this.owner); if (d !== undefined && d > now) { this.index(t); next = Math.min(next, d); } }
            continue;
          }
          // Never twice at once in this process: our own lapsed lease is claimable (task-transitions.ts).
          if (this.inflight.has(refOf(hubId, id))) { tasks.delete(id); continue; }
          if (paused && !this.handlers.get(t.kind)?.runsWhilePaused) continue;
          // The scope may have been rate-limited while this loop awaited a read: a task launched
          // now would only be claimed and handed back. On PostgreSQL, where each read is a round
          // trip, one pass launched every queued invite of a blocked scope that way (thousands of
          // claims and undos while the block lasted).
          const blockedNow = this.pending.blockedUntil(hubId, scope);
          if (blockedNow > this.clock()) { next = Math.min(next, blockedNow); break; }
          if (!local && this.shares) {
            // A call slot and a token of this replica's share of the hub (reserved in the store).
            const share = await this.shares.take(hubId, dueIds(tasks, now, limit - (this.slots.get(slotKey) ?? 0)).length);
            if (this.stopping || !this.started) { if (share.retryAt === 0) this.shares.ended(hubId); return; }
            if (share.retryAt !== 0) {
              if (share.full) this.waitingForRoom.add(hubId);
              next = Math.min(next, share.full ? this.clock() + (this.o.pollMs ?? 2_000) : share.retryAt);
              break;
            }
            if (tasks.get(id) !== due) { this.shares.ended(hubId); continue; } // re-indexed while reserving
          } else if (!local && !this.budget(hubId).take()) { next = Math.min(next, now + this.budget(hubId).waitMs()); break; }
          tasks.delete(id);
          if (local) this.lastLocal = hubId;
          this.launch(t, slotKey);
        }
      }
    }
    this.wakeAt(next);
  }

  /**
   * The hubs in the order this pass serves them: from the one after the hub whose store-only task
   * was launched last, round robin. Store-only tasks of every hub share one cap per process
   * (`localConcurrency`); passed over in a fixed order, each slot that freed went to the first
   * hub again, and one hub's backlog of re-plans ran whole before another hub's re-plan started.
   * Only the order of the hubs turns: a hub's own tasks keep theirs, and a pass reads what it read.
   */
  private hubOrder(): string[] {
    const hubs = [...this.pending.byHub.keys()];
    const last = this.lastLocal === undefined ? -1 : hubs.indexOf(this.lastLocal);
    return last < 0 ? hubs : [...hubs.slice(last + 1), ...hubs.slice(0, last + 1)];
  }

  /**
   * The records of the first `room` due tasks of a scope not in `into` yet, read at once and
   * added to it: one read per task was a round trip each on PostgreSQL, and launching a burst's
   * 900 invites waited on them in turn.
   */
  private async readDue(hubId: string, tasks: ReadonlyMap<string, number>, now: number, room: number, into = new Map<string, Readonly<TaskRecord> | undefined>(), only?: (id: string) => boolean): Promise<Map<string, Readonly<TaskRecord> | undefined>> {
    const ids = dueIds(tasks, now, room, into, only);
    const records = await this.o.store.getMany('tasks', hubId, ids);
    ids.forEach((id, n) => into.set(id, records[n]));
    return into;
  }
}
