/**
 * Retries of the admin API's state-changing routes. Okta Workflows' HTTP cards and scripts send a
 * call again when its answer was lost (a timeout, a dropped connection): the first call may have
 * done its work. A repeat of a request whose outcome is already in place answers 200 with the
 * resource as it is now, marked `alreadyDone: true` with a `detail` saying so, rather than 409: a
 * 409 turned a success into a failed flow step (an alert, a fallback path). A request that
 * contradicts what was done (reject after approve) is still a 409.
 *
 * Safety: a repeat never runs the side effect again. It is answered from the recorded state, or
 * from the agent's own refusal (its transaction re-reads the record and changes nothing), and it
 * is not audited: nothing changed, the first call's audit entry already says who did it and when,
 * and an entry per retry would read as a second decision in the person's trail.
 */
import { isStoreContention } from '../../agent/store/store-contention.ts';

export type AlreadyDone<T> = T & { alreadyDone: true; detail: string };

export function alreadyDone<T extends object>(view: T, detail: string): AlreadyDone<T> {
  return { ...view, alreadyDone: true, detail };
}

/**
 * The agent refused because the record is no longer as the request found it (agent-error.ts kind
 * `conflict`): the caller reads it again to tell a repeat from a conflict. A store's contention
 * (same kind) is not: nothing was decided, and it answers 503 to be sent again.
 */
export function isConflict(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { kind?: unknown }).kind === 'conflict' && !isStoreContention(err);
}
