/**
 * Searching what hubwarden keeps for secrets: every form a secret takes when it is quoted back (URL-,
 * form-, JSON-encoded, in an HTTP Basic header) or written as bytes (base64, base64url, hex), in
 * every file under a folder and in every row of a PostgreSQL schema.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

/** As a client puts it in an HTTP Basic header (RFC 6749 §2.3.1, Appendix B): all but letters and digits escaped. */
const basicForm = (s: string) => encodeURIComponent(s).replace(/[-_.!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');

/**
 * The base64 (RFC 4648 §4) and base64url (§5) text of `s` wherever it starts among the bytes of a
 * longer value (`id:secret` in a Basic header): at each of the three byte offsets, the characters
 * that only its own bytes decide.
 */
function base64Forms(s: string): string[] {
  const bytes = Buffer.from(s, 'utf8');
  const out: string[] = [];
  for (const offset of [0, 1, 2]) {
    const text = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const inner = text.slice(offset === 0 ? 0 : 4, text.length - 4);
    if (inner.length >= 8) out.push(inner, inner.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/** The forms a secret takes as sent, as a provider quotes it back, and as bytes written in text. */
export function formsOf(s: string): string[] {
  const hex = Buffer.from(s, 'utf8').toString('hex');
  return [...new Set([s, encodeURIComponent(s), new URLSearchParams({ v: s }).toString().slice(2), JSON.stringify(s).slice(1, -1), basicForm(s), ...base64Forms(s), hex, hex.toUpperCase()])];
}

/** Every file under `folder`, recursively. */
export async function filesUnder(folder: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/** Each file under `folder` as [path, text]. */
export async function filesAsText(folder: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const f of await filesUnder(folder)) out.push([f, await readFile(f, 'utf8')]);
  return out;
}

/** Each table of `schema` as [schema.table, its rows as text], and how many rows were read. */
export async function tablesAsText(url: string, schema: string): Promise<{ places: Array<[string, string]>; rows: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
    const places: Array<[string, string]> = [];
    let rows = 0;
    for (const { table_name } of tables.rows) {
      const result = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${schema}"."${table_name}" t`);
      rows += result.rowCount ?? 0;
      places.push([`${schema}.${table_name}`, result.rows.map((r) => r.row).join('\n')]);
    }
    return { places, rows };
  } finally {
    await client.end();
  }
}

/** `name (form) in place` for each secret found, in any of its forms, in any place. */
export function secretsFound(secrets: Record<string, string>, places: Array<[string, string]>): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    for (const form of formsOf(secret)) for (const [where, text] of places) if (text.includes(form)) found.push(`${name} (${form}) in ${where}`);
  }
  return found;
}
