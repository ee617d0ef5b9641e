import { ScimError } from '../errors.ts';
import type { ScimObject } from '../resources/normalize.ts';

/**
 * Steps times list elements one PATCH may cost. Operations that no run takes (apply.ts
 * mergeMemberRuns, member-run.ts, removal-run.ts) walk their list one at a time: 20,000
 * `members[not (value eq "…") and …]` removes, or member adds each after a rename, on a group of
 * 100,000 members (both within the 16 MB body limit) were 2 billion element visits, minutes of
 * one core while the process answered nobody. Okta and Entra send a group's membership as runs
 * (one step); this allows 20 steps on a 100,000-member group and thousands on a user (at most 100 values an attribute). Past it: 413
 * (RFC 7644 §3.12), before the step that would pass it is applied; nothing is written.
 */
export const MAX_PATCH_WORK = 2_000_000;

function listLengths(resource: ScimObject): number {
  let n = 0;
  for (const v of Object.values(resource)) if (Array.isArray(v)) n += v.length;
  return n;
}

export function tooMuchWork(at: number): ScimError {
  return new ScimError(413, undefined, `PATCH Operations[${at}]: the operations up to here walk the resource's lists more than ${MAX_PATCH_WORK} element times; send them in several PATCH requests, or a group's member adds and removes together (they are applied in one pass)`);
}

/** The work done after one more step (an operation, or a run applied in one pass) on `resource`, which may walk its lists once. */
export function chargeStep(work: number, resource: ScimObject, at: number): number {
  const next = work + 1 + listLengths(resource);
  if (next > MAX_PATCH_WORK) throw tooMuchWork(at);
  return next;
}
