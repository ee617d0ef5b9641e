import { foldName } from '../../../agent/desired-state/directory-records.ts';
import { findAttribute, type AttributeDef } from '../attributes.ts';
import { ScimError } from '../errors.ts';
import { ISO_DATE } from '../filter/evaluate.ts';
import { normalizeValue, type ScimObject } from '../resources/normalize.ts';
import { hasPrimary } from '../resources/primary.ts';
import { keyOf, named, removalKey, type PatchContext, type PatchOpName } from './apply.ts';
import { resolveTarget } from './target.ts';

/**
 * Consecutive group `members` operations that mix adds and removes (the PATCH engine, apply.ts):
 * `{"op":"add","path":"members","value":[…]}`, `{"op":"remove","path":"members","value":[…]}`,
 * `{"op":"remove","path":"members[value eq \"…\"]"}` and `members[value eq "…"].display` added or
 * replaced, in any order. Runs of adds only or removes only were already applied in one pass
 * (apply.ts mergeMemberRuns, removal-run.ts); anything else ended such a run, so a PATCH
 * alternating them (Entra and Okta send one member per operation) walked the whole list once per
 * operation: 10,000 of them on a 3,000-member group took 4.6 s of one core (10,000 display
 * replaces, 9 s), during which the process answered no other request. Here the list is kept as an
 * ordered map by member for the run, each operation costing only its own values, with the result
 * of applying them one at a time (apply.ts applyAt): an add of a member already there updates it
 * in place (dedupe), a remove by value list or by `value eq` matches the value in any case
 * (RFC 7643 §8.7.1 caseExact false), and a member removed and added again goes to the end.
 */
type ClientOp = { op: PatchOpName; path?: string; value: unknown; at: number };
type Step = ClientOp & { merged?: ClientOp[] };

type Part =
  | { kind: 'add' | 'removeValues'; op: ClientOp }
  | { kind: 'removeFilter'; op: ClientOp; folded: string }
  /** `members[value eq "x"].display` added or replaced: `value` is the filter's, `sub` the sub-attribute's name. */
  | { kind: 'setSub'; op: ClientOp; folded: string; value: string; sub: string };

export interface MemberRun { def: AttributeDef; parts: Part[]; end: number }

const isObject = (v: unknown): v is ScimObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The part a step is, or undefined when it is not an add or remove of listed members. */
function partsOf(step: Step, def: AttributeDef, core: readonly AttributeDef[]): Part[] | undefined {
  if (step.path === undefined) return undefined;
  if (/^\s*members\s*$/i.test(step.path)) {
    if (step.op === 'replace' || (step.op === 'remove' && step.value === undefined)) return undefined;
    return (step.merged ?? [step]).map((op) => ({ kind: step.op === 'add' ? 'add' : 'removeValues', op }));
  }
  if (!step.path.includes('[')) return undefined;
  let target;
  try {
    target = resolveTarget(step.path, core);
  } catch {
    return undefined; // applied on its own, where it fails as it always did
  }
  const f = target?.filter;
  if (!target || target.def !== def || target.schema || !f || f.op !== 'eq' || f.path.schema || f.path.sub) return undefined;
  if (f.path.attr.toLowerCase() !== 'value' || typeof f.value !== 'string' || ISO_DATE.test(f.value)) return undefined;
  // The filter evaluator's comparison of a string value (filter/evaluate.ts), as removalKey folds.
  const folded = `v:${foldName(f.value)}`;
  if (step.op === 'remove') return target.sub ? undefined : [{ kind: 'removeFilter', op: step, folded }];
  // A new sub-attribute value keeps the member's key. A member an add creates is named `value` in
  // whatever case the filter spells it (`members[Value eq "x"].display`), as applyAt's `pinned` names it.
  if (!target.sub || target.sub.name === 'value') return undefined;
  return [{ kind: 'setSub', op: step, folded, value: f.value, sub: target.sub.name }];
}

/** The run of member operations from `from` on, when it holds two or more (else undefined). */
export function memberRun(steps: readonly Step[], from: number, core: readonly AttributeDef[]): MemberRun | undefined {
  const def = findAttribute(core, 'members');
  if (!def || def.multiValued !== true || hasPrimary(def)) return undefined;
  const parts: Part[] = [];
  let end = from;
  for (; end < steps.length; end++) {
    const more = partsOf(steps[end]!, def, core);
    if (!more) break;
    parts.push(...more);
  }
  // Removes by filter only are removal-run.ts's (it takes them all, and more: any multi-valued attribute).
  if (parts.length < 2 || parts.every((p) => p.kind === 'removeFilter')) return undefined;
  return { def, parts, end };
}

/**
 * Applies the run to `resource`; false (nothing changed) when its members hold two of one value,
 * which the ordered map cannot keep, or one without a `value`: the caller then applies the
 * operations one at a time.
 */
export function applyMemberRun(resource: ScimObject, run: MemberRun, ctx: PatchContext): boolean {
  const { def, parts } = run;
  const name = def.name;
  const key = removalKey(def);
  const byKey = new Map<string, unknown>();
  const byFolded = new Map<string, Set<string>>();
  const put = (e: unknown) => {
    const k = keyOf(e);
    const prev = byKey.get(k);
    if (prev !== undefined) {
      byKey.set(k, isObject(prev) && isObject(e) ? { ...prev, ...e } : e);
      return;
    }
    byKey.set(k, e);
    const g = key(e);
    let same = byFolded.get(g);
    if (!same) byFolded.set(g, (same = new Set()));
    same.add(k);
  };
  const drop = (folded: string) => {
    for (const k of byFolded.get(folded) ?? []) byKey.delete(k);
    byFolded.delete(folded);
  };
  const current = Array.isArray(resource[name]) ? (resource[name] as unknown[]) : [];
  for (const e of current) {
    // Also a member with no string `value` of its own: the map keys members by `value` only.
    // (The engine no longer makes one from a filter spelt `Value`: apply.ts pinned.)
    if (!isObject(e) || typeof e.value !== 'string' || byKey.has(keyOf(e))) return false;
    put(e);
  }
  let filtered = false;
  for (const part of parts) {
    if (part.kind === 'removeFilter') {
      filtered = true;
      drop(part.folded);
      continue;
    }
    if (part.kind === 'setSub') {
      filtered = true;
      const hits = [...(byFolded.get(part.folded) ?? [])];
      // RFC 7644 §3.5.2.3 noTarget for a replace, as applyAt answers it; an add creates the member.
      if (hits.length === 0 && part.op.op === 'replace') throw named(new ScimError(400, 'noTarget', `${part.op.path}: matches no member; add members with {"op":"add","path":"members"}`), part.op, part.op.at);
      if (hits.length === 0) put({ value: part.value, [part.sub]: part.op.value });
      for (const k of hits) {
        const e = byKey.get(k);
        if (isObject(e)) byKey.set(k, { ...e, [part.sub]: part.op.value });
      }
      continue;
    }
    const { op } = part;
    let values: unknown[];
    try {
      values = (normalizeValue(def, op.value, op.path!) as unknown[] | undefined) ?? [];
    } catch (err) {
      throw err instanceof ScimError ? named(err, op, op.at) : err;
    }
    if (part.kind === 'add') for (const e of values) put(e);
    else for (const e of values) drop(key(e));
  }
  // What applyAt records for these operations: a whole-list one leaves the list canonical (validated
  // as it went), a filtered one makes it re-validated at the end.
  ctx.touched?.add(name);
  if (filtered) {
    ctx.raw?.add(name);
    ctx.canonical?.delete(name);
  } else if (!ctx.raw?.has(name)) ctx.canonical?.add(name);
  resource[name] = [...byKey.values()];
  return true;
}
