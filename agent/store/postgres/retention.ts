import type { Connections } from './connections.ts';
import { ident, IN_COLLECTION, inCollection } from './sql.ts';

/**
 * PostgresStore.dropArchivedBefore: deletes the records of `collection` written before
 * `cutoffMs`, oldest first, in batches of `batch` rows, each its own transaction, with their index
 * entries. Returns how many were deleted.
 */
export async function dropRecordsBefore(db: Connections, schema: string, collection: string, cutoffMs: number, batch: number): Promise<number> {
  const records = `${ident(schema)}.records`;
  const entries = `${ident(schema)}.index_entries`;
  // The first record written at or after the cutoff, found from the oldest: everything before
  // it in insertion order goes (written_at and seq are both set at insert). When every record is
  // older, the bound is the newest one's successor as of now, so records written while the
  // batches run are never taken. `store migrate` sets written_at of the records it copies to when
  // the lowdb store wrote them (copy-to-postgres.ts carryAges), which may be out of seq order:
  // nothing at or after the cutoff is taken even so, and an older record past the bound waits
  // for it to move on.
  const cutoff = new Date(cutoffMs).toISOString();
  const [found] = await db.query<{ bound: string | null }>(
    `SELECT coalesce((SELECT seq FROM ${records} WHERE ${IN_COLLECTION} = $1 AND written_at >= $2 ORDER BY seq LIMIT 1),
                     (SELECT seq + 1 FROM ${records} WHERE ${IN_COLLECTION} = $1 ORDER BY seq DESC LIMIT 1)) AS bound`,
    [inCollection(collection), cutoff],
  );
  const bound = found?.bound ?? null;
  if (bound === null) return 0; // the collection is empty
  let dropped = 0;
  for (;;) {
    const rows = await db.query<{ n: string }>(
      `WITH doomed AS (
         SELECT partition, id FROM ${records} WHERE ${IN_COLLECTION} = $4 AND seq < $3 ORDER BY seq LIMIT $2
       ), gone AS (
         DELETE FROM ${records} r USING doomed d WHERE r.collection = $1 AND r.partition = d.partition AND r.id = d.id RETURNING r.partition, r.id
       ), entries AS (
         DELETE FROM ${entries} e USING gone g WHERE e.collection = $1 AND e.partition = g.partition AND e.id = g.id
       )
       SELECT count(*) AS n FROM gone`,
      [collection, batch, bound, inCollection(collection)],
    );
    const n = Number(rows[0]?.n ?? 0);
    dropped += n;
    if (n < batch) return dropped;
    await new Promise((resolve) => setImmediate(resolve)); // let requests in between batches
  }
}
