import { ENTERPRISE_SCHEMA, extensionSchemaOf, GROUP_SCHEMA, HUB_SCHEMA, MISSPELT_ENTERPRISE_SCHEMA, USER_SCHEMA } from '../attributes.ts';

/**
 * An attribute path (RFC 7644 §3.10 `attrPath`): an optional schema URN, an attribute and an
 * optional sub-attribute. `urn:…:enterprise:2.0:User:manager.value` → { schema, attr: 'manager',
 * sub: 'value' }. Names keep the case they arrived in; lookups are case-insensitive.
 */
export interface AttrPath {
  schema?: string;
  attr: string;
  sub?: string;
}

const KNOWN_SCHEMAS = [ENTERPRISE_SCHEMA, MISSPELT_ENTERPRISE_SCHEMA, HUB_SCHEMA, USER_SCHEMA, GROUP_SCHEMA];
const NAME = /^[A-Za-z$][\w$-]*$/;

export function parseAttrPath(text: string): AttrPath | undefined {
  let rest = text;
  let schema: string | undefined;
  if (/^urn:/i.test(text)) {
    const lower = text.toLowerCase();
    const known = KNOWN_SCHEMAS.find((u) => lower.startsWith(u.toLowerCase()) && /^[:.]/.test(text.slice(u.length)));
    if (known) {
      // The misspelt enterprise URN is the enterprise extension, as it is in a body (attributes.ts):
      // read as an unknown schema, `…:2.0User:costCenter` was an attribute not kept, and its
      // PATCH answered 204 with the value dropped.
      schema = extensionSchemaOf(known) ?? known;
      // Microsoft's inbound collection writes `…:User.manager`; RFC 7644 writes `…:User:manager`.
      rest = text.slice(known.length + 1);
    } else {
      const at = text.lastIndexOf(':');
      schema = text.slice(0, at);
      rest = text.slice(at + 1);
    }
    if (schema === USER_SCHEMA || schema === GROUP_SCHEMA) schema = undefined; // core attributes
  }
  const parts = rest.split('.');
  if (parts.length > 2 || !parts.every((p) => NAME.test(p))) return undefined;
  return { schema, attr: parts[0], sub: parts[1] };
}

export function formatAttrPath(path: AttrPath): string {
  const base = path.sub ? `${path.attr}.${path.sub}` : path.attr;
  return path.schema ? `${path.schema}:${base}` : base;
}
