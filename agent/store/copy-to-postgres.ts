import { createHash } from 'node:crypto';
import pg from 'pg';
import { LowdbStore } from './lowdb-store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';
import { decodeKey, encodeKey, lockKeyOf } from './postgres/sql.ts';
import { readCopyMark, setCopyMark, type CopyMark } from './postgres/copy-mark.ts';
import { MIGRATE_APPLICATION, takeSchemaLock } from './postgres/lock-wait.ts';
import { CopyFinishUnknown, finishCopy, finishedCopy, finishedCopyMessage, keyTooLong, prepareCopyTarget, type AtStep } from './copy-to-postgres-steps.ts';
import { childLogger } from '../log/logger.ts';
import { requireStore } from './store-repair.ts';
import type { CollectionName } from './collections.ts';
import type { AuditEntry } from '../api.ts';
import { storeCommandTrigger, urlWithoutCredentials } from '../audit/store-operation.ts';

const log = childLogger('store');

/** About how much JSON one batch of the copy carries at most (see copyLowdbToPostgres). */
const BATCH_BYTES = 16 * 1024 * 1024;

/**
 * A lone surrogate (a UTF-16 half with no partner): the lowdb store keeps it (its JSON escapes it),
 * but PostgreSQL text is UTF-8 and node-postgres encodes it as U+FFFD, so two such keys would
 * become one (a record written over another) and a single one would read back under another key.
 * A record's data is sent as JSON text, where it stays escaped (`\ud800`), and reads back as it was.
 */
const LONE_SURROGATE = /\p{Cs}/u;

function unstorableKey(schema: string, collection: string, partition: string, id: string): string {
  return `${collection} record ${JSON.stringify(id)} in partition ${JSON.stringify(partition)} has a key that is not Unicode text (a lone surrogate), which PostgreSQL cannot store as it is; nothing was lost: keep running on the lowdb store (the copy stops here, and schema "${schema}" stays marked as an unfinished copy: no server opens on it; DROP SCHEMA "${schema}" CASCADE to reset it)`;
}

/** One collection as copied and as read back. */
export interface CopiedCollection {
  name: string;
  records: number;
  /** SHA-256 over the collection's partitions (sorted) and each partition's records in order. */
  checksum: string;
}

export interface CopyReport {
  collections: CopiedCollection[];
  records: number;
  /**
   * Archive lines that failed their checksum and were left out (`acceptLoss` only), as
   * "<file> line <n>": also listed in the audit entry's detail.
   */
  skipped: string[];
  /** The `store-migrated` audit entry appended in the target once the copy was verified. */
  audit: AuditEntry;
  /** The mark of an earlier run's copy that never finished, found in the schema: this copy started it over. */
  startedOver?: CopyMark;
}

/** A record in a form that hashes the same however jsonb orders its object keys. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value as object).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Per collection and partition: a running hash of the records in order, and a count. */
class Digest {
  private parts = new Map<string, Map<string, { hash: ReturnType<typeof createHash>; n: number }>>();
  /** Returns the length of the record's canonical text (about its JSON size). */
  add(collection: string, partition: string, id: string, record: unknown): number {
    let byPartition = this.parts.get(collection);
    if (!byPartition) this.parts.set(collection, (byPartition = new Map()));
    let part = byPartition.get(partition);
    if (!part) byPartition.set(partition, (part = { hash: createHash('sha256'), n: 0 }));
    const text = canonical(record);
    part.hash.update(`${JSON.stringify(id)}\u0000${text}\n`);
    part.n++;
    return text.length;
  }
  collections(): CopiedCollection[] {
    return [...this.parts.keys()].sort().map((name) => {
      const byPartition = this.parts.get(name)!;
      const all = createHash('sha256');
      let records = 0;
      for (const p of [...byPartition.keys()].sort()) {
        const part = byPartition.get(p)!;
        all.update(`${JSON.stringify(p)}\u0000${part.n}\u0000${part.hash.digest('hex')}\n`);
        records += part.n;
      }
      return { name, records, checksum: all.digest('hex') };
    });
  }
}

/**
 * `hubwarden store migrate --to postgres://…`: copies a lowdb store (the server stopped: opening
 * takes its lock) into an empty PostgreSQL schema, then reads every collection back and compares
 * record counts and checksums (partition by partition, in insertion order, so SCIM paging order
 * survives). Refuses a schema that holds any record: a copy never merges into live data. No
 * record of the lowdb store is changed (opening it does what a server start does: a journal a
 * crash left is folded into the snapshot); on any mismatch the error says so and the lowdb store
 * stays the one to run on.
 *
 * The schema's creation, the empty check, the copy and the verification run under the schema's
 * advisory lock (the one migrations take at open, postgres/sql.ts `lockKeyOf`), taken first, on a
 * session of its own: a second migrate into the same schema waits until this one is done, then
 * finds the schema filled and refuses, instead of both passing the empty check and merging two
 * stores; a server starting on the schema waits too (saying so in one line, lock-wait.ts) rather
 * than run on a half-copied store, or on the empty store this one is about to fill. The target
 * store opens without preparing the schema (`schemaPrepared`: this session did, and that open
 * would wait for its lock forever). Nothing of the copy takes the lock again (no index is defined
 * on the target here; an index build takes it, postgres/indexes.ts). A server already running on
 * the schema takes no lock to write, so verification reads back the whole schema: any record the
 * copy did not write fails it, naming its collection.
 *
 * The lock ends with its session, so it cannot keep a server off a copy cut short (the session
 * dropped, the process killed): the schema is marked "copy in progress" before the first record
 * (a new schema in the transaction that creates it, copy-to-postgres-steps.ts) and the mark is
 * cleared only after verification, in the transaction that writes the `store-migrated` audit
 * entry (postgres/copy-mark.ts); no store opens on a marked schema. A run that finds the mark
 * starts over, emptying the schema first, but only when every record there is at a key this lowdb store holds (`startOver`; the store may have changed
 * it since, as it keeps running while the operator retries): the target must be empty of anything
 * else, and nothing the lowdb store lacks is ever deleted.
 *
 * Records are written in batches of at most `batch` records and about `batchBytes` of JSON,
 * whichever comes first: a batch is one `commit_writes` call whose JSON texts node-postgres
 * sends as one text[] parameter, built as one escaped string. Measured: 30 records of 14 MB in
 * one call ran Node out of its 4 GB heap (a fatal abort, no message), and by count alone 2,000
 * records of 200 KB (SCIM groups of several thousand members) are as much.
 *
 * Each archived record (the audit log, finished tasks) keeps about when the lowdb store wrote it
 * as its `written_at` (carryAges), so retention does not start its count again at the copy, and
 * audit entries are keyed by their seq and a mark minted from their place in the archive
 * (archives.ts ARCHIVED_KEY_OF): two entries of one hub sharing a seq stay two records.
 *
 * `progress` is awaited after each batch.
 */
export async function copyLowdbToPostgres(o: { source: string; url: string; schema: string; batch?: number; batchBytes?: number; progress?: (copied: number) => void | Promise<void>; acceptLoss?: boolean; at?: AtStep }): Promise<CopyReport> {
  // Opening a lowdb store where there is none creates an empty one: a mistyped --path would then
  // "migrate" 0 records, verify them, and leave a new empty store on disk and an empty schema
  // that a config could be pointed at. Nothing is opened or created unless the store is there.
  await requireStore(o.source, undefined, '. Nothing was copied or created');
  const source = new LowdbStore(o.source);
  await source.open();
  // An archive line that fails its checksum (the audit log, finished tasks) is skipped by every
  // reader, the copy's too: the copy and its read-back would then agree without it, and the
  // report say counts and checksums verified over an audit trail missing entries. Refused before
  // the target is touched, unless the operator accepts the loss; then each line is listed.
  let skipped: string[];
  try {
    skipped = (await source.damagedArchiveLines()).map((d) => `${d.file} line ${d.line}`);
  } catch (err) {
    await source.close().catch(() => {});
    throw err;
  }
  if (skipped.length > 0 && !o.acceptLoss) {
    await source.close().catch(() => {});
    throw new Error(`${skipped.length} line(s) of the lowdb store's archive (audit log, finished tasks) fail their checksum and cannot be read (first: ${skipped[0]}); a copy would leave them out. Restore those segment files from a backup, or run again with --accept-loss to copy the rest (the lines are listed and recorded in the store-migrated audit entry). Nothing was copied or created`);
  }
  const target = new PostgresStore({ url: o.url, schema: o.schema, poolSize: 2, schemaPrepared: true });
  const mark = { source: o.source, startedAt: new Date().toISOString() };
  let guard: pg.Client | undefined;
  try {
    guard = new pg.Client({ connectionString: o.url, keepAlive: true, application_name: MIGRATE_APPLICATION });
    guard.on('error', () => {}); // a lost session releases the lock; the next query on it fails the copy
    await guard.connect();
    await takeSchemaLock(guard, o.schema, lockKeyOf(o.schema), (line) => log.warn(line, { schema: o.schema }));
    await prepareCopyTarget(guard, o.schema, mark, o.at);
    await target.open();
    const held = await countRecords(guard, o.schema);
    const unfinished = await readCopyMark(guard, o.schema);
    // No reset is suggested here: a copy cut off half-way is marked (handled above and below),
    // so records without the mark are a finished copy or a store in use, which a server on
    // PostgreSQL may have written to since: the lowdb files no longer hold all of it.
    // A finished copy is said as such: a rerun after a first run whose last COMMIT got no answer
    // finds either this or the mark (below), and must tell the operator which.
    const finished = held > 0 && !unfinished ? await finishedCopy(guard, o.schema) : undefined;
    if (finished) throw new Error(finishedCopyMessage(o.schema, finished, held));
    if (held > 0 && !unfinished) throw new Error(`the target schema "${o.schema}" already holds ${held} record(s); migrate copies only into an empty schema (a migrate already filled it, or a server runs on it; no copy is unfinished there, and either may hold writes the lowdb store does not have: keep the schema, point the config at it, or pass another --schema to copy again); nothing was copied`);
    // The mark of an earlier run (this run marks a schema it creates itself, prepareCopyTarget).
    const startedOver = unfinished && (unfinished.startedAt !== mark.startedAt || unfinished.source !== mark.source) ? unfinished : undefined;
    if (startedOver) log.warn(`store: the previous copy into schema "${o.schema}" (started ${startedOver.startedAt} from ${startedOver.source}) did not finish (the schema still holds its mark): starting it over`, { schema: o.schema });
    if (held > 0) await startOver(guard, o.schema, source);
    await forgetIndexes(guard, o.schema);
    // Marked before the first record, cleared only once the copy is verified: if this session
    // drops (releasing the lock) or the process dies half-way, no server opens on the partial copy,
    // and the next migrate knows it for one (copy-mark.ts).
    await setCopyMark(guard, o.schema, mark);
    const copied = new Digest();
    const batchSize = o.batch ?? 2_000;
    const batchBytes = o.batchBytes ?? BATCH_BYTES;
    let batch: Array<readonly [string, string, string, unknown, number | undefined]> = [];
    let bytes = 0;
    let total = 0;
    const flush = async () => {
      const rows = batch;
      batch = [];
      bytes = 0;
      // The lock's session still there: once it is gone (the lock with it), a second migrate may
      // be starting this copy over, and this one must write no more into it.
      await guard!.query('SELECT 1');
      await target.transact((tx) => {
        for (const [c, p, id, record] of rows) tx.put(c as CollectionName, p, id, record as never);
      }).catch((err: unknown) => {
        const tooLong = (err as { code?: unknown }).code === '54000' && /^index row/.test((err as Error).message);
        throw tooLong ? new Error(keyTooLong(o.schema, rows, err as Error), { cause: err }) : err;
      });
      await carryAges(guard!, o.schema, rows);
      total += rows.length;
      await o.progress?.(total);
    };
    for await (const [c, p, id, record, writtenAtMs] of source.everyRecord()) {
      if (LONE_SURROGATE.test(p) || LONE_SURROGATE.test(id)) throw new Error(unstorableKey(o.schema, c, p, id));
      bytes += copied.add(c, p, id, record);
      batch.push([c, p, id, record, writtenAtMs]);
      if (batch.length >= batchSize || bytes >= batchBytes) await flush();
    }
    if (batch.length > 0) await flush();

    const expected = copied.collections();
    const found = (await readBack(guard, o.schema)).collections();
    const wrong = mismatches(expected, found);
    if (wrong.length > 0) {
      throw new Error(`verification failed for ${wrong.join(', ')}; keep running on the lowdb store; the schema stays marked as an unfinished copy (no server opens on it): run migrate again to start the copy over, or DROP SCHEMA "${o.schema}" CASCADE`);
    }
    // Audited in the target only once the copy is verified: the entry is not a record of the
    // source, so written before the read-back it would fail the audit collection's count and
    // checksum; written after, it records what was verified (counts and checksums per collection).
    // Written in the transaction that clears the mark (copy-to-postgres-steps.ts): a copy is
    // either still marked or recorded. No record of the source is changed, so its own log is left
    // as it was.
    const audit = await finishCopy(guard, o.schema, {
      trigger: storeCommandTrigger('store migrate'),
      action: 'store-migrated',
      subject: { label: `schema ${o.schema}` },
      why: `hubwarden store migrate: copied ${total} record(s) from the lowdb store ${o.source} into schema "${o.schema}" at ${urlWithoutCredentials(o.url)}; counts and checksums verified${skipped.length > 0 ? `; ${skipped.length} damaged archive line(s) left out (--accept-loss)` : ''}`,
      outcome: 'ok',
      detail: {
        source: o.source,
        target: urlWithoutCredentials(o.url),
        schema: o.schema,
        records: total,
        checksumsVerified: true,
        collections: expected.map((c) => ({ name: c.name, records: c.records, sha256: c.checksum })),
        ...(skipped.length > 0 ? { damagedArchiveLinesLeftOut: skipped } : {}),
      },
    }, o.at).catch((err: unknown) => {
      if (err instanceof CopyFinishUnknown) {
        throw new Error(`copied and verified ${total} record(s) into schema "${o.schema}", but the connection was lost once the COMMIT that clears its copy mark and writes its store-migrated audit entry was sent, so whether the copy is recorded is unknown (${err.message}); run migrate again: it reads the schema and says which (recorded: the copy is finished, nothing to do; still marked: it copies over and records it)`);
      }
      // The copy is whole and verified; only its record failed, and the mark with it. Said so, with
      // what to do, rather than a bare store error that reads as a failed copy.
      throw new Error(`copied and verified ${total} record(s) into schema "${o.schema}", but the store-migrated audit entry could not be written (${err instanceof Error ? err.message : String(err)}); the schema stays marked as an unfinished copy (no server opens on it): run migrate again to copy it over and have it recorded, or DROP SCHEMA "${o.schema}" CASCADE`);
    });
    return { collections: expected, records: total, skipped, audit, ...(startedOver ? { startedOver } : {}) };
  } finally {
    if (guard) {
      // Ending the session releases its advisory lock too; unlocking first says so explicitly.
      await guard.query('SELECT pg_advisory_unlock_all()').catch(() => {});
      await guard.end().catch(() => {});
    }
    await target.close().catch(() => {});
    await source.close().catch(() => {});
  }
}

/**
 * Sets `written_at` (postgres/migrations/001-records.sql) of the records just copied to about when
 * the lowdb store wrote them (LowdbStore.everyRecord: the archived ones; the rest keep the time of
 * the copy): retention (`dropArchivedBefore`: finished tasks after store.taskRetentionDays) goes
 * by it, and from the time of the copy it would keep everything one more full period, what was
 * already due included. Never later than the insert itself, so never in the future. Run on the
 * lock's session after the batch is committed; a record not found (so left at the time of the
 * copy) fails the copy, the schema staying marked as unfinished.
 */
async function carryAges(guard: pg.ClientBase, schema: string, rows: ReadonlyArray<readonly [string, string, string, unknown, number | undefined]>): Promise<void> {
  const aged = rows.filter((r) => r[4] !== undefined);
  if (aged.length === 0) return;
  const { rowCount } = await guard.query(
    `UPDATE ${pg.escapeIdentifier(schema)}.records r SET written_at = LEAST(to_timestamp(v.ms / 1000.0), r.written_at)
       FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[]) AS v(collection, partition, id, ms)
      WHERE r.collection = v.collection AND r.partition = v.partition AND r.id = v.id`,
    [aged.map((r) => r[0]), aged.map((r) => encodeKey(r[1])), aged.map((r) => encodeKey(r[2])), aged.map((r) => r[4])],
  );
  // A key twice in the batch is one record (the second put replaced the first): verification names that.
  const keys = new Set(aged.map((r) => JSON.stringify([r[0], r[1], r[2]]))).size;
  if (rowCount !== keys) throw new Error(`setting when ${keys} copied record(s) were written matched ${rowCount ?? 0} in schema "${schema}"; keep running on the lowdb store; the schema stays marked as an unfinished copy (no server opens on it): run migrate again to start the copy over, or DROP SCHEMA "${schema}" CASCADE`);
}

/**
 * A schema marked as holding an unfinished copy (copy-mark.ts) is emptied and copied into
 * again, but only when every record in it is at a key this lowdb store holds: deleting those
 * loses nothing (no record of the lowdb store is changed, and the copy writes each key again, with what the
 * store holds now: after a failed copy the operator keeps running on lowdb, so records change
 * before the retry). A record at any other key (another lowdb store's copy, a record this store
 * deleted since, or a write by a server that was already running on the schema when the copy
 * began) is refused, named, and nothing is deleted. Runs in one transaction on the session
 * holding the lock, so a server opening meanwhile waits for it.
 */
async function startOver(guard: pg.ClientBase, schema: string, source: LowdbStore): Promise<void> {
  const s = pg.escapeIdentifier(schema);
  const keyOf = (c: string, p: string, id: string) => JSON.stringify([c, p, id]);
  await guard.query('BEGIN');
  try {
    // The keys the schema holds, then struck off by the lowdb store's records, archived ones
    // included (everyRecord: what the copy writes): what is left is at no key of its own.
    const held = new Set<string>();
    let after = 0;
    for (;;) {
      const { rows } = await guard.query<{ collection: string; partition: string; id: string; seq: string; data: unknown }>(
        `SELECT collection, partition, id, seq, data FROM ${s}.records WHERE seq > $1 ORDER BY seq LIMIT 5000`, [after]);
      for (const r of rows) held.add(keyOf(r.collection, decodeKey(r.partition), decodeKey(r.id)));
      if (rows.length < 5000) break;
      after = Number(rows[rows.length - 1]!.seq);
    }
    for await (const [c, p, id] of source.everyRecord()) held.delete(keyOf(c, p, id));
    const [foreign] = held.keys();
    if (foreign !== undefined) {
      const [c, p, id] = JSON.parse(foreign) as [string, string, string];
      throw new Error(`the target schema "${schema}" holds an unfinished copy and ${held.size} record(s) at keys this lowdb store does not hold (first: ${c}, partition ${JSON.stringify(p)}, id ${JSON.stringify(id)}); nothing was deleted or copied. If the schema holds nothing to keep, DROP SCHEMA "${schema}" CASCADE and run migrate again`);
    }
    await guard.query(`DELETE FROM ${s}.index_entries`);
    await guard.query(`DELETE FROM ${s}.records`);
    await guard.query('COMMIT');
  } catch (err) {
    await guard.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/**
 * A schema with no record may still hold index definitions: a server that started on it before
 * the migration (and wrote nothing) built its indexes, empty, and recorded them. The copy writes
 * no index entry (no index is defined here), and a server finding its definitions unchanged does
 * not rebuild them (indexes.ts): every lookup (a member by email, a task by key) would miss the
 * copied records. Forgotten before the first record, under the lock, so the first server start
 * builds each index from the records.
 */
async function forgetIndexes(guard: pg.ClientBase, schema: string): Promise<void> {
  const s = pg.escapeIdentifier(schema);
  await guard.query('BEGIN');
  try {
    await guard.query(`DELETE FROM ${s}.index_entries`);
    await guard.query(`DELETE FROM ${s}.index_definitions`);
    await guard.query('COMMIT');
  } catch (err) {
    await guard.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/**
 * Each collection whose read-back differs from the copy, described: a count or checksum that
 * differs (every record of the collection in the schema counts, not only those copied), and a
 * collection the schema holds that the lowdb store has no record of (written by another process
 * while the copy ran).
 */
function mismatches(expected: readonly CopiedCollection[], found: readonly CopiedCollection[]): string[] {
  const actual = new Map(found.map((c) => [c.name, c]));
  const copied = new Set(expected.map((e) => e.name));
  const wrong = expected
    .filter((e) => actual.get(e.name)?.records !== e.records || actual.get(e.name)?.checksum !== e.checksum)
    .map((e) => {
      const n = actual.get(e.name)?.records ?? 0;
      return `${e.name} (copied ${e.records}, read back ${n}${n === e.records ? ', checksums differ' : n > e.records ? ': records the copy did not write' : ''})`;
    });
  for (const f of found) {
    if (!copied.has(f.name)) wrong.push(`${f.name} (copied 0, read back ${f.records}: a collection the lowdb store does not have)`);
  }
  return wrong;
}

/** Records in the schema's records table (postgres/migrations/001-records.sql). */
async function countRecords(client: pg.ClientBase, schema: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${pg.escapeIdentifier(schema)}.records`);
  return Number(rows[0]!.n);
}

/**
 * Every record as PostgreSQL now holds it, partition by partition in `seq` (insertion) order,
 * read in keyset pages so a large store is never held in memory at once.
 */
async function readBack(client: pg.ClientBase, schema: string, page = 5_000): Promise<Digest> {
  const digest = new Digest();
  let after = 0;
  for (;;) {
    const { rows } = await client.query<{ collection: string; partition: string; id: string; seq: string; data: unknown }>(
      `SELECT collection, partition, id, seq, data FROM ${pg.escapeIdentifier(schema)}.records WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [after, page],
    );
    for (const r of rows) digest.add(r.collection, decodeKey(r.partition), decodeKey(r.id), r.data);
    if (rows.length < page) return digest;
    after = Number(rows[rows.length - 1]!.seq);
  }
}
