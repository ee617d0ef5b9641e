import { findAttribute, type AttributeDef } from '../attributes.ts';
import { invalidValue } from '../errors.ts';
import type { ScimObject } from './normalize.ts';

/**
 * The `primary` flag of multi-valued attributes (emails, phoneNumbers, addresses, …).
 * RFC 7643 §2.4: "The primary attribute value 'true' MUST appear no more than once", so a POST or
 * PUT naming two primaries is refused (400 invalidValue) rather than guessed at: the primary email
 * is where the person's invite goes. RFC 7644 §3.5.2: a PATCH that sets primary true on a value
 * "SHALL cause the server to automatically set primary to false for any other values".
 */
const isObject = (v: unknown): v is ScimObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether the attribute's values carry a `primary` sub-attribute. */
export function hasPrimary(def: AttributeDef): boolean {
  return def.multiValued === true && findAttribute(def.subAttributes, 'primary') !== undefined;
}

/** True for `primary: true` in any key case, and for Entra's string "True" (not yet normalized in a PATCH). */
export function isPrimary(element: unknown): boolean {
  if (!isObject(element)) return false;
  return Object.entries(element).some(([k, v]) => k.toLowerCase() === 'primary' && (v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true')));
}

function primaryCount(list: readonly unknown[]): number {
  return list.filter(isPrimary).length;
}

function tooMany(where: string, count: number): never {
  throw invalidValue(`${where}: primary may be true on one value only (RFC 7643 §2.4), got ${count}`);
}

/** A POST or PUT body (normalized): 400 invalidValue when an attribute has more than one primary value. */
export function assertOnePrimaryEach(resource: ScimObject, defs: readonly AttributeDef[]): void {
  for (const def of defs) {
    const list = resource[def.name];
    if (!hasPrimary(def) || !Array.isArray(list)) continue;
    const count = primaryCount(list);
    if (count > 1) tooMany(def.name, count);
  }
}

/**
 * After a PATCH operation: `winners` are the values it set primary true on. More than one is a
 * 400; exactly one makes every other value of the list non-primary. Values the operation did not
 * make primary are left as they are when it made none.
 */
export function settlePrimary(list: unknown[], winners: ReadonlySet<unknown>, where: string): unknown[] {
  if (winners.size > 1) tooMany(where, winners.size);
  if (winners.size === 0) return list;
  return list.map((e) => (winners.has(e) || !isPrimary(e) ? e : demoted(e as ScimObject)));
}

function demoted(element: ScimObject): ScimObject {
  const out: ScimObject = {};
  for (const [k, v] of Object.entries(element)) if (k.toLowerCase() !== 'primary') out[k] = v;
  out.primary = false;
  return out;
}
