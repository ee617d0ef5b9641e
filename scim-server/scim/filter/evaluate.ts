import { foldName } from '../../../agent/desired-state/directory-records.ts';
import { ENTERPRISE_SCHEMA, EXTERNAL_ID } from '../attributes.ts';
import type { Filter, FilterValue } from './parse.ts';
import type { AttrPath } from './path.ts';

/**
 * Evaluates a parsed filter against a SCIM resource (RFC 7644 §3.4.2.2). Attribute names match in
 * any case; string comparisons ignore case (userName, emails and displayName are caseExact=false)
 * except on `externalId`, which RFC 7643 §3.1 makes caseExact: two users whose externalIds differ
 * only in case are two people to the IdP, and `externalId eq "…"` must find only the one it names
 * (RFC 7644 §3.4.2.2: a caseExact attribute's comparisons respect case). Date-times compare as
 * instants, so `meta.created gt 2015-10-10T14:38:21.8617979-07:00` works with any offset or precision.
 * A multi-valued attribute matches when any of its values does.
 */
export function getIgnoringCase(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  if (key in o) return o[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

function flatten(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function valuesAt(resource: unknown, path: AttrPath): unknown[] {
  let root: unknown = path.schema ? getIgnoringCase(resource, path.schema) : resource;
  let top = getIgnoringCase(root, path.attr);
  if (top === undefined && !path.schema) {
    root = getIgnoringCase(resource, ENTERPRISE_SCHEMA);
    top = getIgnoringCase(root, path.attr);
  }
  const tops = flatten(top);
  if (!path.sub) return tops;
  return tops.flatMap((t) => flatten(getIgnoringCase(t, path.sub!)));
}

/**
 * What a comparison with a plain value sees: a complex value stands for its `value`
 * sub-attribute. RFC 7644 §3.4.2.2 is silent on comparing a complex attribute; Entra checks a
 * manager with `manager eq "<manager id>"` (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups),
 * and an object never equals a string otherwise.
 */
function comparedValuesAt(resource: unknown, path: AttrPath): unknown[] {
  return valuesAt(resource, path).map((v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? getIgnoringCase(v, 'value') : v));
}

/** What a date-time value starts with: such values compare as instants (below). */
export const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

function instant(v: unknown): number | undefined {
  if (typeof v !== 'string' || !ISO_DATE.test(v)) return undefined;
  const t = Date.parse(v.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(t) ? undefined : t;
}

function asBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return undefined;
}

/**
 * -1/0/1, or undefined when the two cannot be ordered. `number` is the filter value's numeric
 * reading when it was an unquoted number (parse.ts): a numeric attribute compares with it, a
 * string attribute with the value's text.
 */
function order(actual: unknown, expected: FilterValue, number?: number, exact = false): number | undefined {
  const a = instant(actual);
  const e = instant(expected);
  if (a !== undefined && e !== undefined) return Math.sign(a - e);
  if (typeof actual === 'number') return number === undefined ? undefined : Math.sign(actual - number);
  if (typeof actual === 'string' && typeof expected === 'string') {
    // Case-insensitive comparisons also ignore the Unicode normalization form (foldName; RFC 7643
    // §9.4): `userName eq "josé"` finds the user stored with a decomposed é.
    const x = exact ? actual : foldName(actual);
    const y = exact ? expected : foldName(expected);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return undefined;
}

function equals(actual: unknown, expected: FilterValue, number?: number, exact = false): boolean {
  if (typeof actual === 'boolean' || typeof expected === 'boolean') {
    const a = asBoolean(actual);
    return a !== undefined && a === asBoolean(expected);
  }
  if (expected === null) return actual === null || actual === undefined;
  if (typeof actual === 'number') return number !== undefined ? actual === number : String(actual) === expected;
  return order(actual, expected, undefined, exact) === 0;
}

/**
 * Whether comparisons on `path` respect case: the resource's own `externalId` (attributes.ts
 * EXTERNAL_ID, caseExact per RFC 7643 §3.1). No complex attribute served here has a sub-attribute
 * of that name, so the name alone decides.
 */
function caseExact(path: AttrPath): boolean {
  return EXTERNAL_ID.caseExact === true && !path.schema && !path.sub && path.attr.toLowerCase() === EXTERNAL_ID.name.toLowerCase();
}

function present(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function compareOne(op: Exclude<Filter['op'], 'and' | 'or' | 'not' | 'pr' | 'valuePath'>, actual: unknown, expected: FilterValue, number?: number, exact = false): boolean {
  switch (op) {
    case 'eq': return equals(actual, expected, number, exact);
    case 'ne': return !equals(actual, expected, number, exact);
    case 'co':
    case 'sw':
    case 'ew': {
      if (typeof actual !== 'string' || expected === null) return false;
      const a = exact ? actual : foldName(actual);
      const e = exact ? String(expected) : foldName(String(expected));
      return op === 'co' ? a.includes(e) : op === 'sw' ? a.startsWith(e) : a.endsWith(e);
    }
    default: {
      const o = order(actual, expected, number, exact);
      if (o === undefined) return false;
      return op === 'gt' ? o > 0 : op === 'ge' ? o >= 0 : op === 'lt' ? o < 0 : o <= 0;
    }
  }
}

export function matches(resource: unknown, filter: Filter): boolean {
  switch (filter.op) {
    case 'and': return matches(resource, filter.left) && matches(resource, filter.right);
    case 'or': return matches(resource, filter.left) || matches(resource, filter.right);
    case 'not': return !matches(resource, filter.filter);
    case 'pr': return valuesAt(resource, filter.path).some(present);
    case 'valuePath': return valuesAt(resource, filter.path).some((element) => matches(element, filter.filter));
    case 'ne': {
      const values = comparedValuesAt(resource, filter.path);
      const exact = caseExact(filter.path);
      return values.length === 0 ? filter.value !== null : values.every((v) => compareOne('ne', v, filter.value, filter.number, exact));
    }
    default: {
      const values = comparedValuesAt(resource, filter.path);
      if (values.length === 0) return filter.op === 'eq' && filter.value === null;
      const exact = caseExact(filter.path);
      return values.some((v) => compareOne(filter.op as 'eq', v, filter.value, filter.number, exact));
    }
  }
}

/**
 * An equality on `attr` that every match must satisfy (top level or an `and` branch), so the list
 * can start from an index instead of a scan: `userName eq "x"`, `externalId eq "y" and active eq true`.
 */
export function requiredEquality(filter: Filter, attr: string): string | undefined {
  if (filter.op === 'eq' && !filter.path.schema && !filter.path.sub && filter.path.attr.toLowerCase() === attr.toLowerCase() && typeof filter.value === 'string') {
    return filter.value;
  }
  if (filter.op === 'and') return requiredEquality(filter.left, attr) ?? requiredEquality(filter.right, attr);
  return undefined;
}

/**
 * A value every match must hold in the multi-valued `attr` (top level or an `and` branch):
 * `attr[value eq "x"]`, `attr.value eq "x"` or `attr eq "x"` (a complex value compares its
 * `value`, RFC 7644 §3.4.2.2). `emails` for Entra's user look-up, `members` for a user's groups.
 */
export function requiredValueIn(filter: Filter, attr: string): string | undefined {
  if (filter.op === 'and') return requiredValueIn(filter.left, attr) ?? requiredValueIn(filter.right, attr);
  if (!('path' in filter) || filter.path.schema !== undefined || filter.path.attr.toLowerCase() !== attr) return undefined;
  if (filter.op === 'valuePath') return requiredEquality(filter.filter, 'value');
  if (filter.op === 'eq' && (filter.path.sub === undefined || filter.path.sub.toLowerCase() === 'value') && typeof filter.value === 'string') return filter.value;
  return undefined;
}
