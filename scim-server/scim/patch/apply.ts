import { foldName } from '../../../agent/desired-state/directory-records.ts';
import { extensionSchemaOf, findAttribute, HUB_SCHEMA, MAX_VALUES, type AttributeDef } from '../attributes.ts';
import { invalidSyntax, invalidValue, preview, ScimError } from '../errors.ts';
import { matches } from '../filter/evaluate.ts';
import type { Filter } from '../filter/parse.ts';
import { normalizeResource, normalizeValue, type ScimObject } from '../resources/normalize.ts';
import { hasPrimary, isPrimary, settlePrimary } from '../resources/primary.ts';
import { applyMemberRun, memberRun } from './member-run.ts';
import { removalRun, removeRun } from './removal-run.ts';
import { chargeStep } from './work-budget.ts';
import { containerOf, namesId, readOnly, resolveTarget } from './target.ts';

/**
 * The PATCH engine (RFC 7644 §3.5.2) over a stored resource, tolerant of what Okta and Entra send
 * (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups): ops in any case, path-less values whose keys are attribute paths
 * (`name.givenName`, `urn:…:User:employeeNumber`), `value.id` equal to the resource id ignored,
 * a `remove` on a multi-valued attribute WITH a value list removing only the listed elements
 * (Entra's legacy members shape; never "all"), and removing a missing element being a no-op.
 * It returns the patched resource; callers diff it against the stored one for the delta.
 */
export type PatchOpName = 'add' | 'replace' | 'remove';

const isObject = (v: unknown): v is ScimObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export function keyOf(element: unknown): string {
  return isObject(element) && typeof element.value === 'string' ? `v:${element.value}` : `j:${JSON.stringify(element)}`;
}

/**
 * The key a remove with a value list matches elements by: keyOf, with a string `value` folded
 * (foldName) unless that sub-attribute is caseExact. RFC 7643 §8.7.1 gives Group `members.value`
 * "caseExact": false (so do the User's multi-valued `value`s), /Schemas says so (discovery.ts),
 * and the filter form `members[value eq "…"]` already compared it so (filter/evaluate.ts);
 * compared exactly, Entra's {"op":"Remove","path":"members","value":[{"value":"<ID>"}]} with the
 * id in another case removed nobody and was answered 204: the person kept the group's access.
 * Member values are ids this server issued (lower-case UUIDs, users.ts), so folding cannot make
 * one member's removal take out another.
 */
export function removalKey(def: AttributeDef): (element: unknown) => string {
  const value = findAttribute(def.subAttributes, 'value');
  const folds = value !== undefined && value.caseExact !== true && (value.type === 'string' || value.type === 'reference');
  if (!folds) return keyOf;
  return (e) => (isObject(e) && typeof e.value === 'string' ? `v:${foldName(e.value)}` : keyOf(e));
}

export interface PatchContext {
  core: readonly AttributeDef[];
  resourceId: string;
  /** Filled by applyPatch (see there). */
  canonical?: Set<string>;
  /** Attributes an operation of this PATCH wrote unvalidated values into: never canonical again. */
  raw?: Set<string>;
  /** Top-level keys an operation of this PATCH wrote to (core names, `externalId`, extension URNs). */
  touched?: Set<string>;
}

export function parseOperations(body: unknown): Array<{ op: PatchOpName; path?: string; value: unknown }> {
  if (!isObject(body)) throw invalidSyntax('PATCH: expected a PatchOp object');
  const opsKey = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const ops = opsKey ? body[opsKey] : undefined;
  if (!Array.isArray(ops) || ops.length === 0) throw invalidSyntax('PATCH: expected a non-empty "Operations" list');
  return ops.map((raw, i) => {
    if (!isObject(raw)) throw invalidSyntax(`PATCH Operations[${i}]: expected an object`);
    const get = (name: string) => raw[Object.keys(raw).find((k) => k.toLowerCase() === name) ?? name];
    const op = get('op');
    if (typeof op !== 'string' || !/^(add|replace|remove)$/i.test(op)) {
      throw invalidSyntax(`PATCH Operations[${i}].op: expected add, replace or remove, got ${preview(op)}`);
    }
    const path = get('path');
    if (path !== undefined && path !== null && typeof path !== 'string') throw invalidSyntax(`PATCH Operations[${i}].path: expected a string`);
    // RFC 7644 §3.5.2.1/§3.5.2.3: an add or replace "MUST contain a value member". Read as no
    // value, `{"op":"replace","path":"members"}` emptied the group (every seat it grants removed).
    // An explicit null stays a request to clear (RFC 7643 §2.5).
    if (op.toLowerCase() !== 'remove' && !Object.keys(raw).some((k) => k.toLowerCase() === 'value')) {
      throw invalidValue(`PATCH Operations[${i}]: ${op.toLowerCase()} needs a "value" member (RFC 7644 §3.5.2)`);
    }
    return { op: op.toLowerCase() as PatchOpName, path: path === null || path === '' ? undefined : (path as string | undefined), value: get('value') };
  });
}

/**
 * A copy safe to patch: the engine never mutates values in place (it builds new arrays and
 * objects) except the top level and extension objects, which are copied here. Deep-cloning a
 * group of 1,000 members on every chunked PATCH cost more than the patch itself.
 */
function writableCopy(stored: ScimObject): ScimObject {
  const out: ScimObject = { ...stored };
  for (const [k, v] of Object.entries(out)) if (k.startsWith('urn:') && isObject(v)) out[k] = { ...v };
  return out;
}

export function applyPatch(stored: ScimObject, body: unknown, ctx: PatchContext): ScimObject {
  const resource = writableCopy(stored);
  // Core multi-valued attributes whose new value is already canonical: stored elements (validated
  // when written) plus incoming ones validated by the operation. They skip the final re-validation,
  // which for a 1,000-member group cost more than the rest of the PATCH.
  const canonical = new Set<string>();
  const touched = new Set<string>();
  ctx = { ...ctx, canonical, raw: new Set<string>(), touched };
  const ops = mergeMemberRuns(parseOperations(body), ctx.core);
  // A member run the map could not take (member-run.ts) is applied one operation at a time, once:
  // looked for again at each of its operations, it cost a walk of the rest of the PATCH each.
  let membersFrom = 0;
  let work = 0;
  for (let i = 0; i < ops.length; i++) {
    work = chargeStep(work, resource, ops[i]!.at);
    const members = i >= membersFrom ? memberRun(ops, i, ctx.core) : undefined;
    if (members) {
      membersFrom = members.end;
      if (applyMemberRun(resource, members, ctx)) {
        i = members.end - 1;
        continue;
      }
    }
    const run = removalRun(ops, i, ctx.core);
    if (run) {
      removeRun(resource, run, ctx);
      i = run.end - 1;
      continue;
    }
    try {
      applyOperation(resource, ops[i]!, ctx);
    } catch (err) {
      throw clientOperationError(err, resource, ops[i]!, ctx);
    }
  }
  // Only what an operation wrote is validated again. What it did not name stays as stored: it was
  // valid when written, and held to a limit added since (a title past 1,024 characters, more than
  // 100 roles), it made every PATCH of the user a 400, Entra's "active": "False" and Okta's
  // deactivation included, so the user could not be deprovisioned.
  const unchecked: ScimObject = {};
  const checked: ScimObject = {};
  for (const [key, value] of Object.entries(resource)) {
    if (touched.has(key) && !canonical.has(key)) unchecked[key] = value;
    else checked[key] = value;
  }
  return { ...normalizeResource(unchecked, ctx.core), ...checked };
}

function applyOperation(resource: ScimObject, { op, path, value }: Operation, ctx: PatchContext): void {
  if (path !== undefined) {
    applyAt(resource, op, path, value, ctx);
    return;
  }
  if (op === 'remove') throw new ScimError(400, 'noTarget', 'a remove needs a path (RFC 7644 §3.5.2.2)');
  if (!isObject(value)) throw invalidValue('expected an object value');
  for (const [key, v] of Object.entries(value)) {
    if (key.toLowerCase() === 'schemas') continue;
    const schema = extensionSchemaOf(key);
    // Read-only keys (`meta`, `groups`, the hub extension) are refused as their paths are (target.ts).
    if (schema === HUB_SCHEMA) throw readOnly(key);
    if (schema && isObject(v)) {
      for (const [sub, sv] of Object.entries(v)) applyAt(resource, op, `${schema}:${sub}`, sv, ctx);
      continue;
    }
    applyAt(resource, op, key, v, ctx);
  }
}

/**
 * The error of an operation, naming it as the client sent it (RFC 7644 §3.12: the client learns
 * which operation to fix): its index in the client's `Operations` and its op and path. A merged
 * run of member operations (mergeMemberRuns) is applied again one client operation at a time, on
 * a copy of the resource as the run found it, and the first that fails is named with its own
 * error: the merged run's error named an element of the merged value list (`members[3].value` for
 * the first value of the second operation), which no operation the client sent has.
 */
function clientOperationError(err: unknown, resource: ScimObject, step: Step, ctx: PatchContext): unknown {
  if (!(err instanceof ScimError)) return err;
  const copy = writableCopy(resource);
  const scratch: PatchContext = { ...ctx, canonical: new Set(), raw: new Set(), touched: new Set() };
  for (const part of step.merged ?? []) {
    try {
      applyOperation(copy, part, scratch);
    } catch (partErr) {
      if (partErr instanceof ScimError) return named(partErr, part, part.at);
      throw partErr;
    }
  }
  const at = step.merged ? `${step.at}-${step.merged[step.merged.length - 1]!.at}` : String(step.at);
  return named(err, step, at);
}

export function named(err: ScimError, op: Operation, at: number | string): ScimError {
  const what = op.path === undefined ? `${op.op} without a path` : `${op.op} ${preview(op.path)}`;
  return new ScimError(err.status, err.scimType, `PATCH Operations[${at}] (${what}): ${err.detail}`, err.headers);
}

/**
 * The attribute/value pairs an `eq` filter pins (`type eq "work"`), used to create a missing
 * element, under the sub-attributes' canonical names: RFC 7643 §2.1 "Attribute names are case
 * insensitive", so `members[Value eq "x"]` pins `value`. Kept as sent, the member created was
 * `{"Value": "x"}` until the PATCH ended: a later operation of the same PATCH (Entra's remove by
 * value list, an add of the same member) did not see it, and the group kept the member or held it twice.
 */
function pinned(filter: Filter, def: AttributeDef): ScimObject {
  if (filter.op === 'eq' && !filter.path.sub) return { [subName(def, filter.path.attr)]: filter.value };
  if (filter.op === 'and') return { ...pinned(filter.left, def), ...pinned(filter.right, def) };
  return {};
}

/** A sub-attribute's canonical name (`Display` → `display`); a name the schema lacks stays as sent (dropped at the end). */
function subName(def: AttributeDef, name: string): string {
  return findAttribute(def.subAttributes, name)?.name ?? name;
}

/** `value` with its keys under their canonical sub-attribute names (see pinned). */
function canonicalKeys(def: AttributeDef, value: ScimObject): ScimObject {
  const out: ScimObject = {};
  for (const [k, v] of Object.entries(value)) out[subName(def, k)] = v;
  return out;
}

function applyAt(resource: ScimObject, op: PatchOpName, path: string, value: unknown, ctx: PatchContext): void {
  // Okta re-sends the group's own id inside every rename (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/):
  // no change, so accepted, by path as without one. Another id is refused (resolveTarget).
  if (op !== 'remove' && value === ctx.resourceId && namesId(path)) return;
  const target = resolveTarget(path, ctx.core);
  if (!target) return; // an attribute this server does not keep (unknown, or the password): ignored
  const { def, filter, sub } = target;
  const container = containerOf(resource, target, op !== 'remove');
  if (!container) return;
  const name = def.name;
  ctx.touched?.add(target.schema ?? name);
  const wholeList = def.multiValued && !filter && !sub && !target.schema;
  if (wholeList && !ctx.raw?.has(name)) ctx.canonical?.add(name);
  else if (!target.schema) {
    ctx.raw?.add(name);
    ctx.canonical?.delete(name);
  }

  if (def.multiValued) {
    const current = Array.isArray(container[name]) ? (container[name] as unknown[]) : [];
    // The values this operation sets primary true on: RFC 7644 §3.5.2 has the server make every
    // other value non-primary (settlePrimary), so the newly chosen primary email is the invite's.
    const winners = new Set<unknown>();
    const marksPrimary = hasPrimary(def) && (sub ? sub.name === 'primary' && isPrimary({ primary: value }) : isPrimary(value));
    const won = (e: ScimObject, pinnedPrimary = false): ScimObject => {
      if (marksPrimary || pinnedPrimary) winners.add(e);
      return e;
    };
    const put = (list: unknown[]) => {
      container[name] = hasPrimary(def) ? settlePrimary(list, winners, path) : list;
    };
    if (filter) {
      const hit = (e: unknown) => matches(e, filter);
      if (op === 'remove') {
        container[name] = sub ? current.map((e) => (hit(e) && isObject(e) ? omit(e, sub.name) : e)) : current.filter((e) => !hit(e));
        return;
      }
      const matched = current.filter(hit);
      // RFC 7644 §3.5.2.3 noTarget, for members: created, `replace members[value eq "<uid>"].display` was a grant.
      if (matched.length === 0 && op === 'replace' && name === 'members') throw new ScimError(400, 'noTarget', `${path}: matches no member; add members with {"op":"add","path":"members"}`);
      if (matched.length === 0) {
        const created = sub ? { ...pinned(filter, def), [sub.name]: value } : { ...pinned(filter, def), ...(isObject(value) ? canonicalKeys(def, value) : { value }) };
        // Primary when sent so or when the filter pins it (`emails[… and primary eq true]`): the others are demoted (RFC 7643 §2.4).
        put([...current, won(created, isPrimary(created))]);
        return;
      }
      put(current.map((e) => {
        if (!hit(e) || !isObject(e)) return e;
        if (sub) return won({ ...e, [sub.name]: value });
        return isObject(value) ? won({ ...e, ...canonicalKeys(def, value) }) : e;
      }));
      return;
    }
    if (sub) {
      if (op === 'remove') container[name] = current.map((e) => (isObject(e) ? omit(e, sub.name) : e));
      else put(current.length ? current.map((e) => (isObject(e) ? won({ ...e, [sub.name]: value }) : e)) : [won({ [sub.name]: value })]);
      return;
    }
    if (op === 'remove') {
      // Only a remove with no "value" member at all clears the list (RFC 7644 §3.5.2.2).
      if (value === undefined) {
        delete container[name];
        return;
      }
      // Entra: {"op":"Remove","path":"members","value":[{"value":"u1"}]} removes ONLY u1 (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
      // A value that names nobody (null, [], {}) removes nobody: read as "all", `"value": null`
      // emptied the group (https://github.com/AzureAD/SCIMReferenceCode/issues/10).
      const key = removalKey(def);
      const gone = new Set(((normalizeValue(def, value, path) as unknown[] | undefined) ?? []).map(key));
      container[name] = current.filter((e) => !gone.has(key(e)));
      return;
    }
    const incoming = (normalizeValue(def, value, path) as unknown[] | undefined) ?? [];
    const next = dedupe(op === 'replace' ? incoming : [...current, ...incoming]);
    // The list as it will be stored is what the limit bounds, not the values this operation adds:
    // a whole-list add skips the final re-validation (canonical), so two adds of 60 stored 120
    // roles, and every later PATCH of the user, Entra's "active": "False" included, was then 400.
    if (def.name !== 'members' && next.length > MAX_VALUES) throw invalidValue(`${path}: at most ${MAX_VALUES} values, got ${next.length}`);
    if (hasPrimary(def)) {
      const chosen = new Set(incoming.filter(isPrimary).map(keyOf));
      for (const e of next) if (isPrimary(e) && chosen.has(keyOf(e))) winners.add(e);
    }
    put(next);
    return;
  }

  if (sub) {
    if (op === 'remove') {
      if (isObject(container[name])) container[name] = omit(container[name] as ScimObject, sub.name);
      return;
    }
    let before = isObject(container[name]) ? (container[name] as ScimObject) : {};
    // The manager's `$ref` is the URI of the user `value` names (RFC 7643 §4.3): a new `value` makes
    // the stored one name the previous manager, so it goes (kept, GET answered the new manager's id
    // beside the old manager's URI).
    if (name === 'manager' && sub.name === 'value' && before.value !== value) before = omit(before, '$ref');
    container[name] = { ...before, [sub.name]: value };
    return;
  }
  if (op === 'remove') {
    delete container[name];
    return;
  }
  if (def.type === 'complex' && def.name !== 'manager' && isObject(value) && isObject(container[name])) {
    // RFC 7644 §3.5.2.1/.3: sub-attributes not in the value are left unchanged.
    container[name] = { ...(container[name] as ScimObject), ...value };
    return;
  }
  container[name] = value;
}

type Operation = ReturnType<typeof parseOperations>[number];

/**
 * An operation as applied: `at` is its index in the client's `Operations`; a merged run of member
 * operations (mergeMemberRuns) keeps the client's operations it was made of, to name the one at fault.
 */
type Step = Operation & { at: number; merged?: Array<Operation & { at: number }> };

/** Whether `op` adds to, or removes listed values from, the whole `members` list (no filter, no sub-attribute). */
function wholeMembers(op: Operation, core: readonly AttributeDef[]): boolean {
  if (op.path === undefined || op.op === 'replace' || (op.op === 'remove' && op.value === undefined)) return false;
  if (!/^\s*members\s*$/i.test(op.path)) return false;
  const def = findAttribute(core, 'members');
  return def !== undefined && def.multiValued === true;
}

/**
 * Consecutive operations that each add members (`{"op":"Add","path":"members","value":[…]}`) or
 * each remove listed members (Entra's `{"op":"Remove","path":"members","value":[…]}`), merged
 * into one operation with all their values, in order. Entra sends a group's membership changes as
 * such operations, one member each in Microsoft's own samples
 * (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups),
 * and each one rebuilt the whole member list: 2,000 Add operations on a 20,000-member group took
 * 55 s of one core, past what the IdP waits, the process answering nothing else meanwhile. Adds
 * fold into the list in order and removals of listed values commute, so the merged operation
 * leaves the list as the operations did one at a time; an add beside a remove is never merged.
 */
function mergeMemberRuns(ops: Operation[], core: readonly AttributeDef[]): Step[] {
  const out: Step[] = [];
  const asList = (v: unknown): unknown[] => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]);
  ops.forEach((op, at) => {
    let last = out[out.length - 1];
    if (last && last.op === op.op && wholeMembers(op, core) && wholeMembers(last, core)) {
      // The run's list and parts are its own (the client's value list is not written to), grown in place.
      if (!last.merged) out[out.length - 1] = last = { ...last, value: [...asList(last.value)], merged: [{ op: last.op, path: last.path, value: last.value, at: last.at }] };
      const list = last.value as unknown[];
      for (const v of asList(op.value)) list.push(v);
      last.merged!.push({ ...op, at });
    } else out.push({ ...op, at });
  });
  return out;
}

/** Later duplicates (same `value`) update earlier ones; order of first appearance is kept. */
function dedupe(list: unknown[]): unknown[] {
  const byKey = new Map<string, unknown>();
  for (const e of list) {
    const k = keyOf(e);
    const prev = byKey.get(k);
    byKey.set(k, prev !== undefined && isObject(prev) && isObject(e) ? { ...prev, ...e } : e);
  }
  return [...byKey.values()];
}

function omit(obj: ScimObject, key: string): ScimObject {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));
}
