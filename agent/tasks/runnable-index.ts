import type { TaskRecord } from './task-record.ts';
import { dueAt } from './task-transitions.ts';

/** A task's key in the runner's maps (in flight, re-reads, notifications seen): `hub\0id`. */
export const refOf = (hubId: string, id: string): string => `${hubId}\u0000${id}`;

/** The scope of tasks that call nothing outside the store (TaskHandler.local): no call permit, no hub budget. */
export const LOCAL = '\u0000local';

/** The app's own budget (the default scope, connectors/sdk/definition.ts `rateLimitScope`): every call counts against it. */
export const APP = 'app';

/**
 * The runner's in-memory view of runnable tasks: per hub, per rate-limit scope, task id → due
 * time (epoch ms), in insertion order (FIFO). A scope blocked by a rate limit is skipped whole,
 * so thousands of invites waiting out Meta's invite limit cost nothing per wake-up.
 */
export class RunnableIndex {
  readonly byHub = new Map<string, Map<string, Map<string, number>>>();
  private readonly blocked = new Map<string, number>();

  /**
   * Per hub, the indexed tasks whose handler runs while the hub is paused (TaskHandler.runsWhilePaused:
   * the check for updates). While a hub is paused the pump reads and launches only these: the rest
   * of its backlog waits for the resume unread (task-pump.ts).
   */
  private readonly whilePaused = new Map<string, Set<string>>();

  add(t: Readonly<TaskRecord>, scope: string, owner: string, reclaimAt?: number, runsWhilePaused = false): void {
    let due = dueAt(t, owner);
    if (due === undefined && reclaimAt !== undefined && t.status === 'running') due = reclaimAt;
    if (due === undefined) return;
    if (runsWhilePaused) {
      let ids = this.whilePaused.get(t.hubId);
      if (!ids) this.whilePaused.set(t.hubId, (ids = new Set()));
      ids.add(t.id);
    }
    let scopes = this.byHub.get(t.hubId);
    if (!scopes) this.byHub.set(t.hubId, (scopes = new Map()));
    let tasks = scopes.get(scope);
    if (!tasks) scopes.set(scope, (tasks = new Map()));
    tasks.set(t.id, due);
  }

  /** The due time the task is indexed under, or undefined when it is not indexed. */
  dueOf(hubId: string, id: string): number | undefined {
    for (const tasks of this.byHub.get(hubId)?.values() ?? []) {
      const due = tasks.get(id);
      if (due !== undefined) return due;
    }
    return undefined;
  }

  remove(hubId: string, id: string): void {
    const scopes = this.byHub.get(hubId);
    if (scopes) for (const tasks of scopes.values()) tasks.delete(id);
    this.whilePaused.get(hubId)?.delete(id);
  }

  clear(): void {
    this.byHub.clear();
    this.whilePaused.clear();
  }

  /** Whether the task was indexed as one that runs while its hub is paused. */
  runsWhilePaused(hubId: string, id: string): boolean {
    return this.whilePaused.get(hubId)?.has(id) ?? false;
  }

  /** Forgets the hub's tasks that run while paused and are no longer indexed (launched, or dropped by the pump). */
  private pruneWhilePaused(hubId: string): void {
    const ids = this.whilePaused.get(hubId);
    if (!ids) return;
    for (const id of ids) if (this.dueOf(hubId, id) === undefined) ids.delete(id);
    if (ids.size === 0) this.whilePaused.delete(hubId);
  }

  /**
   * Hubs paused by an attempt of this runner: since when it was noted, and when the attempt's
   * outcome (the pause) was committed (Infinity until then), epoch ms. Kept until a read of the
   * hub's state begun after that commit says otherwise.
   */
  private readonly paused = new Map<string, { at: number; recorded: number }>();

  /**
   * An attempt here met a refused credential: the hub's tasks already claimed and waiting for a
   * call permit must not call (attempt-run.ts), before the pause is even committed.
   */
  pause(hubId: string, at: number): void {
    this.paused.set(hubId, { at, recorded: Infinity });
  }

  /** The attempt that noted the pause has recorded its outcome (or failed to): reads begun after `at` know. */
  pauseRecorded(hubId: string, at: number): void {
    const p = this.paused.get(hubId);
    if (p && p.recorded === Infinity) this.paused.set(hubId, { ...p, recorded: at });
  }

  /**
   * A read of the hub's state begun at `readAt` (epoch ms) found it paused or not; a pause not
   * recorded before it began stands. Whether the hub is to be taken as paused.
   */
  notePaused(hubId: string, paused: boolean, readAt: number): boolean {
    const p = this.paused.get(hubId);
    if (!paused && p && p.recorded < readAt) this.paused.delete(hubId);
    this.pruneWhilePaused(hubId);
    const now = paused || this.paused.has(hubId);
    if (now) this.seenPaused.add(hubId);
    else this.seenPaused.delete(hubId);
    return now;
  }

  /** Hubs the last read of their state found paused: the pump learns whether they still are before it reads their tasks. */
  private readonly seenPaused = new Set<string>();

  /** Whether the last read of the hub's state (notePaused) found it paused, or an attempt here paused it since. */
  seenPausedLast(hubId: string): boolean {
    return this.seenPaused.has(hubId) || this.paused.has(hubId);
  }

  isPaused(hubId: string): boolean {
    return this.paused.has(hubId);
  }

  block(hubId: string, scope: string, until: number): void {
    this.blocked.set(`${hubId}\u0000${scope}`, until);
  }

  /**
   * When the scope's block ends (0: not blocked). A block on `app` holds every scope that calls
   * the app: the app-level limit counts all of the app's calls, invites included (Meta code 4,
   * or 613, which POST business_users may return,
   * https://developers.facebook.com/docs/graph-api/overview/rate-limiting: "continued calls
   * extend the block"). Before, an invite throttled with 613 held role changes and removals
   * while the other invites went on calling into the throttle.
   */
  blockedUntil(hubId: string, scope: string): number {
    const own = this.blocked.get(`${hubId}\u0000${scope}`) ?? 0;
    if (scope === LOCAL || scope === APP) return own;
    return Math.max(own, this.blocked.get(`${hubId}\u0000${APP}`) ?? 0);
  }

  /** Is any task runnable at `now`? */
  hasDue(now: number): boolean {
    for (const [hubId, scopes] of this.byHub) for (const [scope, tasks] of scopes) {
      if (this.blockedUntil(hubId, scope) > now) continue;
      for (const due of tasks.values()) if (due <= now) return true;
    }
    return false;
  }

  /** Whether the hub has app-calling tasks due at `now` (fleet shares are kept while it has). */
  hasDueCalls(hubId: string, now: number): boolean {
    for (const [scope, tasks] of this.byHub.get(hubId) ?? []) {
      if (scope === LOCAL || this.blockedUntil(hubId, scope) > now) continue;
      for (const due of tasks.values()) if (due <= now) return true;
    }
    return false;
  }

  /** When the next task becomes runnable (its due time or the end of its scope's block). */
  nextDueAt(): number | undefined {
    let next = Infinity;
    for (const [hubId, scopes] of this.byHub) for (const [scope, tasks] of scopes) {
      if (tasks.size === 0) continue;
      const blockedUntil = this.blockedUntil(hubId, scope);
      for (const due of tasks.values()) next = Math.min(next, Math.max(due, blockedUntil));
    }
    return Number.isFinite(next) ? next : undefined;
  }
}

/** The ids of a scope's tasks due by `now`, in index order, at most `cap` of them, none of those in `skip`, only those `only` admits. */
export function dueIds(tasks: ReadonlyMap<string, number>, now: number, cap: number, skip?: ReadonlyMap<string, unknown>, only?: (id: string) => boolean): string[] {
  const ids: string[] = [];
  if (cap > 0) for (const [id, due] of tasks) if (due <= now && !skip?.has(id) && (!only || only(id)) && ids.push(id) >= cap) break;
  return ids;
}
