import { ENTERPRISE_ATTRIBUTES, ENTERPRISE_SCHEMA, EXTERNAL_ID, findAttribute, HUB_ATTRIBUTES, HUB_SCHEMA, type AttributeDef } from '../attributes.ts';
import { invalidPath, ScimError } from '../errors.ts';
import { assertOrderable } from '../filter/ordered.ts';
import { parseFilter, type Filter } from '../filter/parse.ts';
import { parseAttrPath } from '../filter/path.ts';
import type { ScimObject } from '../resources/normalize.ts';

const isObject = (v: unknown): v is ScimObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * RFC 7644 §3.5.2: an operation "not compatible with an attribute's mutability" is a 400
 * `mutability` (RFC 7643 §2.2: a readOnly attribute "SHALL NOT be modified"). Named by path or as
 * a key of a path-less value, the answer is the same (apply.ts).
 */
export const readOnly = (what: string) => new ScimError(400, 'mutability', `${what} is read-only (RFC 7643 §2.2); the server sets it`);

/**
 * Where a PATCH operation points (RFC 7644 §3.5.2 `path`): an attribute, optionally in an
 * extension, optionally filtered (`members[value eq "u1"]`), optionally a sub-attribute
 * (`emails[type eq "work"].value`, `name.givenName`). Unqualified enterprise attributes
 * (`manager`, `department`) resolve to the enterprise extension, as Entra sends them
 * (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
 */
export interface PatchTarget {
  schema?: string;
  def: AttributeDef;
  filter?: Filter;
  sub?: AttributeDef;
  text: string;
}

/** Whether `path` names the common `id` attribute (`id`, `urn:…:core:2.0:User:id`, any case). */
export function namesId(path: string): boolean {
  const p = parseAttrPath(path);
  return p !== undefined && p.schema === undefined && p.sub === undefined && p.attr.toLowerCase() === 'id';
}

/**
 * Returns undefined for attributes this server does not keep (unknown, or the writeOnly password,
 * which is never stored): the operation is ignored. A read-only one (`id`, `meta`, a User's
 * `groups`, the hub extension, `manager.displayName`) is a 400 mutability (readOnly above); apply.ts
 * lets `id` through first when it names the resource's own id, as Okta's path-less renames do.
 */
export function resolveTarget(text: string, core: readonly AttributeDef[]): PatchTarget | undefined {
  let attrText = text;
  let filter: Filter | undefined;
  let subText: string | undefined;
  const open = text.indexOf('[');
  if (open >= 0) {
    const close = text.lastIndexOf(']');
    if (close < open) throw invalidPath(`path ${JSON.stringify(text)}: unbalanced "["`);
    attrText = text.slice(0, open);
    try {
      filter = parseFilter(text.slice(open + 1, close));
    } catch (err) {
      // The parser's reason (e.g. a single-quoted value), after its own copy of the filter text.
      const why = err instanceof ScimError ? err.detail.replace(/^filter ".*?": /, '') : '';
      throw invalidPath(`path ${JSON.stringify(text)}: bad value filter${why ? `: ${why}` : ''}`);
    }
    const after = text.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith('.')) throw invalidPath(`path ${JSON.stringify(text)}: expected ".subAttribute" after "]"`);
      subText = after.slice(1);
    }
  }
  const path = parseAttrPath(attrText);
  if (!path) throw invalidPath(`path ${JSON.stringify(text)}: not an attribute path`);
  if (path.sub !== undefined) {
    if (subText !== undefined) throw invalidPath(`path ${JSON.stringify(text)}: too many levels`);
    subText = path.sub;
  }
  let schema = path.schema;
  // RFC 7643 §3.1: id and meta are the service provider's, on every resource.
  if (schema === undefined && /^(id|meta)$/i.test(path.attr)) throw readOnly(text);
  let def: AttributeDef | undefined;
  if (schema === ENTERPRISE_SCHEMA) def = findAttribute(ENTERPRISE_ATTRIBUTES, path.attr);
  else if (schema === HUB_SCHEMA) def = findAttribute(HUB_ATTRIBUTES, path.attr);
  else if (schema === undefined) {
    // Entra replaces externalId by path (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups); it is common to all resources.
    def = path.attr.toLowerCase() === 'externalid' ? EXTERNAL_ID : findAttribute(core, path.attr);
    if (!def && core !== ENTERPRISE_ATTRIBUTES && findAttribute(core, 'userName')) {
      def = findAttribute(ENTERPRISE_ATTRIBUTES, path.attr);
      if (def) schema = ENTERPRISE_SCHEMA;
    }
  }
  if (def?.mutability === 'readOnly') throw readOnly(text);
  if (!def || def.mutability === 'writeOnly') return undefined;
  let sub: AttributeDef | undefined;
  if (subText !== undefined) {
    sub = findAttribute(def.subAttributes, subText);
    if (!sub) return undefined;
    if (sub.mutability === 'readOnly') throw readOnly(text);
  }
  if (filter && !def.multiValued) throw invalidPath(`path ${JSON.stringify(text)}: ${def.name} is not multi-valued`);
  // `emails[primary gt true]` orders a boolean (filter/ordered.ts): matched nothing, an add created an element.
  if (filter) {
    try {
      assertOrderable(filter, core, def);
    } catch (err) {
      throw err instanceof ScimError ? invalidPath(`path ${JSON.stringify(text)}: bad value filter: ${err.detail.replace(/^filter: /, '')}`) : err;
    }
  }
  return { schema, def, filter, sub, text };
}

/** The object a target's attribute lives in: the resource, or its extension object (made when `create`). */
export function containerOf(resource: ScimObject, target: PatchTarget, create: boolean): ScimObject | undefined {
  if (!target.schema) return resource;
  let ext = resource[target.schema];
  if (!isObject(ext)) {
    if (!create) return undefined;
    resource[target.schema] = ext = {};
  }
  return ext as ScimObject;
}
