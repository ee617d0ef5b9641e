import type { Request } from 'express';
import { extensionSchemaOf, type AttributeDef } from './attributes.ts';
import { invalidValue, ScimError } from './errors.ts';
import { getIgnoringCase } from './filter/evaluate.ts';
import { assertOrderable } from './filter/ordered.ts';
import { parseFilter, type Filter } from './filter/parse.ts';
import { parseAttrPath, type AttrPath } from './filter/path.ts';
import type { ScimObject } from './resources/normalize.ts';

/**
 * List queries (RFC 7644 §3.4.2): filter, startIndex/count paging and attribute projection, with
 * parameter names in any case (`startindex`, `Count`) and `startIndex < 1` clamped to 1
 * (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups). Integers are emitted as numbers (Okta requires it:
 * https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/).
 */
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 1000;

export interface ListQuery {
  filter?: Filter;
  startIndex: number;
  count: number;
  attributes?: AttrPath[];
  excludedAttributes?: AttrPath[];
}

/**
 * Query parameters by lower-cased name (RFC 7644 §3.4.2: names are case-insensitive). One given
 * twice, in any case (`filter=…&Filter=…`), is a 400 invalidValue: which value was meant would be
 * a guess, and the first one answered a different question than the second asked.
 */
export function queryParams(req: Request): Map<string, string> {
  assertDecodableQuery(req.originalUrl ?? req.url ?? '');
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(req.query ?? {})) {
    const name = k.toLowerCase();
    if (Array.isArray(v) || out.has(name)) throw invalidValue(`${k.slice(0, 100)}: given more than once; give each query parameter once`);
    if (typeof v === 'string') out.set(name, v);
  }
  return out;
}

/**
 * Every name and value of the query string must decode (RFC 3986 §2.1 %-escapes of UTF-8 bytes).
 * Express's query parser (Node's querystring) keeps an escape it cannot decode as it was sent and
 * turns bytes that are not UTF-8 into U+FFFD, so `filter=userName eq "a%zz"` was searched for
 * literally and answered 200 with no match: the IdP read "no such user" from a request it got wrong
 * and created a duplicate. A filter that does not decode is no valid filter (RFC 7644 §3.4.2.2):
 * 400 invalidFilter; another parameter that does not decode is a 400 invalidValue, as its other
 * faults are. `+` is a space, as the parser reads it.
 */
function assertDecodableQuery(url: string): void {
  const at = url.indexOf('?');
  if (at < 0) return;
  for (const part of url.slice(at + 1).split('&')) {
    if (!part.includes('%')) continue;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const name = decoded(rawName);
    if (name === undefined) throw invalidValue(`query parameter ${JSON.stringify(rawName.slice(0, 100))}: its name holds a malformed %-escape`);
    if (eq >= 0 && decoded(part.slice(eq + 1)) === undefined) {
      const why = `${name.slice(0, 100)}: the value holds a malformed %-escape (each % must start an escape of UTF-8 bytes, e.g. %25 for "%")`;
      throw name.toLowerCase() === 'filter' ? new ScimError(400, 'invalidFilter', why) : invalidValue(why);
    }
  }
}

function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * An integer query value. Digits past what a double holds exactly (`99999999999999999999`, or
 * 400 of them: Infinity) are held at ±Number.MAX_SAFE_INTEGER: the clamps below then apply
 * (RFC 7644 §3.4.2.4: startIndex < 1 is 1, a negative count is 0), and a startIndex past the
 * results still answers an empty page that echoes an integer, never `null` (JSON has no Infinity).
 */
function integer(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text.trim() === '') return fallback;
  if (!/^-?\d+$/.test(text.trim())) throw invalidValue(`${name}: expected an integer, got ${JSON.stringify(text)}`);
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Number(text.trim())));
}

/**
 * Names one `attributes` or `excludedAttributes` may list. Each is looked for in every resource of
 * the page: 1,000 names on a page of 1,000 users held the event loop 240 ms, and the 16 KB URL
 * takes 4,000. A resource has a few dozen attributes; past this, 400 invalidValue.
 */
export const MAX_ATTRIBUTE_NAMES = 100;

/**
 * `emails[type eq "work"]` asks for `emails` (the MS suite sends it as an attributes value). An
 * extension's schema URN alone (`urn:…:enterprise:2.0:User`) names the whole extension (RFC 7644
 * §3.10: names may be fully qualified): it is the resource's top-level key (RFC 7643 §3.3), so it
 * is kept or dropped as an attribute of that name.
 */
function attributeList(text: string | undefined): AttrPath[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const paths: AttrPath[] = [];
  const parts = text.split(',');
  if (parts.length > MAX_ATTRIBUTE_NAMES) throw invalidValue(`attributes: ${parts.length} names; at most ${MAX_ATTRIBUTE_NAMES}`);
  for (const part of parts) {
    const name = part.trim().replace(/\[.*\]/, '');
    const extension = extensionSchemaOf(name);
    if (extension) {
      paths.push({ attr: extension });
      continue;
    }
    const path = parseAttrPath(name);
    if (!path) throw invalidValue(`attributes: ${JSON.stringify(part.trim())} is not an attribute path`);
    paths.push(path);
  }
  return paths;
}

/** `attributes`: the resource's attribute table, which the filter's comparisons are checked against (filter/ordered.ts). */
export function parseListQuery(params: Map<string, string>, attributes?: readonly AttributeDef[]): ListQuery {
  const filterText = params.get('filter');
  const filter = filterText !== undefined && filterText.trim() !== '' ? parseFilter(filterText) : undefined;
  if (filter && attributes) assertOrderable(filter, attributes);
  return {
    filter,
    startIndex: Math.max(1, integer('startIndex', params.get('startindex'), 1)),
    count: Math.min(MAX_COUNT, Math.max(0, integer('count', params.get('count'), DEFAULT_COUNT))),
    attributes: attributeList(params.get('attributes')),
    excludedAttributes: attributeList(params.get('excludedattributes')),
  };
}

export function projectionOf(params: Map<string, string>): Pick<ListQuery, 'attributes' | 'excludedAttributes'> {
  return { attributes: attributeList(params.get('attributes')), excludedAttributes: attributeList(params.get('excludedattributes')) };
}

const ALWAYS = new Set(['schemas', 'id', 'meta']);

function keyIn(obj: ScimObject, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

const isObject = (v: unknown): v is ScimObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `element` with only its sub-attribute `sub` (named as stored), or `{}` when it has none. */
function only(element: ScimObject, sub: string): ScimObject {
  const k = keyIn(element, sub);
  return k === undefined ? {} : { [k]: element[k] };
}

/** `element` without its sub-attribute `sub`. */
function without(element: ScimObject, sub: string): ScimObject {
  const k = keyIn(element, sub);
  if (k === undefined) return element;
  const { [k]: _gone, ...rest } = element;
  return rest;
}

/**
 * RFC 7644 §3.9: `attributes` keeps only those (plus id, schemas, meta); `excludedAttributes` drops
 * them. Names are in RFC 7644 §3.10 notation, so a sub-attribute names only itself:
 * `attributes=emails.value,emails.type` keeps both sub-attributes of each email (the second used to
 * replace the first's), `attributes=emails,emails.value` keeps the whole emails, and
 * `excludedAttributes=name.givenName` drops the given name, not the whole `name` it used to drop.
 */
export function project(resource: ScimObject, q: Pick<ListQuery, 'attributes' | 'excludedAttributes'>): ScimObject {
  let out = resource;
  if (q.attributes) {
    out = {};
    for (const k of Object.keys(resource)) if (ALWAYS.has(k)) out[k] = resource[k];
    for (const p of q.attributes) {
      const source = p.schema ? getIgnoringCase(resource, p.schema) : resource;
      if (!isObject(source)) continue;
      const key = keyIn(source, p.attr);
      if (!key) continue;
      const target = p.schema ? ((out[p.schema] ??= {}) as ScimObject) : out;
      const value = source[key];
      // Asked for whole (now or by an earlier name): a sub-attribute adds nothing to it.
      if (!p.sub || target[key] === value) target[key] = value;
      else if (isObject(value)) target[key] = { ...(isObject(target[key]) ? target[key] : {}), ...only(value, p.sub) };
      else if (Array.isArray(value)) {
        const before = Array.isArray(target[key]) ? (target[key] as unknown[]) : [];
        target[key] = value.map((e, i) => (isObject(e) ? { ...(isObject(before[i]) ? before[i] : {}), ...only(e, p.sub!) } : e));
      }
    }
  }
  if (q.excludedAttributes) {
    out = { ...out };
    for (const p of q.excludedAttributes) {
      const source = p.schema ? getIgnoringCase(out, p.schema) : out;
      if (!isObject(source)) continue;
      const key = keyIn(source, p.attr);
      if (!key || (!p.schema && ALWAYS.has(key))) continue;
      const container = p.schema ? { ...source } : out;
      if (!p.sub) delete container[key];
      else {
        const value = container[key];
        if (isObject(value)) container[key] = without(value, p.sub);
        else if (Array.isArray(value)) container[key] = value.map((e) => (isObject(e) ? without(e, p.sub!) : e));
      }
      if (p.schema) out[keyIn(out, p.schema)!] = container;
    }
  }
  return out;
}

export function listResponse(total: number, startIndex: number, resources: ScimObject[]): ScimObject {
  return { schemas: [LIST_SCHEMA], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** Names requested in `attributes`/`excludedAttributes` mention `attr` (e.g. skip rendering members). */
export function excludes(q: Pick<ListQuery, 'attributes' | 'excludedAttributes'>, attr: string): boolean {
  const lower = attr.toLowerCase();
  // `excludedAttributes=members.display` drops a sub-attribute of each member, not the members.
  if (q.excludedAttributes?.some((p) => !p.schema && !p.sub && p.attr.toLowerCase() === lower)) return true;
  if (q.attributes && !q.attributes.some((p) => !p.schema && p.attr.toLowerCase() === lower)) return true;
  return false;
}
