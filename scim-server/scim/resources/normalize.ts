import { ENTERPRISE_ATTRIBUTES, EXTERNAL_ID, extensionSchemaOf, findAttribute, HUB_SCHEMA, MAX_LENGTH, MAX_VALUES, type AttributeDef } from '../attributes.ts';
import { invalidValue, preview } from '../errors.ts';

/**
 * Turns what a client sent into the canonical stored form: attribute names in their schema case
 * (`Primary` → `primary`, `Manager.Value` → `manager.value`), `"True"`/`"False"` → booleans,
 * nulls and unknown attributes dropped (RFC 7643 §2.5: unassigned; https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups "ignore
 * unknown attributes"), read-only and write-only attributes (groups, password) dropped, and a wrong
 * type or a value past its size limit (attributes.ts MAX_LENGTH, MAX_VALUES) rejected with 400
 * invalidValue before anything is written.
 */
export type ScimObject = Record<string, unknown>;

const isObject = (v: unknown): v is ScimObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export function coerceBoolean(value: unknown, where: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  throw invalidValue(`${where}: expected a boolean, got ${preview(value)}`);
}

/** Entra's PATCH on roles sends each value as a JSON-encoded string (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups). */
function unwrapStringifiedRole(element: ScimObject): ScimObject {
  const raw = element.value;
  if (typeof raw !== 'string' || !raw.trim().startsWith('{')) return element;
  try {
    const parsed = JSON.parse(raw) as ScimObject;
    if (!isObject(parsed)) return element;
    const out: ScimObject = { ...element, value: parsed.value ?? raw };
    const display = parsed.display ?? parsed.displayName;
    if (display !== undefined && out.display === undefined) out.display = display;
    if (parsed.type !== undefined && out.type === undefined) out.type = parsed.type;
    if (parsed.primary !== undefined && out.primary === undefined) out.primary = parsed.primary;
    return out;
  } catch {
    return element;
  }
}

export function normalizeValue(def: AttributeDef, value: unknown, where: string): unknown {
  if (value === null || value === undefined) return undefined;
  if (def.multiValued) {
    const list = Array.isArray(value) ? value : [value];
    if (def.name !== 'members' && list.length > MAX_VALUES) throw invalidValue(`${where}: at most ${MAX_VALUES} values, got ${list.length}`);
    const out: unknown[] = [];
    list.forEach((element, i) => {
      let e = element;
      // A bare string member ("string id 1" in the MS suite's group PATCH) is its value.
      if (def.name === 'members' && typeof e === 'string') e = { value: e };
      if (def.name === 'roles' && isObject(e)) e = unwrapStringifiedRole(e);
      const v = normalizeSingle(def, e, `${where}[${i}]`);
      if (v === undefined) return;
      // A bare string member (not RFC 7643 §4.2's {value}) is the Microsoft validator's form, marked so
      // the group write may drop it when it names no user instead of refusing (groups.ts).
      if (typeof element === 'string' && def.name === 'members' && isObject(v)) bareMembers.add(v);
      out.push(v);
    });
    return out;
  }
  if (Array.isArray(value)) {
    // Entra sends manager as `[{"value": …, "$ref": …}]` (tutorial example 5): take the single element.
    if (def.type === 'complex' && value.length <= 1) return value.length ? normalizeSingle(def, value[0], where) : undefined;
    throw invalidValue(`${where}: expected a single value, got a list`);
  }
  return normalizeSingle(def, value, where);
}

function normalizeSingle(def: AttributeDef, value: unknown, where: string): unknown {
  if (value === null || value === undefined) return undefined;
  switch (def.type) {
    case 'boolean':
      return coerceBoolean(value, where);
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      throw invalidValue(`${where}: expected an integer, got ${preview(value)}`);
    case 'complex': {
      if (def.name === 'manager' && typeof value === 'string') return value === '' ? undefined : { value };
      if (!isObject(value)) throw invalidValue(`${where}: expected an object, got ${preview(value)}`);
      const out = normalizeObject(value, def.subAttributes ?? [], where);
      // A manager that names no one (`{}`, `[{"value": ""}]`, only the read-only displayName) is no
      // manager, as the empty string is (above): RFC 7643 §2.5 reads an empty value as unassigned,
      // and Entra "can't provision null attributes" (it skips them), so empty is the form it has
      // (https://learn.microsoft.com/entra/identity/app-provisioning/customize-application-attributes).
      // Kept as `{"value": ""}`, it was read back as a manager whose id is "".
      if (def.name === 'manager' && (typeof out.value !== 'string' || out.value === '')) return undefined;
      // Members and roles: the MS suite sends `displayName` where RFC 7643 says `display`.
      const displayName = findKey(value, 'displayName');
      if (findAttribute(def.subAttributes, 'display') && out.display === undefined && typeof displayName === 'string') out.display = displayName;
      return out;
    }
    default:
      if (typeof value !== 'string') throw invalidValue(`${where}: expected a string, got ${preview(value)}`);
      if (def.type === 'binary' && !BASE64.test(value)) throw invalidValue(`${where}: expected base64 (RFC 7643 §2.3.6, RFC 4648 §4), got ${preview(value)}`);
      return checkedLength(def, value, where);
  }
}

/**
 * RFC 7643 §2.3.6: a binary value "MUST be base64 encoded as specified in Section 4 of [RFC4648]",
 * its trailing "=" optional. Nothing else is one (RFC 4648 §3.3: characters outside the alphabet
 * are rejected): a certificate sent as PEM text or plain words was stored and answered back as if
 * it were the certificate's bytes.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

function checkedLength(def: AttributeDef, value: string, where: string): string {
  const max = def.maxLength ?? (def.type === 'binary' ? MAX_LENGTH.binary : MAX_LENGTH.other);
  if (value.length > max) throw invalidValue(`${where}: at most ${max} characters, got ${value.length}`);
  return value;
}

/** Group members a client sent as a bare string (see normalizeValue). */
export const bareMembers = new WeakSet<object>();

function findKey(obj: ScimObject, name: string): unknown {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export function normalizeObject(input: ScimObject, defs: readonly AttributeDef[], where: string): ScimObject {
  const out: ScimObject = {};
  for (const [key, value] of Object.entries(input)) {
    const def = findAttribute(defs, key);
    if (!def || def.mutability === 'readOnly' || def.mutability === 'writeOnly') continue;
    const v = normalizeValue(def, value, where ? `${where}.${def.name}` : def.name);
    if (v !== undefined) out[def.name] = v;
  }
  return out;
}

/**
 * A whole resource: core attributes, `externalId`, and extension objects keyed by their URN.
 * `id`, `meta`, `schemas` and the read-only hub extension are the server's and are ignored.
 */
export function normalizeResource(input: ScimObject, core: readonly AttributeDef[]): ScimObject {
  const out = normalizeObject(input, core, '');
  const externalId = findKey(input, 'externalId');
  if (externalId !== undefined && externalId !== null) {
    if (typeof externalId !== 'string') throw invalidValue(`externalId: expected a string, got ${preview(externalId)}`);
    out.externalId = checkedLength(EXTERNAL_ID, externalId, 'externalId');
  }
  for (const [key, value] of Object.entries(input)) {
    const schema = extensionSchemaOf(key);
    if (!schema || schema === HUB_SCHEMA || value === null) continue;
    if (!isObject(value)) throw invalidValue(`${schema}: expected an object, got ${preview(value)}`);
    const ext = normalizeObject(value, ENTERPRISE_ATTRIBUTES, schema);
    if (Object.keys(ext).length > 0) out[schema] = ext;
  }
  return out;
}
