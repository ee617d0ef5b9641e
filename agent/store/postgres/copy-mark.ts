import type pg from 'pg';
import { ident } from './sql.ts';

/**
 * The mark `hubwarden store migrate` leaves on a schema while it copies into it
 * (migrations/007-store-marks.sql): written before the first record, deleted only once the copy
 * is verified. The advisory lock the copy holds ends with its session, so a copy cut off
 * half-way (its connection dropped, the process killed) leaves the lock free and the schema
 * half filled: the mark is what keeps a server from opening on it, and what tells a second
 * migrate that the records there are an unfinished copy rather than a store in use.
 */
export const COPY_MARK = 'copy-in-progress';

export interface CopyMark {
  /** The lowdb store file being copied. */
  source: string;
  /** ISO time the copy started. */
  startedAt: string;
}

export async function readCopyMark(client: pg.ClientBase, schema: string): Promise<CopyMark | undefined> {
  const { rows } = await client.query<{ detail: CopyMark }>(`SELECT detail FROM ${ident(schema)}.store_marks WHERE name = $1`, [COPY_MARK]);
  return rows[0]?.detail;
}

export async function setCopyMark(client: pg.ClientBase, schema: string, mark: CopyMark): Promise<void> {
  await client.query(`INSERT INTO ${ident(schema)}.store_marks (name, detail) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET detail = EXCLUDED.detail, set_at = now()`, [COPY_MARK, JSON.stringify(mark)]);
}

export async function clearCopyMark(client: pg.ClientBase, schema: string): Promise<void> {
  await client.query(`DELETE FROM ${ident(schema)}.store_marks WHERE name = $1`, [COPY_MARK]);
}

/** Why no store opens on a schema holding an unfinished copy, and the two ways out. */
export function unfinishedCopyMessage(schema: string, mark: CopyMark): string {
  return `schema "${schema}" holds a copy by \`hubwarden store migrate\` that never finished (started ${mark.startedAt} from ${mark.source}); `
    + `run \`hubwarden store migrate --to <url> --schema ${schema}\` again (it starts the copy over when every record there is at a key the lowdb store holds), `
    + `or reset with DROP SCHEMA "${schema}" CASCADE and keep running on the lowdb store`;
}
