import type { HubConnector } from '../../connectors/sdk/connector.ts';
import type { HubConfigFile } from '../../config/schema.ts';
import type { AuditEntry } from '../api.ts';
import type { ConfigRevision } from '../audit/config-change.ts';
import type { Store, Transaction } from '../store/store.ts';
import type { EnqueueInput } from './enqueue.ts';
import type { TaskRecord } from './task-record.ts';

/** What a handler's audit entry needs; seq, at, hubId, trigger and taskId are filled in from the task. */
export type TaskAuditInput = Omit<AuditEntry, 'seq' | 'at' | 'trigger' | 'taskId' | 'hubId'> & Partial<Pick<AuditEntry, 'trigger' | 'hubId'>>;

export interface TaskLog {
  debug(msg: string, meta?: object): void;
  info(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
  error(msg: string, meta?: object): void;
}

/** What a running task may use. Everything a handler changes goes through `store`. */
export interface TaskContext {
  store: Store;
  /** The task's hub (undefined for tasks that belong to no hub). */
  hub?: HubConfigFile;
  /** The hub's connector (undefined for tasks that belong to no hub). */
  connector?: HubConnector;
  log: TaskLog;
  now(): Date;
  /**
   * True when a previous attempt started and recorded no outcome (the process died mid-call):
   * the change may already be in the app, so check the app before repeating it.
   */
  interrupted: boolean;
  /** Buffers an audit entry; written in the transaction that records the task's outcome. */
  audit(entry: TaskAuditInput): void;
  /**
   * The config revision that last changed the task's hub's access rules, as this process recorded
   * or found it at start (audit/config-change.ts); undefined when the service records no config
   * (tests, a hub added since).
   */
  configRevision?: ConfigRevision;
  /** Reports progress (kept on the task, written with the next lease renewal and at the end). */
  progress(done: number, total: number, phase?: string): void;
  /** Stages a child task (parentId = this task) in `tx` (await it inside the transaction). */
  enqueueChild(tx: Transaction, input: Omit<EnqueueInput, 'parentId'>): Promise<TaskRecord>;
  /** Aborted when the agent stops, or when another runner took the task over (its lease lapsed): finish the current call, then return or throw. */
  signal: AbortSignal;
}

/**
 * Stages the consequences of what a handler did in the transaction that records its outcome. It
 * may read through `tx` (async); it runs inside that transaction, so it makes no network calls and
 * is safe to run more than once (a PostgreSQL store re-runs a transaction that lost a deadlock).
 * It may return another outcome to record instead (staging nothing itself then): a decision made
 * from reads outside the transaction that the transaction finds out of date (apply-removals: a
 * removal threshold judged before another pass let removals through) runs again rather than
 * committing a stale judgement.
 */
export type OutcomeCommit = (tx: Transaction) => void | TaskOutcome | Promise<void | TaskOutcome>;

/**
 * A handler's result. `commit` stages the consequences of what the handler did (the app
 * snapshot update after an invite, a report, child tasks…) in the same transaction that records
 * the outcome, so "done" and "what it did" are one durable write.
 */
export type TaskOutcome =
  | { status: 'completed'; result?: unknown; commit?: OutcomeCommit }
  /**
   * `waiting`: `notApplied` says the attempt only waited and sent the app nothing (an invite
   * waiting for an earlier one to settle, operations/settle-invite.ts): it counts as neither a try
   * nor a change that may have landed (TaskRecord.attemptsRefused, attemptsWaited).
   */
  | { status: 'waiting'; reason: string; until?: string; result?: unknown; commit?: OutcomeCommit; notApplied?: true }
  | { status: 'needs-approval'; result?: unknown; commit?: OutcomeCommit }
  | { status: 'failed'; error: { kind: string; message: string }; commit?: OutcomeCommit }
  | { status: 'cancelled'; reason: string; commit?: OutcomeCommit };

/**
 * A kind of task. `run` may throw a ConnectorError: the runner's retry table decides what
 * happens (agent/tasks/retry-policy.ts). Any other thrown error fails the task as `internal`.
 * A `waiting` outcome without `until` waits for its children (the runner wakes it when they finish).
 */
export interface TaskHandler {
  kind: string;
  /** Rate-limit scope of a task of this kind (defaults to the task's `scope`). */
  run(task: TaskRecord, ctx: TaskContext): Promise<TaskOutcome>;
  /** Makes no calls to the app (planning, reconcile): not held by hub concurrency, budget or rate limits. */
  local?: boolean;
  /**
   * Runs without taking a durable lease first: the attempt, its outcome and what it commits are
   * one transaction at the end (one store commit instead of two). Only for handlers that change
   * nothing outside the store (re-planning a person): a crash mid-run leaves the task queued and
   * it simply runs again. A run whose task changed meanwhile (a newer request folded into it,
   * `revision`) records nothing and runs again with the newer state.
   */
  leaseless?: boolean;
  /** Runs even while the hub is paused (e.g. check for updates, which is how health recovers). */
  runsWhilePaused?: boolean;
}
