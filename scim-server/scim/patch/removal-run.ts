import type { AttributeDef } from '../attributes.ts';
import { getIgnoringCase, ISO_DATE, matches } from '../filter/evaluate.ts';
import type { Filter } from '../filter/parse.ts';
import type { ScimObject } from '../resources/normalize.ts';
import type { PatchContext } from './apply.ts';
import { containerOf, resolveTarget, type PatchTarget } from './target.ts';

/** Consecutive `remove` operations by `value eq` filter, applied in one pass (the PATCH engine, apply.ts). */

const isObject = (v: unknown): v is ScimObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface RemovalRun { target: PatchTarget; filters: Filter[]; wanted: Set<string>; end: number }

/** The value an `eq` filter on an element's `value` names (`value eq "u1"`), if it is one. */
function valueEquality(filter: Filter | undefined): string | undefined {
  if (!filter || filter.op !== 'eq' || filter.path.schema || filter.path.sub || filter.path.attr.toLowerCase() !== 'value') return undefined;
  return typeof filter.value === 'string' ? filter.value : undefined;
}

/**
 * Two or more consecutive `remove` operations from `from` on, each naming elements of the same
 * multi-valued attribute by `value eq "…"`: Okta's `members[value eq "<uid>"]`, one operation per
 * person leaving a pushed group (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/).
 * Removals commute, so the run is applied in one pass over the list (removeRun). One pass per
 * operation made a PATCH taking 2,000 people out of a 20,000-member group walk the list 2,000
 * times: 9 s of one core during which the process answered no other request. An operation that
 * is anything else ends the run and is applied on its own, in order.
 */
export function removalRun(ops: ReadonlyArray<{ op: string; path?: string }>, from: number, core: readonly AttributeDef[]): RemovalRun | undefined {
  let first: PatchTarget | undefined;
  const filters: Filter[] = [];
  let end = from;
  for (; end < ops.length; end++) {
    const { op, path } = ops[end]!;
    if (op !== 'remove' || path === undefined || !path.includes('[')) break;
    let target: PatchTarget | undefined;
    try {
      target = resolveTarget(path, core);
    } catch {
      break; // applied on its own, where it fails as it always did
    }
    if (!target || !target.def.multiValued || target.sub || valueEquality(target.filter) === undefined) break;
    if (first && (target.def !== first.def || target.schema !== first.schema)) break;
    first ??= target;
    filters.push(target.filter!);
  }
  if (!first || filters.length < 2) return undefined;
  return { target: first, filters, wanted: new Set(filters.map((f) => valueEquality(f)!.toLowerCase())), end };
}

/**
 * What applyAt does for each remove of the run, in one pass. An element whose `value` is a plain
 * string is matched as the filter evaluator matches it (case-insensitively; a date-time value
 * compares as an instant, so it goes through the evaluator), anything else through the evaluator.
 */
export function removeRun(resource: ScimObject, run: RemovalRun, ctx: PatchContext): void {
  const { target, filters, wanted } = run;
  const container = containerOf(resource, target, false);
  if (!container) return;
  const name = target.def.name;
  ctx.touched?.add(target.schema ?? name);
  if (!target.schema) {
    ctx.raw?.add(name);
    ctx.canonical?.delete(name);
  }
  const hit = (e: unknown): boolean => {
    if (!isObject(e)) return false;
    const v = getIgnoringCase(e, 'value');
    if (typeof v === 'string' && !ISO_DATE.test(v)) return wanted.has(v.toLowerCase());
    return filters.some((f) => matches(e, f));
  };
  const current = Array.isArray(container[name]) ? (container[name] as unknown[]) : [];
  container[name] = current.filter((e) => !hit(e));
}

