import { ENTERPRISE_SCHEMA, extensionSchemaOf, GROUP_SCHEMA, HUB_SCHEMA, USER_SCHEMA } from './attributes.ts';
import { invalidSyntax, invalidValue, preview } from './errors.ts';

/**
 * Checks on a parsed request body that no attribute table covers: the text itself (NUL, lone
 * surrogates, nesting depth) and the `schemas` list. Each refusal is a 400 with the RFC 7644 §3.12
 * scimType, before anything is staged.
 */
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** Deeper than any SCIM resource (User → addresses → element → value is 3); past it, not a resource. */
export const MAX_DEPTH = 32;

/**
 * Names one object may hold, and keys and values one body may hold in all. A SCIM resource has a
 * few dozen attributes, a group of 200,000 members (the 16 MB limit, body.ts) about a million
 * values. A 13 MB group body of 1.5 million tiny keys held the event loop 22 s and 2 GB while it
 * was checked and read; 8 million array elements, 3 s. Past either: 400 invalidValue (RFC 7644
 * §3.12), before anything else reads the body.
 */
export const MAX_OBJECT_NAMES = 1000;
export const MAX_BODY_VALUES = 2_000_000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function badText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'a NUL character';
  if (LONE_SURROGATE.test(text)) return 'a lone UTF-16 surrogate (not a Unicode character)';
  return undefined;
}

/**
 * Every key and string value of `body`: no NUL (it ends strings in the systems the values travel
 * to) and no lone surrogate (JSON `"\ud800"` parses, but it is no Unicode text, RFC 8259 §8.2, and
 * cannot be written back as UTF-8). No object may hold two names equal but for case
 * (sameNameTwice). Walked without recursion, so depth costs no stack.
 */
export function assertCleanText(body: unknown): void {
  const stack: Array<{ value: unknown; where: string; depth: number }> = [{ value: body, where: '', depth: 0 }];
  let values = 0;
  while (stack.length > 0) {
    const { value, where, depth } = stack.pop()!;
    if (++values > MAX_BODY_VALUES) throw invalidValue(`the body holds more than ${MAX_BODY_VALUES} keys and values`);
    if (typeof value === 'string') {
      const bad = badText(value);
      if (bad) throw invalidValue(`${where || 'the body'}: the value holds ${bad}`);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_DEPTH) throw invalidValue(`${where || 'the body'}: nested deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(value)) {
      if (values + stack.length + value.length > MAX_BODY_VALUES) throw invalidValue(`the body holds more than ${MAX_BODY_VALUES} keys and values`);
      value.forEach((v, i) => stack.push({ value: v, where: `${where}[${i}]`, depth: depth + 1 }));
      continue;
    }
    const names = Object.keys(value).length;
    if (names > MAX_OBJECT_NAMES) throw invalidValue(`${where || 'the body'}: holds ${names} names; at most ${MAX_OBJECT_NAMES} an object`);
    const twice = sameNameTwice(value as Record<string, unknown>);
    if (twice) throw invalidSyntax(`${where || 'the body'}: holds both ${preview(twice[0])} and ${preview(twice[1])}; attribute names are case-insensitive (RFC 7643 §2.1), so send the attribute once`);
    for (const [k, v] of Object.entries(value)) {
      const bad = badText(k);
      if (bad) throw invalidValue(`${where ? `${where}.` : ''}${preview(k)}: the attribute name holds ${bad}`);
      stack.push({ value: v, where: where ? `${where}.${k}` : k, depth: depth + 1 });
    }
  }
}

/**
 * Two names of one object that differ only by case (`userName` and `UserName`, `Operations` and
 * `operations`), or undefined. RFC 7643 §2.1: "Attribute names are case insensitive", so such a
 * body sends one attribute twice, and which value it meant is a guess: read as the last one, the
 * other was dropped without a word (`value` and `Value` of a member, `active` and `Active`). Refused
 * with 400 invalidSyntax (RFC 7644 §3.12: the body "did not conform to the request schema") even
 * when both values are the same: the strict reading, and one rule for a client to follow. Every
 * object is held to it, the PatchOp's own keys and unknown attributes included.
 */
function sameNameTwice(obj: Record<string, unknown>): [string, string] | undefined {
  const keys = Object.keys(obj);
  if (keys.length < 2) return undefined;
  const seen = new Map<string, string>();
  for (const k of keys) {
    const lower = k.toLowerCase();
    const first = seen.get(lower);
    if (first !== undefined) return [first, k];
    seen.set(lower, k);
  }
  return undefined;
}

const USER_SCHEMAS = [USER_SCHEMA, ENTERPRISE_SCHEMA, HUB_SCHEMA];
/**
 * Entra's group create names this schema beside the core one (Microsoft's SCIM tutorial, "Create
 * Group" request: https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
 * It adds no attribute hubwarden reads, so it is accepted and ignored.
 */
const ENTRA_GROUP_SCHEMA = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';

/** What each kind of body may name in `schemas` (RFC 7643 §3, §8.7.1; RFC 7644 §3.5.2). */
export const BODY_SCHEMAS = {
  user: USER_SCHEMAS,
  group: [GROUP_SCHEMA, ENTRA_GROUP_SCHEMA],
  patch: [PATCH_OP_SCHEMA],
} as const;

/**
 * RFC 7643 §3: `schemas` is a list of schema URIs, and a body names the resource's schema and
 * extensions only. A body without `schemas` is still read (older clients omit it and the Microsoft
 * suite sends such bodies); one that has it malformed, empty, or naming a schema this endpoint does
 * not serve is refused with 400 invalidSyntax ("did not conform to the request schema", §3.12).
 * URNs compare case-insensitively (RFC 8141 §3.1), and Entra's misspelt enterprise URN counts.
 */
export function assertSchemas(body: Record<string, unknown>, kind: keyof typeof BODY_SCHEMAS): void {
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'schemas');
  if (key === undefined) return;
  const list = body[key];
  const allowed = BODY_SCHEMAS[kind];
  const expected = `expected a list of schema URIs from ${allowed.join(', ')}`;
  if (!Array.isArray(list) || list.length === 0) throw invalidSyntax(`schemas: ${expected}, got ${preview(list)}`);
  for (const urn of list) {
    if (typeof urn !== 'string') throw invalidSyntax(`schemas: ${expected}, got ${preview(urn)}`);
    const known = extensionSchemaOf(urn) ?? allowed.find((a) => a.toLowerCase() === urn.toLowerCase());
    if (!known || !(allowed as readonly string[]).includes(known)) throw invalidSyntax(`schemas: "${preview(urn).slice(1, -1)}" is not a schema of this endpoint; ${expected}`);
  }
  const core = kind === 'user' ? USER_SCHEMA : kind === 'group' ? GROUP_SCHEMA : PATCH_OP_SCHEMA;
  if (!list.some((u) => typeof u === 'string' && u.toLowerCase() === core.toLowerCase())) throw invalidSyntax(`schemas: must include ${core}`);
}
