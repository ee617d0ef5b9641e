import type pg from 'pg';
import type { AuditEntry } from '../api.ts';
import { auditRecord, type AuditInput } from '../audit/audit-log.ts';
import { clearCopyMark, setCopyMark, type CopyMark } from './postgres/copy-mark.ts';
import { logApplied, logCommitUnknown, logRolledBack, migrate, migrationFiles, type Migration } from './postgres/migrate.ts';
import { encodeKey, ident, isUnreachable } from './postgres/sql.ts';

/**
 * Where a test holds or cuts `hubwarden store migrate` (copy-to-postgres.windows.test.ts):
 * `schema-created`, a new schema's tables are created and not yet committed; `mark-cleared`, the
 * copy is verified and its mark deleted, its audit entry not yet written (neither committed).
 */
export type CopyStep = 'schema-created' | 'mark-cleared';
export type AtStep = (step: CopyStep) => void | Promise<void>;

/**
 * Makes the target schema ready for the copy, on the session holding its advisory lock (the one
 * a server's open takes, prepare-schema.ts). A schema whose store tables do not exist yet is
 * created, migrated and marked "copy in progress" (copy-mark.ts) in one transaction
 * (PostgreSQL's DDL is transactional: https://www.postgresql.org/docs/current/sql-begin.html): a
 * migrate killed at any point leaves either no store there or a marked one, never an empty
 * unmarked store a server would open on and write into while a rerun copies. A store that exists
 * (a server created it, an earlier release) gets only the migrations it lacks, under the lock as
 * at a server's open; the caller checks it holds nothing and marks it before the first record.
 */
export async function prepareCopyTarget(guard: pg.ClientBase, schema: string, mark: CopyMark, at?: AtStep): Promise<void> {
  const { rows } = await guard.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`${ident(schema)}.schema_migrations`]);
  if (rows[0]?.t) {
    await migrate(guard, schema);
    return;
  }
  await guard.query('BEGIN');
  // Said applied only once committed: a migrate killed before its COMMIT applied none of them.
  let ran: Migration[] = [];
  let committing = false;
  try {
    ran = await migrate(guard, schema, migrationFiles(), { inTransaction: true });
    await at?.('schema-created');
    await setCopyMark(guard, schema, mark);
    committing = true;
    await guard.query('COMMIT');
  } catch (err) {
    await guard.query('ROLLBACK').catch(() => {});
    // A COMMIT that failed without an answer (the connection lost) may have committed: not said
    // rolled back then (sql.ts `isUnreachable`, the rule a store commit's unknown outcome uses).
    if (committing && isUnreachable(err)) logCommitUnknown(schema, ran, err);
    else logRolledBack(schema, ran, err);
    throw err;
  }
  logApplied(schema, ran);
}

/**
 * Ends a verified copy: deletes its mark and writes its `store-migrated` audit entry in one
 * transaction on the lock's session, so a migrate killed here leaves either a marked copy (a
 * rerun starts it over and records it) or a recorded one, never a whole copy unrecorded that a
 * rerun refuses as a store in use. The entry is inserted as the store writes a record (its data
 * the JSON text, its key encoded: sql.ts `encodeKey`); no index is defined on the target while
 * it is copied (copy-to-postgres.ts `forgetIndexes`), so it has no index entry to write.
 */
export async function finishCopy(guard: pg.ClientBase, schema: string, entry: AuditInput, at?: AtStep): Promise<AuditEntry> {
  const { partition, id, full } = auditRecord(entry);
  await guard.query('BEGIN');
  let committing = false;
  try {
    await clearCopyMark(guard, schema);
    await at?.('mark-cleared');
    await guard.query(`INSERT INTO ${ident(schema)}.records (collection, partition, id, data) VALUES ('audit', $1, $2, $3::json)`,
      [encodeKey(partition), encodeKey(id), JSON.stringify(full)]);
    committing = true;
    await guard.query('COMMIT');
  } catch (err) {
    await guard.query('ROLLBACK').catch(() => {});
    // No answer to the COMMIT: the copy may be recorded (mark gone, entry written) or still
    // marked, one or the other (one transaction); a rerun reads which (finishedCopy below).
    if (committing && isUnreachable(err)) throw new CopyFinishUnknown(err);
    throw err;
  }
  return full;
}

/** The COMMIT ending a verified copy (finishCopy) got no answer: whether it is recorded is unknown. */
export class CopyFinishUnknown extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'CopyFinishUnknown';
  }
}

/** A copy's `store-migrated` audit entry, as found in the schema. */
export interface FinishedCopy {
  at: string;
  source?: string;
  records?: number;
}

/**
 * The latest `store-migrated` audit entry in the schema (finishCopy wrote it), if any. Found by its
 * JSON text and told apart in JavaScript, never with `data->>'action'`: PostgreSQL's json operators
 * de-escape every string of the value they read, and refuse a `\u0000` ("unsupported Unicode escape
 * sequence") or a lone surrogate ("Unicode low surrogate must follow a high surrogate") anywhere in
 * it (https://www.postgresql.org/docs/current/datatype-json.html), both of which `json` stores and
 * an audit entry may hold (a name as an app or the IdP sent it): one such entry anywhere in the
 * audit log made every rerun fail with that bare error instead of saying what the schema holds.
 */
export async function finishedCopy(guard: pg.ClientBase, schema: string): Promise<FinishedCopy | undefined> {
  let entry: AuditEntry | undefined;
  for (let before: string | null = null; entry === undefined;) {
    const { rows }: { rows: Array<{ seq: string; data: AuditEntry }> } = await guard.query<{ seq: string; data: AuditEntry }>(
      `SELECT seq, data FROM ${ident(schema)}.records WHERE collection = 'audit' AND strpos(data::text, '"store-migrated"') > 0 AND ($1::bigint IS NULL OR seq < $1) ORDER BY seq DESC LIMIT 100`, [before]);
    entry = rows.find((r) => r.data?.action === 'store-migrated')?.data;
    if (rows.length < 100) break;
    before = rows[rows.length - 1]!.seq;
  }
  if (!entry) return undefined;
  const { source, records } = entry.detail ?? {};
  return { at: entry.at, ...(typeof source === 'string' ? { source } : {}), ...(typeof records === 'number' ? { records } : {}) };
}

/**
 * What a rerun says of a schema holding a recorded copy (its mark cleared, its entry written): that
 * copy is finished. The schema is never to be dropped then: a server may have written to it since.
 */
export function finishedCopyMessage(schema: string, found: FinishedCopy, held: number): string {
  const what = `${found.records ?? 'its'} record(s)${found.source ? ` from ${found.source}` : ''}`;
  return `the previous copy into schema "${schema}" completed: it copied ${what}, was verified and recorded (store-migrated audit entry at ${found.at}), and the schema holds ${held} record(s) now (a server that ran on it since may have written some the lowdb store does not have); `
    + `nothing was copied, and there is nothing left to do for that copy: keep the schema, point the config at it and start the server (or pass another --schema to copy again)`;
}

/**
 * A key PostgreSQL refused to index: a btree entry holds at most about a third of a page (2704
 * bytes with 8 kB pages, after compression: https://www.postgresql.org/docs/current/btree-intro.html),
 * and the records table's primary key is (collection, partition, id). PostgreSQL answers
 * program_limit_exceeded (SQLSTATE 54000, https://www.postgresql.org/docs/current/errcodes-appendix.html)
 * without naming the record: the batch's longest key is named (shortened), with what it means.
 */
export function keyTooLong(schema: string, rows: ReadonlyArray<readonly [string, string, string, ...unknown[]]>, err: Error): string {
  const bytes = (r: readonly [string, string, string, ...unknown[]]) => Buffer.byteLength(r[1]) + Buffer.byteLength(r[2]);
  const [c, p, id] = rows.reduce((a, b) => (bytes(b) > bytes(a) ? b : a));
  const cut = (v: string) => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  return `${c} record ${cut(id)} (${Buffer.byteLength(id)} bytes) in partition ${cut(p)} has a key longer than PostgreSQL can index (${err.message}), so a PostgreSQL store cannot hold it; nothing was lost: keep running on the lowdb store (the copy stops here, and schema "${schema}" stays marked as an unfinished copy: no server opens on it; DROP SCHEMA "${schema}" CASCADE to reset it)`;
}
