import type { ErrorKind } from '../../connectors/sdk/connector-error.ts';
import { isConnectorError } from '../../connectors/sdk/connector-error.ts';
import { errorText, redactText } from '../log/logger.ts';
import { isStoreContention } from '../store/store-contention.ts';
import { isStoreUnavailable } from '../store/store-unavailable.ts';

/**
 * The one table that maps an error kind to what the queue does next and how loudly it logs it.
 * Rate limits wait as long as the provider says, scoped
 * (an invite limit holds only that business's invites); transient failures back off
 * exponentially with jitter, never sooner than a wait the connector states for them; credential problems pause the whole hub and show in its health;
 * bad input fails the task with the reason, since retrying cannot fix it.
 */
export type RetryAction = 'wait-rate-limit' | 'backoff' | 'pause-hub' | 'fail';

export interface RetryRule {
  action: RetryAction;
  /** For backoff: attempts after which the task fails. */
  maxAttempts?: number;
  log: 'warn' | 'error';
}

export const RETRY_TABLE: Record<ErrorKind | 'unknown', RetryRule> = {
  'rate-limited': { action: 'wait-rate-limit', log: 'warn' },
  unavailable: { action: 'backoff', maxAttempts: 12, log: 'error' },
  internal: { action: 'backoff', maxAttempts: 3, log: 'error' },
  conflict: { action: 'backoff', maxAttempts: 5, log: 'warn' },
  unauthenticated: { action: 'pause-hub', log: 'error' },
  'permission-denied': { action: 'pause-hub', log: 'error' },
  'invalid-argument': { action: 'fail', log: 'warn' },
  'not-found': { action: 'fail', log: 'warn' },
  unknown: { action: 'fail', log: 'error' },
};

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0..1; injectable for tests. */
  random?: () => number;
}

/** Exponential backoff with "equal jitter": half fixed, half random (avoids synchronized retries). */
export function backoffMs(attempt: number, o: BackoffOptions): number {
  const exp = Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (o.random ?? Math.random)() * (exp / 2));
}

/** Default wait when a provider says "rate-limited" without saying how long. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * The longest wait a connector's stated wait is taken at (a week; Meta's invite limit, the
 * longest the connectors know, is a day). A longer one, or Infinity, put a next run time past
 * what a Date holds (the outcome could not be recorded: RangeError) and blocked the scope in
 * the runner's index for good.
 */
export const MAX_STATED_WAIT_MS = 7 * 24 * 3_600_000;

/**
 * A rate limit's wait as the queue takes it: a connector's wait that is no positive number (NaN,
 * 0, negative) is taken as unstated (DEFAULT_RATE_LIMIT_WAIT_MS), and one past MAX_STATED_WAIT_MS
 * is capped. A wait of 0 or less ran the throttled task again at once, not counted as an attempt
 * (attemptsWaited), in a loop of hundreds of calls a second into the limit; NaN could not be
 * recorded, and the task was called again every second, never failing.
 */
export function rateLimitWaitMs(stated: number | undefined): number {
  if (stated === undefined || !(stated > 0)) return DEFAULT_RATE_LIMIT_WAIT_MS;
  return Math.min(Math.ceil(stated), MAX_STATED_WAIT_MS);
}

/** `notApplied`: the attempt certainly changed nothing in the app (ConnectorErrorDetails.notApplied); `providerCode`: the app's code for it, when the app answered. */
export type RetryDecision = (
  | { action: 'wait-rate-limit'; delayMs: number; scope?: string; kind: ErrorKind; message: string; log: 'warn' | 'error' }
  | { action: 'backoff'; delayMs: number; kind: ErrorKind | 'unknown'; message: string; log: 'warn' | 'error' }
  /** `endsTask`: the task itself fails instead of waiting for the resume (attempt-run.ts: one that runs while the hub is paused). */
  | { action: 'pause-hub'; kind: ErrorKind; message: string; log: 'warn' | 'error'; endsTask?: true }
  | { action: 'fail'; kind: ErrorKind | 'unknown'; message: string; log: 'warn' | 'error' }
) & { notApplied?: true; providerCode?: string };

/**
 * A store transaction that kept meeting conflicts (store-contention.ts): what it read is busy
 * now (a directory push), so the task runs again later, backing off as for an unavailable app.
 */
export const STORE_CONTENTION_RULE: RetryRule = { action: 'backoff', maxAttempts: 12, log: 'warn' };

/** What to do after `err` ended attempt number `attempt` (1-based) of a task. */
export function decideRetry(err: unknown, attempt: number, o: BackoffOptions): RetryDecision {
  if (isStoreContention(err)) {
    // Not `notApplied`: the task may have called the app before its commit met the contention.
    return backoffOrFail({ kind: err.kind, message: err.message, log: STORE_CONTENTION_RULE.log }, STORE_CONTENTION_RULE, attempt, o);
  }
  if (isStoreUnavailable(err)) {
    // The store refused a read or write the handler made (PostgreSQL unreachable for a moment, a
    // pool whose connections all stayed busy, a full disk): an outage, not a fault of the task.
    // Failed as `internal`, a provisioning task met by a database failover of a second was never
    // run again. Backs off as for an unavailable app; not `notApplied` (it may have called the app).
    return backoffOrFail({ kind: err.kind, message: err.message, log: RETRY_TABLE.unavailable.log }, RETRY_TABLE.unavailable, attempt, o);
  }
  if (!isConnectorError(err)) {
    return { action: 'fail', kind: 'internal', message: errorText(err), log: 'error' };
  }
  const rule = RETRY_TABLE[err.kind] ?? RETRY_TABLE.unknown;
  // The code is the app's text too (a JSON error's `code`, `errorCode`): a proxy or broken endpoint
  // that echoes the request there put the credential into the stored task record, unredacted.
  const base = { kind: err.kind, message: redactText(err.message), log: rule.log, ...(err.notApplied ? { notApplied: true as const } : {}), ...(err.providerCode ? { providerCode: redactText(err.providerCode) } : {}) };
  switch (rule.action) {
    case 'wait-rate-limit':
      return { ...base, action: 'wait-rate-limit', delayMs: rateLimitWaitMs(err.retryAfterMs), scope: err.limitScope };
    case 'backoff':
      return backoffOrFail(base, rule, attempt, o, err.retryAfterMs);
    case 'pause-hub':
      return { ...base, action: 'pause-hub' };
    default:
      return { ...base, action: 'fail' };
  }
}

/**
 * A backoff rule's decision: wait and run again, or fail once `maxAttempts` attempts were made.
 * `statedWaitMs`: a wait the connector says the app asked for after this failure (an app that
 * advises waiting minutes after a server fault): the task waits at least that long, since
 * retrying within a second hammers an app that is down and spends every attempt before it is
 * back. The backoff's own cap (`maxMs`) does not shorten it, as it does not a rate limit's wait.
 */
function backoffOrFail<B extends { kind: ErrorKind; message: string; log: 'warn' | 'error'; notApplied?: true }>(base: B, rule: RetryRule, attempt: number, o: BackoffOptions, statedWaitMs?: number): RetryDecision {
  if (attempt >= (rule.maxAttempts ?? 5)) return { ...base, action: 'fail', message: `${base.message} (gave up after ${attempt} attempts)` };
  const stated = statedWaitMs !== undefined && statedWaitMs > 0 ? Math.min(Math.ceil(statedWaitMs), MAX_STATED_WAIT_MS) : 0;
  return { ...base, action: 'backoff', delayMs: Math.max(backoffMs(attempt, o), stated) };
}
