import type { Trigger } from '../desired-state/delta.ts';

/**
 * Whether two triggers name the same caller, reason and source (field by field: key order differs
 * between callers). A request whose trigger is the one of the unfinished task that answers it is a
 * repeat of the request that queued it (a workflow retrying a call whose answer was lost): the
 * task's own audit entry says who asked and why already, and a second entry would read as a
 * second ask (scim-server/admin/already-done.ts).
 */
export function sameTrigger(a: Trigger, b: Trigger): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof Trigger>;
  return [...keys].every((k) => (k === 'hubs' ? a.hubs?.join(',') === b.hubs?.join(',') : a[k] === b[k]));
}
