import type { Change } from '../store/store.ts';
import { FLEET_INDEX } from './fleet-limits.ts';
import type { FleetPoll } from './fleet-poll.ts';
import { refOf, type RunnableIndex } from './runnable-index.ts';
import { readScopeBlocks } from './scope-blocks.ts';
import type { TaskRecord } from './task-record.ts';
import type { TaskRunnerOptions } from './runner-options.ts';

/** What the feed needs of its TaskRunner (task-runner.ts). */
export interface IndexFeedDeps {
  o: TaskRunnerOptions;
  pending: RunnableIndex;
  owner: string;
  clock: () => number;
  /** The store is shared by replicas (TaskRunner's `fleet`). */
  fleet: boolean;
  fleetPoll: () => FleetPoll | undefined;
  /** Fleet: hubs whose call slots other replicas hold: a change to their record wakes the pump. */
  waitingForRoom: Set<string>;
  started: () => boolean;
  stopping: () => boolean;
  index: (t: Readonly<TaskRecord>, reclaimAt?: number) => void;
  schedulePump: () => void;
}

/**
 * Keeps a TaskRunner's index of runnable tasks current: built from the store at start, then
 * fed by the store's change notifications and by re-reads of a task (after another replica's
 * commit, after its attempt ended). Of the reads and notifications about one task, the latest
 * one wins (`rereads`): a read started before a newer notification is dropped.
 */
export class IndexFeed {
  /** Tasks a notification touched while the start-up scan ran: the scan's (maybe older) copy is skipped. */
  touchedWhileStarting?: Set<string>;
  /** The latest re-read of each task (hub\0id) still in flight; a newer notification or re-read replaces it. */
  readonly rereads = new Map<string, object>();

  constructor(private readonly d: IndexFeedDeps) {}

  async buildIndex(): Promise<void> {
    const d = this.d;
    const now = d.clock();
    if (d.fleet) {
      // Only the open tasks (store index), not every task kept; and the blocks other replicas saw.
      await d.fleetPoll()!.readBlocks();
      for (const t of await d.o.store.lookup('tasks', FLEET_INDEX, 'open')) {
        if (d.stopping()) return;
        if (!this.touchedWhileStarting?.has(refOf(t.hubId, t.id))) d.index(t);
      }
      return;
    }
    // The blocks recorded before a restart still hold their scopes (scope-blocks.ts).
    await readScopeBlocks(d.o.store, now, (hubId, scope, until) => this.noteBlock(hubId, scope, until));
    for (const hubId of await d.o.store.partitions('tasks')) {
      for await (const t of d.o.store.list('tasks', hubId)) {
        if (d.stopping()) return;
        // A notification about it came in meanwhile: that one is newer than what this read found.
        if (this.touchedWhileStarting?.has(refOf(t.hubId, t.id))) continue;
        if (t.status === 'running' && t.lease && t.lease.owner !== d.owner && d.o.reclaimLeasesOnStart !== false) d.index(t, now);
        else d.index(t);
      }
    }
  }

  onChanges(changes: readonly Change[]): void {
    const d = this.d;
    let touched = false;
    for (const c of changes) {
      if (c.collection === 'tasks') {
        const ref = refOf(c.partition, c.id);
        this.touchedWhileStarting?.add(ref);
        d.fleetPoll()?.touched(ref);
        if (c.remote) {
          // Another replica changed it (the record is not sent): read it again, never take it for a deletion.
          this.reread(c.partition, c.id);
          continue;
        }
        // This notification is newer than any read of the task still in flight.
        this.rereads.delete(ref);
        d.pending.remove(c.partition, c.id);
        if (c.record) d.index(c.record as TaskRecord);
        touched = true;
      } else if (c.collection === 'hubStates') touched = true;
      else if (c.collection === 'hubBudgets') {
        if (d.waitingForRoom.delete(c.id)) touched = true;
      } else if (c.collection === 'rateLimitBlocks') {
        // A throttle another replica (or this one) recorded: hold the scope here too.
        if (c.record) this.noteBlock(c.partition, c.id, Date.parse((c.record as { until: string }).until));
        else if (c.remote) void d.o.store.get('rateLimitBlocks', c.partition, c.id).then((b) => b && this.noteBlock(c.partition, c.id, Date.parse(b.until)), () => {});
      }
    }
    if (touched) d.schedulePump();
  }

  /** A block recorded in the store (read, or notified): held in the index and passed to the hub's connector. */
  noteBlock(hubId: string, scope: string, until: number): void {
    const d = this.d;
    if (until > d.clock() && until > d.pending.blockedUntil(hubId, scope)) d.pending.block(hubId, scope, until);
    // The hub's connector here refuses calls into it too: no task waits on some scopes (a
    // business or an ad account throttled: its calls come from tasks of other scopes), and
    // without this each replica called into the throttle once before its own connector knew.
    if (until > d.clock()) {
      try {
        d.o.connectorFor(hubId)?.honourBlock?.(scope, until);
      } catch (err) {
        d.o.log.warn('task runner: the connector did not take a rate-limit block', { hubId, scope, error: err instanceof Error ? err.message : String(err) });
      }
    }
    d.schedulePump();
  }

  /**
   * Reads a task again and indexes what it is now (after another replica's commit, after its
   * attempt ended). Only the latest read of a task counts: one overtaken by a newer read or a
   * notification is dropped.
   */
  reread(hubId: string, id: string): Promise<void> {
    const d = this.d;
    const ref = refOf(hubId, id);
    const token = {};
    this.rereads.set(ref, token);
    return d.o.store.get('tasks', hubId, id).then(
      (t) => {
        if (this.rereads.get(ref) !== token) return;
        this.rereads.delete(ref);
        if (d.stopping() || !d.started()) return;
        d.pending.remove(hubId, id);
        if (t) d.index(t);
        d.schedulePump();
      },
      (err: unknown) => {
        if (this.rereads.get(ref) === token) this.rereads.delete(ref);
        d.o.log.error(`task ${id}${hubId ? ` on hub ${hubId}` : ''}: could not read it again: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  }
}
