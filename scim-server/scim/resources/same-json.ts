/**
 * JSON text with object keys sorted at every level, for telling a real change from the same
 * value sent again: a JSON object is an unordered collection of members (RFC 8259 §4), so an
 * IdP that builds `name` or an email as `{familyName, givenName}` where `{givenName, familyName}`
 * is stored sends the same value. Array order is kept (a multi-valued attribute keeps the order
 * the IdP sent).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  });
}
