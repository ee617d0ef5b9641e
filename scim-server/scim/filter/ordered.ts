import { ENTERPRISE_ATTRIBUTES, ENTERPRISE_SCHEMA, findAttribute, HUB_ATTRIBUTES, HUB_SCHEMA, type AttributeDef } from '../attributes.ts';
import { invalidFilter } from '../errors.ts';
import type { Filter } from './parse.ts';
import { formatAttrPath, type AttrPath } from './path.ts';

/**
 * RFC 7644 §3.4.2.2, for each of gt, ge, lt and le: "Boolean and Binary attributes SHALL cause a
 * failed response (HTTP status code 400) with "scimType" of "invalidFilter"". The parser knows no
 * schema, so `active gt true` was read and matched nothing: a 200 with an empty list, which a
 * client takes for "no such user". Checked against the resource's attribute table before any
 * record is read. An unquoted `true`/`false` has no order either, whatever it is compared with.
 */
const ORDERING = new Set(['gt', 'ge', 'lt', 'le']);

/** What a valuePath over an attribute this server does not define looks into: nothing is known. */
const UNKNOWN: AttributeDef = { name: '', type: 'complex', subAttributes: [] };

/** The definition `path` names: top-level (core, then the enterprise extension for a User), or a sub-attribute of `within`. */
function attributeOf(path: AttrPath, core: readonly AttributeDef[], within?: AttributeDef): AttributeDef | undefined {
  let def: AttributeDef | undefined;
  if (within) def = findAttribute(within.subAttributes, path.attr);
  else if (path.schema === ENTERPRISE_SCHEMA) def = findAttribute(ENTERPRISE_ATTRIBUTES, path.attr);
  else if (path.schema === HUB_SCHEMA) def = findAttribute(HUB_ATTRIBUTES, path.attr);
  else if (path.schema === undefined) def = findAttribute(core, path.attr) ?? (findAttribute(core, 'userName') ? findAttribute(ENTERPRISE_ATTRIBUTES, path.attr) : undefined);
  if (def && path.sub !== undefined) return findAttribute(def.subAttributes, path.sub);
  return def;
}

/** The type a comparison sees: a complex attribute compares its `value` (filter/evaluate.ts). */
function comparedType(def: AttributeDef | undefined): AttributeDef['type'] | undefined {
  if (def?.type === 'complex') return findAttribute(def.subAttributes, 'value')?.type;
  return def?.type;
}

export function assertOrderable(filter: Filter, core: readonly AttributeDef[], within?: AttributeDef): void {
  switch (filter.op) {
    case 'and':
    case 'or':
      assertOrderable(filter.left, core, within);
      assertOrderable(filter.right, core, within);
      return;
    case 'not':
      assertOrderable(filter.filter, core, within);
      return;
    case 'pr':
      return;
    case 'valuePath':
      assertOrderable(filter.filter, core, attributeOf(filter.path, core, within) ?? UNKNOWN);
      return;
    default: {
      if (!ORDERING.has(filter.op)) return;
      const what = formatAttrPath(filter.path);
      if (typeof filter.value === 'boolean') throw invalidFilter(`filter: "${what} ${filter.op} ${filter.value}": true and false have no order; gt, ge, lt and le compare strings, numbers and date-times (RFC 7644 §3.4.2.2)`);
      const type = comparedType(attributeOf(filter.path, core, within));
      if (type === 'boolean' || type === 'binary') throw invalidFilter(`filter: ${what} is a ${type} attribute, which ${filter.op} cannot compare (RFC 7644 §3.4.2.2: gt, ge, lt and le on a boolean or binary attribute are a 400 invalidFilter)`);
    }
  }
}
