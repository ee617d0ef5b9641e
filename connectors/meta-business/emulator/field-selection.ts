/**
 * The `fields` parameter (https://developers.facebook.com/docs/graph-api/guides/field-expansion): `a,b,c`, nested `business{id,name}`, edge expansion
 * `assigned_ad_accounts{id,tasks}` with an optional `.limit(n)` modifier. Unknown fields are a
 * 100 "Tried accessing nonexisting field" error, which the node projection raises.
 */
import { invalidParameter } from './graph-error.ts';

export interface FieldRequest {
  name: string;
  limit?: number;
  children?: FieldRequest[];
}

export function parseFields(text: string | undefined): FieldRequest[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let pos = 0;
  function list(closing: string | undefined): FieldRequest[] {
    const out: FieldRequest[] = [];
    while (pos < text!.length) {
      const ch = text![pos];
      if (ch === ',' || ch === ' ') {
        pos++;
        continue;
      }
      if (closing !== undefined && ch === closing) {
        pos++;
        return out;
      }
      out.push(field());
    }
    if (closing !== undefined) throw invalidParameter(`Syntax error "Expected "${closing}"" in fields ${text}`);
    return out;
  }
  function field(): FieldRequest {
    const m = /^[A-Za-z0-9_]+/.exec(text!.slice(pos));
    if (!m) throw invalidParameter(`Syntax error "Expected name" at character ${pos}: ${text}`);
    pos += m[0].length;
    const req: FieldRequest = { name: m[0] };
    while (text![pos] === '.') {
      const mod = /^\.([a-z_]+)\(([^)]*)\)/.exec(text!.slice(pos));
      if (!mod) throw invalidParameter(`Syntax error "Expected modifier" at character ${pos}: ${text}`);
      pos += mod[0].length;
      // Only `.limit(n)` is served, the modifier Meta's field-expansion guide shows
      // (https://developers.facebook.com/docs/graph-api/guides/field-expansion); the business-management
      // reference pages use none. For others the vendor docs are silent; [INF] strict choice (README): any other
      // modifier, or a limit that is no page size, is refused rather than silently dropped, so no
      // client comes to believe a modifier took effect.
      if (mod[1] !== 'limit') throw invalidParameter(`Syntax error "Unknown modifier .${mod[1]}()" at character ${pos - mod[0].length}: ${text}`);
      const n = Number(mod[2]);
      if (!Number.isInteger(n) || n < 1) throw invalidParameter(`Syntax error ".limit() takes a positive integer" at character ${pos - mod[0].length}: ${text}`);
      req.limit = n;
    }
    if (text![pos] === '{') {
      pos++;
      req.children = list('}');
    }
    return req;
  }
  return list(undefined);
}

/** The `fields` text of a selection, the inverse of parseFields: `id,assigned_pages.limit(5){id,tasks}`. */
export function fieldsText(requests: FieldRequest[]): string {
  return requests
    .map((r) => `${r.name}${r.limit !== undefined ? `.limit(${r.limit})` : ''}${r.children ? `{${fieldsText(r.children)}}` : ''}`)
    .join(',');
}
