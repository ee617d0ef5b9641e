import { ENTERPRISE_ATTRIBUTES, ENTERPRISE_SCHEMA, EXTERNAL_ID, findAttribute, type AttributeDef } from '../attributes.ts';
import { invalidPath, ScimError } from '../errors.ts';
import { parseFilter, type Filter } from '../filter/parse.ts';
import { parseAttrPath } from '../filter/path.ts';

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

/** Returns undefined for attributes this server does not keep (the operation is ignored). */
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
  let def: AttributeDef | undefined;
  if (schema === ENTERPRISE_SCHEMA) def = findAttribute(ENTERPRISE_ATTRIBUTES, path.attr);
  else if (schema === undefined) {
    // Entra replaces externalId by path (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups); it is common to all resources.
    def = path.attr.toLowerCase() === 'externalid' ? EXTERNAL_ID : findAttribute(core, path.attr);
    if (!def && core !== ENTERPRISE_ATTRIBUTES && findAttribute(core, 'userName')) {
      def = findAttribute(ENTERPRISE_ATTRIBUTES, path.attr);
      if (def) schema = ENTERPRISE_SCHEMA;
    }
  }
  if (!def || def.mutability === 'readOnly' || def.mutability === 'writeOnly') return undefined;
  let sub: AttributeDef | undefined;
  if (subText !== undefined) {
    sub = findAttribute(def.subAttributes, subText);
    if (!sub) return undefined;
  }
  if (filter && !def.multiValued) throw invalidPath(`path ${JSON.stringify(text)}: ${def.name} is not multi-valued`);
  return { schema, def, filter, sub, text };
}
