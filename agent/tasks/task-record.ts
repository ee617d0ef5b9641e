import type { TaskRetryMark, TaskStatus, TaskView } from '../api.ts';
import type { Trigger } from '../desired-state/delta.ts';
import type { Store } from '../store/store.ts';
import { retryRefusal } from './retry-rule.ts';

/**
 * One unit of work in the durable task queue (collection `tasks`, partition = hub id, or '' for
 * work that belongs to no hub). Records are replaced whole on every transition, inside store
 * transactions, so a crash leaves each task in its last durable state: a `running` task whose
 * lease expired is taken again by the next worker.
 */
export interface TaskRecord {
  id: string;
  /** '' when the task belongs to no hub (e.g. an offboarding parent). */
  hubId: string;
  /** Handler name: `reconcile-person`, `invite`, `check-for-updates`… */
  kind: string;
  status: TaskStatus;
  /** Unfinished tasks are unique per key (`taskKeys`); a retry never creates a second task. */
  idempotencyKey: string;
  payload: unknown;
  summary: string;
  trigger: Trigger;
  /** Attempts started (incremented, durably, before each run). */
  attempts: number;
  /**
   * Attempts that recorded an outcome. When `attempts` is ahead of it on the next run, the last
   * run was interrupted (crash, kill -9) after the lease was taken: a change may or may not have
   * reached the app, so handlers check the app before acting again.
   */
  attemptsEnded: number;
  /**
   * Ended attempts that certainly changed nothing in the app (refused by it, or nothing sent;
   * ConnectorErrorDetails.notApplied). While every earlier attempt was refused, the next one is
   * as clean as a first (operation-handler.ts, cleanFirstAttempt).
   */
  attemptsRefused?: number;
  /**
   * Ended attempts that only had to wait: rate-limited, or the hub paused. They spend none of the
   * attempts a backoff rule allows (retry-policy.ts): waiting out a throttle is no failure.
   */
  attemptsWaited?: number;
  /**
   * An invite task with an attempt whose outcome is unknown (it may have reached the app) is
   * unsettled until the invite is looked up: filed under its person in `tasks.unsettledInvite`
   * (operations/unsettled-invites.ts), and no invite for that person at another email goes out
   * meanwhile. Set when another task settled it (what the look-up found, and which task looked).
   */
  settled?: { at: string; found: 'invite' | 'member' | 'none'; by: string };
  /** When a queued or waiting task may run (ISO); absent = now. */
  nextRunAt?: string;
  /** Why it waits: `rate-limited invite:123`, `settle`, `backoff`, `hub paused`, `children`. */
  waitReason?: string;
  /** Rate-limit scope of the calls this task makes (`invite:<businessId>`, `app`…). */
  scope?: string;
  lease?: { owner: string; until: string };
  /**
   * Bumped when a new request is folded into this unstarted task (enqueue with reuse
   * `unstarted`), so a leaseless run that read the state before it runs again (task-runner.ts).
   */
  revision?: number;
  /**
   * A task to queue in the transaction that records this one's end: asked for while it ran, by a
   * change its attempt may have acted before (enqueue-operation.ts). Kept until then.
   */
  followUp?: FollowUp;
  /**
   * `providerCode`: the app's own code for the refusal (ConnectorError.providerCode), when the app
   * answered: an invite the app refused for good holds the same invite's later tasks
   * (operation-handler.ts `refusedEarlier`). Not shown in the task's view (its message names it).
   */
  lastError?: { kind: string; message: string; providerCode?: string };
  /**
   * A failed task an owner retried (retry-task.ts): who, when, why, and the task it queued. It
   * holds no later task of the same change any more (operation-handler.ts `refusedEarlier`).
   */
  retried?: TaskRetryMark;
  /**
   * When a later task of the same change was first held by this failed one (operation-handler.ts
   * `refusedEarlier`): that hold was audited then, and later holds by it write nothing.
   */
  holdAudited?: string;
  parentId?: string;
  /**
   * Other parents waiting for this task: a parent that asked for the same operation while this
   * task was still unfinished got this task instead of a second one (enqueue-operation.ts), and
   * waits for it like for its own children (an offboarding must not complete while the removal it
   * asked for is still queued under an earlier parent).
   */
  waiters?: string[];
  progress?: { done: number; total: number; phase?: string };
  result?: unknown;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  completedAt?: string;
}

/** What `followUp` queues (enqueue.ts, with reuse `unstarted`), on the task's own hub. */
export interface FollowUp {
  kind: string;
  payload: unknown;
  idempotencyKey: string;
  summary: string;
  trigger: Trigger;
}

/** Maps an unfinished task's idempotency key to it (partition = hub id; id = the key). */
export interface TaskKeyRecord {
  key: string;
  taskId: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    tasks: TaskRecord;
    taskKeys: TaskKeyRecord;
  }
}

/** Store index of tasks by hub and idempotency key, finished ones included (see `earlierAttempts`). */
export const TASK_KEY_INDEX = 'tasks.key';

const keyIndexDefined = new WeakSet<Store>();

/**
 * Defines TASK_KEY_INDEX (once per store): the task runner and the agent API (an offboarding's
 * earlier runs, dispatch/offboard-repeat.ts) read it, and a lookup of an index not defined fails.
 */
export function defineTaskKeyIndex(store: Store): void {
  if (keyIndexDefined.has(store)) return;
  keyIndexDefined.add(store);
  store.defineIndex('tasks', TASK_KEY_INDEX, (t, hubId) => [taskKeyOf(hubId, t.idempotencyKey)]);
}

export function taskKeyOf(hubId: string, key: string): string {
  return `${hubId}\u0000${key}`;
}

export const FINISHED: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled']);

export function isFinished(task: Pick<TaskRecord, 'status'>): boolean {
  return FINISHED.has(task.status);
}

export function toTaskView(t: Readonly<TaskRecord>): TaskView {
  return {
    id: t.id,
    hubId: t.hubId || undefined,
    kind: t.kind,
    status: t.status,
    trigger: t.trigger,
    summary: t.summary,
    attempts: t.attempts,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    nextRunAt: t.nextRunAt,
    startedAt: t.startedAt,
    completedAt: t.completedAt,
    lastError: t.lastError ? { kind: t.lastError.kind, message: t.lastError.message } : undefined,
    parentId: t.parentId,
    progress: t.progress,
    result: t.result,
    ...(t.retried ? { retry: t.retried } : {}),
    ...(!t.retried && retryRefusal(t) === undefined ? { retryable: true as const } : {}),
  };
}
