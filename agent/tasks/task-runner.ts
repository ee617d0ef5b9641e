import { randomUUID } from 'node:crypto';
import type { TaskHandler } from './handler.ts';
import { CallPermits } from './call-permits.ts';
import { DEFAULT_CONCURRENCY_PER_HUB, DEFAULT_REQUESTS_PER_SECOND } from './runner-defaults.ts';
import { defineParentIndex } from './parent-tasks.ts';
import type { Claimant } from './attempt.ts';
import { runAttempt, type AttemptDeps } from './attempt-run.ts';
import { EndBatch } from './end-batch.ts';
import { ClaimBatch } from './claim-batch.ts';
import { defineFleetIndex, FleetShares } from './fleet-limits.ts';
import { FleetPoll } from './fleet-poll.ts';
import { TaskPump } from './task-pump.ts';
import { OutageNote } from './outage-note.ts';
import { IndexFeed } from './index-feed.ts';
import { LOCAL, refOf, RunnableIndex } from './runnable-index.ts';
import { handBackLeases, releaseAfterFailure } from './lease.ts';
import { defineTaskKeyIndex, type TaskRecord } from './task-record.ts';
import { defineRunningIndex } from './operations/running-for-person.ts';
import { defineHeldIndexes } from '../safety/held-indexes.ts';
import type { TaskRunnerOptions } from './runner-options.ts';

export type { TaskRunnerOptions } from './runner-options.ts';

/**
 * The durable queue's worker. Keeps an in-memory index of runnable tasks,
 * grouped per hub and rate-limit scope, rebuilt from the store at start and kept current by the
 * store's change notifications. Wakes on changes and on timers (next run time, lease expiry,
 * end of a rate-limit block). Every transition is a store transaction; the lease (and attempt
 * count) is durable before the handler makes any call, so after a kill -9 the next runner knows
 * the attempt may have reached the app.
 *
 * The index is a hint, never the truth: reads are asynchronous, so a task is read again before
 * it is taken (and the claim re-reads it in its transaction). A change committed by another
 * replica (`Change.remote`, without the record) is read again; so is a task when its attempt
 * ends. Of the reads and notifications about one task, the latest one wins (`rereads`,
 * index-feed.ts): a read started before a newer notification is dropped.
 *
 * On a store shared by replicas (`Store.shared`) the hub's request budget and concurrency are
 * shared through the store (this runner takes a share of them, fleet-limits.ts), and a
 * rate-limit block any replica records holds the scope here too (scope-blocks.ts; a pause is a
 * store record read before each pass already), so N replicas together stay within one hub's
 * limits; the runner also polls (`pollMs`), and takes another owner's lease only once it lapsed.
 */
export class TaskRunner {
  readonly owner = `runner-${randomUUID()}`;
  private readonly handlers: Map<string, TaskHandler>;
  private readonly clock: () => number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly localConcurrency: number;
  private readonly pending = new RunnableIndex();
  private readonly slots = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly aborts = new Map<string, AbortController>();
  private readonly permits: CallPermits;
  /** The store is shared by replicas: fleet-wide limits and a poll (see the class comment). */
  private readonly fleet: boolean;
  private readonly claimant: Claimant;
  /** Durable claims, taken together per loop iteration. */
  private readonly claims: ClaimBatch;
  /** How attempts ended, recorded together per loop iteration. */
  private readonly ends: EndBatch;
  /** Fleet: the poll of open tasks and rate-limit blocks (fleet-poll.ts). */
  private readonly fleetPoll?: FleetPoll;
  /** Fleet: this replica's shares of each hub's budget and concurrency. */
  private readonly shares?: FleetShares;
  /** Fleet: hubs whose call slots other replicas hold: a change to their record wakes the pump. */
  private readonly waitingForRoom = new Set<string>();
  /** The pass over the due tasks that launches them, and when it runs (task-pump.ts). */
  private readonly taskPump: TaskPump;
  private started = false;
  private stopping = false;
  /** The index is being built at start: notifications are taken, but nothing is pumped yet. */
  private starting?: Promise<void>;
  /** Keeps the index current: the start-up scan, notifications, re-reads (index-feed.ts). */
  private readonly feed: IndexFeed;
  private unsubscribe?: () => void;
  /** Recurring work that fails during an outage, logged when it starts and ends (outage-note.ts). */
  private readonly outages: OutageNote;
  /** At stop: claims that could not be handed back (the store refused), and why (see `stop`). */
  private readonly leftLeased = new Map<string, unknown>();
  /** What each attempt needs of this runner (attempt-run.ts). */
  private readonly attemptDeps: AttemptDeps;

  constructor(private readonly o: TaskRunnerOptions) {
    this.handlers = new Map(o.handlers.map((h) => [h.kind, h]));
    this.clock = o.clock ?? Date.now;
    this.outages = new OutageNote(o.log, this.clock);
    this.leaseMs = o.leaseMs ?? 30_000;
    this.concurrency = o.concurrencyPerHub ?? DEFAULT_CONCURRENCY_PER_HUB;
    this.localConcurrency = o.localConcurrency ?? 8;
    this.permits = new CallPermits(this.concurrency);
    this.fleet = o.store.shared === true;
    this.claimant = { owner: this.owner, clock: this.clock, leaseMs: this.leaseMs, exclusive: !this.fleet };
    this.claims = new ClaimBatch(o.store, this.claimant);
    this.ends = new EndBatch(o.store, this.claimant);
    this.attemptDeps = {
      store: o.store, handlers: this.handlers, hubs: o.hubs, connectorFor: o.connectorFor, configRevision: o.configRevision, log: o.log, clock: this.clock,
      claimant: this.claimant, claims: this.claims, permits: this.permits, pending: this.pending, aborts: this.aborts,
      scopeOf: (t) => this.scopeOf(t), stopping: () => this.stopping,
      leftLeased: (hubId, id, err) => { this.leftLeased.set(refOf(hubId, id), err); },
      backoff: { baseMs: o.backoffBaseMs ?? 250, maxMs: o.backoffMaxMs ?? 300_000, random: o.random },
      finish: (task, outcome, audits, seen) => this.ends.end({ task, outcome, audits, ...(seen ? { seen } : {}) }),
    };
    defineParentIndex(o.store);
    defineTaskKeyIndex(o.store);
    defineRunningIndex(o.store);
    defineHeldIndexes(o.store);
    this.feed = new IndexFeed({
      o, pending: this.pending, owner: this.owner, clock: this.clock, fleet: this.fleet, fleetPoll: () => this.fleetPoll,
      waitingForRoom: this.waitingForRoom, started: () => this.started, stopping: () => this.stopping,
      index: (t, reclaimAt) => this.index(t, reclaimAt), schedulePump: () => this.schedulePump(),
    });
    if (this.fleet) {
      defineFleetIndex(o.store);
      const perSecond = o.requestsPerSecondPerHub ?? DEFAULT_REQUESTS_PER_SECOND;
      this.shares = new FleetShares({
        store: o.store, claimant: this.claimant, log: o.log, outages: this.outages,
        limits: { perSecond, burst: Math.max(1, Math.min(DEFAULT_REQUESTS_PER_SECOND, perSecond)), concurrency: this.concurrency },
        hasDueWork: (hubId) => this.pending.hasDueCalls(hubId, this.clock()),
      });
      this.fleetPoll = new FleetPoll({
        store: o.store, pending: this.pending, shares: this.shares, owner: this.owner, pollMs: o.pollMs ?? 2_000, log: o.log, outages: this.outages, clock: this.clock,
        running: () => this.started && !this.stopping,
        busy: (ref) => this.feed.rereads.has(ref) || this.inflight.has(ref),
        index: (t) => this.index(t),
        noteBlock: (hubId, scope, until) => this.feed.noteBlock(hubId, scope, until),
        schedulePump: () => this.schedulePump(),
      });
    }
    this.taskPump = new TaskPump({
      o, pending: this.pending, slots: this.slots, inflight: this.inflight, handlers: this.handlers, shares: this.shares, waitingForRoom: this.waitingForRoom,
      owner: this.owner, clock: this.clock, fleet: this.fleet, concurrency: this.concurrency, localConcurrency: this.localConcurrency, outages: this.outages,
      stopping: () => this.stopping, started: () => this.started, starting: () => this.starting,
      index: (t) => this.index(t), launch: (t, slotKey) => this.launch(t, slotKey),
    });
  }

  register(handler: TaskHandler): void {
    this.handlers.set(handler.kind, handler);
  }

  /**
   * Builds the index from the store (read page by page) and starts taking tasks; resolves once
   * the index is built. Notifications are subscribed to first, so a change committed while the
   * store is read is not missed.
   */
  start(): Promise<void> {
    if (this.started) return this.starting ?? Promise.resolve();
    this.started = true;
    this.stopping = false;
    this.feed.touchedWhileStarting = new Set();
    this.unsubscribe = this.o.store.subscribe((changes) => this.feed.onChanges(changes));
    const starting = this.feed.buildIndex().then(
      () => {
        this.feed.touchedWhileStarting = undefined;
        if (this.starting === starting) this.starting = undefined;
        this.fleetPoll?.start();
        this.schedulePump();
      },
      (err: unknown) => {
        this.feed.touchedWhileStarting = undefined;
        if (this.starting === starting) this.starting = undefined;
        this.o.log.error(`task runner: reading the tasks at start failed: ${err instanceof Error ? err.message : String(err)}`);
        this.fleetPoll?.start();
        this.schedulePump();
        // On a shared store the poll reads the open tasks again within `pollMs`: the replica
        // starts anyway. Alone on its store, nothing else would find them: the start fails.
        if (!this.fleet) throw err;
      },
    );
    this.starting = starting;
    return starting;
  }

  /**
   * Stops taking tasks, asks running handlers to stop (AbortSignal), waits up to `graceMs` for
   * them, then hands back the leases of those still running (status queued again) so the next
   * start runs them at once; their next attempt is marked interrupted (check the app first).
   *
   * A store that refuses the hand-back (the database unreachable: replicas are stopped during
   * outages too) does not fail the stop: nothing is lost, the leases lapse after `leaseMs` and
   * the tasks run again then (on another replica, or here at the next start), interrupted. One
   * warning says so, with the hubs' call slots that lapse likewise; a failed stop would exit the
   * process 1 (scim-server/serve.ts) and skip closing the store.
   */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    this.leftLeased.clear();
    this.unsubscribe?.();
    this.fleetPoll?.stop();
    await this.starting?.catch(() => {});
    this.taskPump.stop();
    for (const a of this.aborts.values()) a.abort();
    const all = Promise.all([...this.inflight.values()]);
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timeout = setTimeout(r, graceMs)))]);
    if (timeout) clearTimeout(timeout);
    const running = [...this.inflight.keys()];
    await handBackLeases(this.o.store, this.owner, running.map((ref) => ref.split('\u0000') as [string, string]), this.clock)
      .catch((err: unknown) => { for (const ref of running) this.leftLeased.set(ref, err); });
    // Our leases are handed back: so is our share of the hubs' concurrency.
    const slots = await this.shares?.releaseAll().catch((err: unknown) => ({ hubs: ['?'], error: err }));
    if (this.leftLeased.size > 0 || (slots?.hubs.length ?? 0) > 0) {
      const why = [...this.leftLeased.values()][0] ?? slots?.error;
      const what = [
        ...(this.leftLeased.size > 0 ? [`${this.leftLeased.size} task lease(s) not handed back`] : []),
        ...(slots && slots.hubs.length > 0 ? [`call slots on ${slots.hubs.length} hub(s) not given back`] : []),
      ].join(' and ');
      this.o.log.warn(`task runner: stopped with ${what} (${why instanceof Error ? why.message : String(why)}); they lapse within ${Math.ceil(this.leaseMs / 1000)} s, and the tasks run again then (on another replica, or here at the next start), each marked interrupted so it checks the app first`);
      this.leftLeased.clear();
    }
    this.started = false;
    this.pending.clear();
    this.feed.rereads.clear();
  }

  /** Resolves when no task is runnable now and none is running (tests, benchmarks). */
  async idle(pollMs = 5): Promise<void> {
    await this.starting?.catch(() => {});
    for (;;) {
      if (this.inflight.size === 0 && this.taskPump.idle && this.feed.rereads.size === 0 && !this.pending.hasDue(this.clock())) return;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Tasks running now. */
  get running(): number {
    return this.inflight.size;
  }

  /**
   * Epoch ms when the next indexed task becomes runnable (its run time, lease expiry or the end
   * of its scope's rate-limit block), or undefined when nothing is waiting.
   */
  nextDueAt(): number | undefined {
    return this.pending.nextDueAt();
  }

  /** Re-reads the clock and runs what is due (after a simulated clock jumped ahead). */
  poke(): void {
    this.taskPump.poke();
  }

  private scopeOf(t: Readonly<TaskRecord>): string {
    const h = this.handlers.get(t.kind);
    if (h?.local) return LOCAL;
    return t.scope ?? 'app';
  }

  private index(t: Readonly<TaskRecord>, reclaimAt?: number): void {
    if (this.inflight.has(refOf(t.hubId, t.id))) return;
    this.pending.add(t, this.scopeOf(t), this.owner, reclaimAt, this.handlers.get(t.kind)?.runsWhilePaused === true);
  }

  private schedulePump(): void {
    this.taskPump.schedulePump();
  }

  /** Runs a task taken from the index (claimed first), holding a slot (and, on a fleet, a call slot of its hub's share). */
  private launch(t: Readonly<TaskRecord>, slotKey: string): void {
    const { hubId, id } = t;
    this.slots.set(slotKey, (this.slots.get(slotKey) ?? 0) + 1);
    const ref = refOf(hubId, id);
    // An attempt that could not record its outcome runs again a second later, or fails after a
    // few such attempts when the store is not to blame (lease.ts); a leaseless one, which wrote
    // nothing, passes the task as it read it.
    const leaseless = this.handlers.get(t.kind)?.leaseless === true;
    const afterFailure = (err: unknown) => releaseAfterFailure(this.o.store, this.claimant, hubId, id, err, this.o.log, leaseless ? t : undefined);
    // The slot bounds calls in flight, so it is handed back as soon as the handler returns,
    // not after its outcome's commit (an fsync): the next task's call overlaps that write. So is
    // the call slot of the fleet's share: held until the outcome's commit, it capped a replica at
    // 200 tasks between claim and commit, and the provision burst's invites waited for slots of
    // tasks whose calls were over (trace: 200 in flight, a few dozen calling).
    const shared = this.shares && slotKey !== LOCAL ? this.shares : undefined;
    let slotHeld = true;
    const releaseSlot = () => {
      if (!slotHeld) return;
      slotHeld = false;
      this.slots.set(slotKey, (this.slots.get(slotKey) ?? 1) - 1);
      shared?.ended(hubId);
      this.schedulePump();
    };
    const p = this.execute(t, releaseSlot).catch(afterFailure).finally(() => {
      this.inflight.delete(ref);
      releaseSlot();
      // Its last transition was seen while it was in flight: read it and index it now (a retry, a wait).
      if (!this.stopping) void this.feed.reread(hubId, id);
      this.schedulePump();
    });
    this.inflight.set(ref, p);
  }

  private execute(seen: Readonly<TaskRecord>, releaseSlot: () => void = () => {}): Promise<void> {
    return runAttempt(this.attemptDeps, seen, releaseSlot);
  }
}
