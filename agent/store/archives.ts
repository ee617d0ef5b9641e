import { childLogger } from '../log/logger.ts';
import { Archive, type ArchivedRecord } from './archive.ts';
import { codeOf, type StoreFiles } from './store-files.ts';
import type { Inspection } from './store-inspect.ts';

const log = childLogger('store');

/** The collections that only grow: kept on disk, never in memory or in the snapshot. */
export const ARCHIVED_COLLECTIONS = ['audit', 'finishedTasks'] as const;

/**
 * The id each archived record was stored under (an archive line keeps the partition and the
 * record, not the key): audit entries by their sequence number (audit-log.ts), tasks by id.
 */
export const ARCHIVED_ID_OF: Record<string, (record: any) => string> = {
  audit: (entry: { seq: number }) => String(entry.seq),
  finishedTasks: (task: { id: string }) => task.id,
};

/**
 * The durable store's archives, one per archived collection (archive.ts): filled from the journal
 * at open, fed each durable batch, synced before a journal holding their records is dropped.
 */
export class Archives {
  private byName = new Map<string, Archive>();

  constructor(files: StoreFiles, folder: string, names: readonly string[], segmentBytes?: number) {
    for (const name of names) this.byName.set(name, new Archive(files, folder, name, segmentBytes));
  }

  has(collection: string): boolean {
    return this.byName.has(collection);
  }

  newestFirst(collection: string, partition?: string): AsyncGenerator<ArchivedRecord> {
    return this.byName.get(collection)!.newestFirst(partition);
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
  oldestFirst(collection: string): AsyncGenerator<ArchivedRecord> {
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
