import { childLogger } from '../log/logger.ts';
import { Archive, type ArchivedLine, type ArchivedRecord } from './archive.ts';
import { codeOf, type StoreFiles } from './store-files.ts';
import type { Inspection } from './store-inspect.ts';

const log = childLogger('store');

/** The collections that only grow: kept on disk, never in memory or in the snapshot. */
export const ARCHIVED_COLLECTIONS = ['audit', 'finishedTasks'] as const;

/**
 * The key each archived record is copied under by `store migrate` (an archive line keeps the
 * partition and the record, not the key). A finished task keeps its own: its id. An audit entry's
 * key was its seq and the mark of the process that wrote it (audit-log.ts appendAudit), which the
 * line does not keep; the seq alone is not unique: a process started with its clock set back
 * numbers entries again from an earlier time, and two entries of one hub at one key would be one
 * record in PostgreSQL (the copy then fails its verification every time). So the mark is minted
 * from the line's place in the archive (segment and line): unique in the archive, the same on
 * every run of the copy (a copy started over finds its own keys), and never a live mark (those
 * are hex only, no '-').
 */
export const ARCHIVED_KEY_OF: Record<string, (line: ArchivedLine) => string> = {
  audit: (l) => `${(l.record as { seq: number }).seq}.a${l.segment}-${l.line}`,
  finishedTasks: (l) => (l.record as { id: string }).id,
};

/**
 * The id an archived record is found by (`findById`): a finished task's own. The audit log is
 * read by paging only (its entries have no id of their own).
 */
export const ARCHIVED_ID_OF: Record<string, (record: unknown) => string | undefined> = {
  finishedTasks: (r) => (r as { id?: string }).id,
};

/**
 * When an archived record came to be, by its own fields: an audit entry's `at`; a task's end
 * (completedAt, else updatedAt: what task retention measures from, tasks/prune.ts).
 */
const ARCHIVED_TIME_OF: Record<string, (record: any) => string | undefined> = {
  audit: (entry: { at?: string }) => entry.at,
  finishedTasks: (task: { completedAt?: string; updatedAt?: string }) => task.completedAt ?? task.updatedAt,
};

/**
 * About when an archived record was written to its archive, in ms, or undefined when nothing
 * says: its own time, but not before the previous segment was last written nor after its own
 * segment was (the segment's time wins when the two disagree, as lowdb's retention goes by it).
 * `store migrate` carries it over as the record's written_at, so retention keeps counting from
 * there instead of from the copy.
 */
export function archivedWrittenAt(collection: string, l: ArchivedLine): number | undefined {
  const raw = ARCHIVED_TIME_OF[collection]?.(l.record);
  const own = typeof raw === 'string' ? Date.parse(raw) : Number.NaN;
  let ms = Number.isFinite(own) ? own : l.byMs;
  if (ms === undefined) return undefined;
  if (l.afterMs !== undefined) ms = Math.max(ms, l.afterMs);
  if (l.byMs !== undefined) ms = Math.min(ms, l.byMs);
  return ms;
}

/**
 * The durable store's archives, one per archived collection (archive.ts): filled from the journal
 * at open, fed each durable batch, synced before a journal holding their records is dropped.
 */
export class Archives {
  private byName = new Map<string, Archive>();

  constructor(files: StoreFiles, folder: string, names: readonly string[], segmentBytes?: number) {
    for (const name of names) this.byName.set(name, new Archive(files, folder, name, segmentBytes, ARCHIVED_ID_OF[name]));
  }

  has(collection: string): boolean {
    return this.byName.has(collection);
  }

  newestFirst(collection: string, partition?: string): AsyncGenerator<ArchivedRecord> {
    return this.byName.get(collection)!.newestFirst(partition);
  }

  /** The newest record of an archived collection with this id, without reading the whole archive (archive.ts `findById`). */
  async findById(collection: string, id: string): Promise<ArchivedRecord | undefined> {
    const archive = this.byName.get(collection);
    if (!archive) throw new Error(`store: ${collection} is not an archived collection`);
    return archive.findById(id);
  }

  async dropBefore(collection: string, cutoffMs: number): Promise<number> {
    return (await this.byName.get(collection)?.dropSegmentsBefore(cutoffMs)) ?? 0;
  }

  async sync(): Promise<void> {
    for (const archive of this.byName.values()) await archive.sync();
  }

  async close(): Promise<void> {
    for (const archive of this.byName.values()) await archive.close();
  }

  /**
   * Opens each archive and appends the records it lacks: those of journal commits newer than its
   * last one (a crash came before they were written; the last commit is rewritten whole, it may be
   * partly there), and, once, those a snapshot of the first format still held. Synced before the
   * journals that hold them can be dropped.
   */
  async fill(found: Inspection): Promise<void> {
    if (this.byName.size === 0) return;
    const journaled = new Set(found.journals.flatMap((j) => j.entries.map((e) => e.seq)));
    // The first commit from which the journals hold every one to the last (a `.journal.1` left
    // beside a fresh journal may end before that journal starts).
    let journaledFrom = Infinity;
    for (const seq of journaled) journaledFrom = journaledFrom === Infinity ? seq + 1 : Math.max(journaledFrom, seq + 1);
    while (journaled.has(journaledFrom - 1)) journaledFrom--;
    for (const archive of this.byName.values()) {
      await archive.open(journaledFrom);
      if (journaled.has(archive.lastSeq)) await archive.redoLastCommit();
    }
    const snapshotSeq = found.snapshot?.seq ?? 0;
    if (found.snapshot?.legacy) {
      for (const [c, archive] of this.byName) {
        if (archive.lastSeq >= snapshotSeq) continue;
        for (const [p, records] of found.records.get(c) ?? []) for (const record of records.values()) archive.append(snapshotSeq, p, record);
      }
    }
    // What each archive held before the journals' records are appended: `append` moves lastSeq on,
    // and a commit's second record must not look as if its commit were archived already.
    const archivedUpTo = new Map([...this.byName].map(([c, archive]) => [c, archive.lastSeq]));
    for (const journal of found.journals) {
      for (const entry of journal.entries) {
        if (found.snapshot?.legacy && entry.seq <= snapshotSeq) continue; // already in that snapshot
        for (const [c, p, change] of entry.changes) {
          const archive = this.byName.get(c);
          if (archive && typeof change !== 'string' && entry.seq > archivedUpTo.get(c)!) archive.append(entry.seq, p, change[1]);
        }
      }
    }
    await this.sync();
  }

  /** Every record of one archived collection, oldest first. */
  oldestFirst(collection: string): AsyncGenerator<ArchivedLine> {
    return this.byName.get(collection)!.oldestFirst();
  }

  /** Lines of any archive that fail their checksum (archive.ts `damagedLines`). */
  async damagedLines(): Promise<Array<{ file: string; line: number }>> {
    const damaged: Array<{ file: string; line: number }> = [];
    for (const archive of this.byName.values()) damaged.push(...(await archive.damagedLines()));
    return damaged;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** A durable commit's archived records, written in the background (the journal holds them meanwhile). */
  append(seq: number, records: ReadonlyArray<readonly [string, string, unknown]>): void {
    const touched = new Set<Archive>();
    for (const [c, p, record] of records) {
      const archive = this.byName.get(c)!;
      archive.append(seq, p, record);
      touched.add(archive);
    }
    for (const archive of touched) {
      archive.flush().catch((err) => log.warn('store: writing the archive failed; retried, and the journal keeps its records meanwhile', { archive: archive.name, code: codeOf(err) }));
    }
  }
}
