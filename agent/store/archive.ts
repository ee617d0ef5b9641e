import { crc32 } from 'node:zlib';
import { dirname, join } from 'node:path';
import { childLogger } from '../log/logger.ts';
import { hex } from './journal.ts';
import { ArchiveIds } from './archive-ids.ts';
import { codeOf, syncFolder, writeAll, type StoreFileHandle, type StoreFiles } from './store-files.ts';

const log = childLogger('store');

/**
 * An append-only record log on disk, read newest first by paging: where the store keeps the
 * collections that only grow (the audit log, finished tasks), so memory stays flat however long
 * hubwarden runs. Records reach it through the journal: the store journals them in the same
 * commit as the change they belong to (an audit entry is atomic with the outcome it records), and
 * hands them to the archive once that commit is durable. The archive is synced before any journal
 * holding its records is dropped, and on open the journal's newer records are appended again, so
 * the archive never loses a record and never holds one twice.
 *
 * Files: `<folder>/<name>-000001.log`, … one line per record,
 *   {"seq":42,"p":"acme","r":{…},"crc":"9a3b04f1"}
 * `seq` is the journal commit; `crc` the CRC-32 of the bytes before `,"crc"` (journal.ts). A new
 * segment starts past `segmentBytes`, so a reader holds one segment at a time and retention can
 * drop whole segments.
 */
export interface ArchivedRecord {
  seq: number;
  partition: string;
  record: unknown;
}

/** An archived record as `oldestFirst` reads it (`store migrate`). */
export interface ArchivedLine extends ArchivedRecord {
  /** Its segment's number and its line in it (from 1): a place no other record of the archive has. */
  segment: number;
  line: number;
  /**
   * When the previous segment was last written (the segment's mtime), if known: a segment is
   * started only once the one before is full, so the record was written after it.
   */
  afterMs?: number;
  /** When its own segment was last written: the record was written by then (what retention goes by, `dropSegmentsBefore`). */
  byMs?: number;
}

export class Archive {
  /** The last journal commit whose records are in the archive (written, maybe not yet synced). */
  lastSeq = 0;
  private segments: number[] = [];
  private file: StoreFileHandle | null = null;
  private size = 0;
  private pending: Buffer[] = [];
  private flushing: Promise<void> = Promise.resolve();
  /**
   * The bytes written to the current segment since its last successful fdatasync, from
   * `syncedSize` on. A failed fdatasync may have dropped them: Linux marks the dirty pages clean
   * after a writeback error and reports it once, so the next fdatasync succeeds with nothing
   * written (https://lwn.net/Articles/752063/, https://wiki.postgresql.org/wiki/Fsync_Errors).
   * After a failure (`syncFailed`) the next sync writes them again first, from this copy, so that
   * success means they are on disk before a journal holding them is dropped. Synced past
   * UNSYNCED_MAX_BYTES, so the copy stays small.
   */
  private unsynced: Buffer[] = [];
  private unsyncedBytes = 0;
  private syncedSize = 0;
  private syncFailed = false;
  private damagedReported = false;
  /**
   * Folders whose entries changed since they were last synced: the archive folder once a segment
   * file was created in it, and at open its parent too (the folder may be new). fsync of a file
   * does not make its name durable; without this a power loss after the journal was dropped could
   * take a whole segment, records and all.
   */
  private unsyncedFolders = new Set<string>();
  /** The ids of the records queued in `pending` (`idOf`), and per segment the hashes of those written (archive-ids.ts; built at the first `findById`). */
  private pendingIds: string[] = [];
  private ids: ArchiveIds | undefined;

  constructor(
    private files: StoreFiles,
    private folder: string,
    readonly name: string,
    private segmentBytes = 8 << 20,
    private idOf?: (record: unknown) => string | undefined, // a record's id, where found by id (`findById`)
  ) {}

  private segmentPath(n: number): string {
    return join(this.folder, `${this.name}-${String(n).padStart(6, '0')}.log`);
  }

  /**
   * Finds the segments and the last commit archived. A torn last line (a crash mid-write) is cut
   * off. A bad line with good ones after it is cut off with them only when the journals still
   * hold every commit from it on (`journaledFrom`: the first commit they hold), so open appends
   * them again: a hole a power loss left in what was never synced. Otherwise those lines were
   * synced and their journal is gone: the bad line is kept (readers skip it, logged) and so is
   * every good line after it, which no other file holds.
   */
  async open(journaledFrom = Infinity): Promise<void> {
    await this.files.mkdir(this.folder);
    this.unsyncedFolders.add(dirname(this.folder)).add(this.folder);
    const prefix = `${this.name}-`;
    this.segments = (await this.files.list(this.folder)).filter((f) => f.startsWith(prefix) && f.endsWith('.log')).map((f) => Number(f.slice(prefix.length, -4))).filter(Number.isSafeInteger).sort((a, b) => a - b);
    if (this.segments.length === 0) this.segments.push(1);
    const last = this.segmentPath(this.segments[this.segments.length - 1]!);
    const bytes = (await this.files.read(last)) ?? Buffer.alloc(0);
    const good: Array<{ seq: number; start: number; end: number }> = [];
    let bad: { start: number; line: number; after: number } | undefined;
    let start = 0;
    let n = 0;
    for (const { line, end } of lines(bytes)) {
      n++;
      const parsed = parseLine(line);
      if (parsed && bytes[end - 1] === 10) good.push({ seq: parsed.seq, start, end });
      else bad ??= { start, line: n, after: good.length > 0 ? good[good.length - 1]!.seq : 0 };
      start = end;
    }
    let keep = good.length > 0 ? good[good.length - 1]!.end : 0;
    // Good lines of the bad line's own commit after it (a commit's records are written together)
    // are refilled only if the journals hold that commit too: from the next one on is not enough.
    const midCommit = bad !== undefined && good.some((g) => g.start > bad.start && g.seq === bad.after);
    if (bad && (keep <= bad.start || journaledFrom <= (midCommit ? bad.after : bad.after + 1))) keep = bad.start;
    else if (bad) log.warn('store: an archive line fails its checksum; it is kept and skipped, and the lines after it are kept (no journal holds them any more)', { file: last, line: bad.line });
    for (const g of good) {
      if (g.end > keep) break;
      if (g.seq !== this.lastSeq) ((this.previousSeq = this.lastSeq), (this.lastCommitStart = g.start));
      this.lastSeq = g.seq;
    }
    this.file = await this.files.open(last, bytes.byteLength === 0 ? 'w' : 'r+', 0o600);
    if (keep < bytes.byteLength) await this.file.truncate(keep);
    this.size = this.syncedSize = keep;
    // An empty last segment (just started when a crash came): the last commit archived is in an
    // earlier one (synced whole before this one was started), or the journal would append it twice.
    for (let i = this.segments.length - 2; this.lastSeq === 0 && i >= 0; i--) {
      for (const { line } of lines((await this.files.read(this.segmentPath(this.segments[i]!))) ?? Buffer.alloc(0))) {
        const parsed = parseLine(line);
        if (parsed) this.lastSeq = parsed.seq;
      }
    }
  }

  private previousSeq = 0;
  private lastCommitStart = 0;

  /**
   * Forgets the last commit written (it may be partly written: a crash between two of its lines)
   * so that it is appended again whole from the journal, which still holds it.
   */
  async redoLastCommit(): Promise<void> {
    if (this.size === 0 || this.lastCommitStart > this.size) return;
    await this.file!.truncate(this.lastCommitStart);
    this.size = this.syncedSize = this.lastCommitStart;
    this.lastSeq = this.previousSeq;
  }

  /** Queues a record of commit `seq`; `flush` writes it. */
  append(seq: number, partition: string, record: unknown): void {
    const body = Buffer.from(`{"seq":${seq},"p":${JSON.stringify(partition)},"r":${JSON.stringify(record)}`, 'utf8');
    this.pending.push(body, Buffer.from(`,"crc":"${hex(crc32(body))}"}\n`, 'utf8'));
    if (this.idOf) this.pendingIds.push(this.idOf(record) ?? '');
    this.lastSeq = Math.max(this.lastSeq, seq);
  }

  /** Writes what is queued (no fsync: the journal still holds it until `sync`). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write(), () => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.length === 0) return;
    const parts = this.pending;
    const ids = this.pendingIds;
    this.pending = [];
    this.pendingIds = [];
    const bytes = Buffer.concat(parts);
    try {
      await writeAll(this.file!, bytes, this.size);
    } catch (err) {
      this.pending = parts.concat(this.pending); // written again at the same place next time
      this.pendingIds = ids.concat(this.pendingIds);
      throw err;
    }
    // Indexed under the segment they were written to (a new one is started only after this).
    for (const id of ids) this.ids?.add(this.segments[this.segments.length - 1]!, id);
    this.size += bytes.byteLength;
    this.unsynced.push(bytes);
    this.unsyncedBytes += bytes.byteLength;
    // After a failed fdatasync, only `sync` (at a checkpoint) tries again: a try at every write
    // would write the whole unsynced copy again each time while the disk keeps failing.
    if (this.syncFailed) return;
    if (this.unsyncedBytes >= UNSYNCED_MAX_BYTES && this.size < this.segmentBytes) {
      await this.datasync().catch((err) => log.warn('store: syncing the archive failed; its unsynced records are written again at the next sync, and the journal keeps them meanwhile', { archive: this.name, code: codeOf(err) }));
    }
    if (this.size >= this.segmentBytes) {
      await this.startSegment().catch((err) => log.warn('store: starting a new archive segment failed; the current one takes the records meanwhile', { archive: this.name, code: codeOf(err) }));
    }
  }

  /**
   * The full segment is synced and the next one created before the switch: a failure of either
   * leaves the current segment open for writes (what was written stays written), and the next
   * write tries again.
   */
  private async startSegment(): Promise<void> {
    await this.datasync();
    const next = this.segments[this.segments.length - 1]! + 1;
    const file = await this.files.open(this.segmentPath(next), 'w', 0o600);
    await this.file!.close().catch(() => {});
    this.file = file;
    this.unsyncedFolders.add(this.folder);
    this.segments.push(next);
    this.size = this.syncedSize = 0;
  }

  /**
   * fdatasync of the current segment (run in the `flushing` chain, between writes). After a
   * failed one, the bytes written since the last success are written again first (see `unsynced`).
   */
  private async datasync(): Promise<void> {
    const file = this.file!;
    if (this.syncFailed && this.unsyncedBytes > 0) await writeAll(file, Buffer.concat(this.unsynced, this.unsyncedBytes), this.syncedSize);
    try {
      await file.datasync();
    } catch (err) {
      this.syncFailed = true;
      throw err;
    }
    this.syncFailed = false;
    this.syncedSize = this.size;
    this.unsynced = [];
    this.unsyncedBytes = 0;
  }

  /** Writes and fsyncs everything queued: called before a journal holding these records is dropped. */
  async sync(): Promise<void> {
    if (!this.file) return;
    this.flushing = this.flushing.then(() => this.write(), () => this.write()).then(() => this.datasync());
    await this.flushing;
    for (const folder of [...this.unsyncedFolders]) {
      this.unsyncedFolders.delete(folder); // a segment created meanwhile adds it again
      try {
        await syncFolder(this.files, folder);
      } catch (err) {
        this.unsyncedFolders.add(folder);
        throw err;
      }
    }
    // A segment removed while open (the store's folder deleted) takes writes and syncs into an
    // inode no restart finds: the journal holding its records must not be dropped (journal.ts).
    if ((await this.file.stat()).nlink === 0) throw Object.assign(new Error(`${this.name}: the archive segment was removed from its folder while open`), { code: 'ENOENT' });
  }

  async close(): Promise<void> {
    await this.sync().catch((err) => log.error('store: archive not synced at close; the journal replays it at the next start', { archive: this.name, code: codeOf(err) }));
    await this.file?.close().catch(() => {});
    this.file = null;
  }

  /**
   * Every archived record, newest first, one segment in memory at a time (queued records first).
   * A line that fails its checksum is skipped and logged once.
   */
  async *newestFirst(partition?: string): AsyncGenerator<ArchivedRecord> {
    await this.flush().catch(() => {});
    for (const n of [...this.segments].reverse()) {
      const bytes = await this.files.read(this.segmentPath(n));
      if (!bytes) continue;
      const found: ArchivedRecord[] = [];
      for (const { line } of lines(bytes)) {
        const parsed = parseLine(line);
        if (!parsed) {
          if (line.length > 0 && !this.damagedReported) {
            this.damagedReported = true;
            log.warn('store: an archive line fails its checksum and is skipped', { file: this.segmentPath(n) });
          }
          continue;
        }
        if (partition === undefined || parsed.partition === partition) found.push(parsed);
      }
      for (let i = found.length - 1; i >= 0; i--) yield found[i]!;
    }
  }

  /**
   * The newest archived record with this id (`idOf`), or undefined: only the segments whose id
   * hashes hold the id's are read (archive-ids.ts), so an id the archive does not hold reads none,
   * however large the archive. The first call builds the hashes, reading the archive once.
   */
  async findById(id: string): Promise<ArchivedRecord | undefined> {
    const idOf = this.idOf;
    if (!idOf) throw new Error(`store: the archive ${this.name} has no id rule`);
    await this.flush().catch(() => {});
    // Set before it is built: records written meanwhile are added by `write` (none is missed).
    const ids = (this.ids ??= new ArchiveIds([...this.segments], async (n) => (await this.recordsIn(n)).map((r) => idOf(r.record))));
    await ids.ready.catch((err) => {
      if (this.ids === ids) this.ids = undefined; // built again at the next call
      throw err;
    });
    for (const n of [...this.segments].reverse()) {
      if (!ids.mayHold(n, id)) continue;
      const found = (await this.recordsIn(n)).findLast((r) => idOf(r.record) === id); // the newest
      if (found) return found;
    }
  }

  /** The good records of one segment, oldest first (damaged lines skipped). */
  private async recordsIn(n: number): Promise<ArchivedRecord[]> {
    const found: ArchivedRecord[] = [];
    for (const { line } of lines((await this.files.read(this.segmentPath(n))) ?? Buffer.alloc(0))) {
      const parsed = parseLine(line);
      if (parsed) found.push(parsed);
    }
    return found;
  }

  /**
   * Every archived record, oldest first, one segment in memory at a time (`store migrate`), with
   * where it lies and the bounds its segment files set on when it was written.
   */
  async *oldestFirst(): AsyncGenerator<ArchivedLine> {
    await this.flush().catch(() => {});
    let afterMs: number | undefined;
    for (const n of this.segments) {
      const path = this.segmentPath(n);
      const byMs = await this.files.modifiedMs(path);
      const bytes = await this.files.read(path);
      if (!bytes) continue;
      let at = 0;
      for (const { line } of lines(bytes)) {
        at++; // damaged lines counted too: a line's number never depends on what the checksum says of another
        const parsed = parseLine(line);
        if (parsed) yield { ...parsed, segment: n, line: at, afterMs, byMs };
      }
      afterMs = byMs;
    }
  }

  /**
   * The lines, in every segment, that fail their checksum (readers skip them): each as its file
   * and line number. `store migrate` refuses a copy that would leave them out unnoticed.
   */
  async damagedLines(): Promise<Array<{ file: string; line: number }>> {
    await this.flush().catch(() => {});
    const damaged: Array<{ file: string; line: number }> = [];
    for (const n of this.segments) {
      const file = this.segmentPath(n);
      let at = 0;
      for (const { line } of lines((await this.files.read(file)) ?? Buffer.alloc(0))) {
        at++;
        if (line.length > 0 && !parseLine(line)) damaged.push({ file, line: at });
      }
    }
    return damaged;
  }

  /** Drops whole segments last written before `cutoffMs` (never the one being written). */
  async dropSegmentsBefore(cutoffMs: number): Promise<number> {
    let dropped = 0;
    while (this.segments.length > 1) {
      const path = this.segmentPath(this.segments[0]!);
      const at = await this.files.modifiedMs(path);
      if (at === undefined || at >= cutoffMs) break;
      await this.files.unlink(path);
      this.ids?.drop(this.segments[0]!);
      this.segments.shift();
      dropped++;
    }
    return dropped;
  }
}

/** Unsynced archive bytes past which the archive is synced between checkpoints (see `unsynced`). */
const UNSYNCED_MAX_BYTES = 4 << 20;

function* lines(bytes: Buffer): Generator<{ line: string; end: number }> {
  for (let start = 0; start < bytes.byteLength; ) {
    const nl = bytes.indexOf(10, start);
    const end = nl === -1 ? bytes.byteLength : nl + 1;
    yield { line: bytes.toString('utf8', start, nl === -1 ? end : nl), end };
    start = end;
  }
}

const CRC_TAIL = /,"crc":"([0-9a-f]{8})"\}$/;

function parseLine(line: string): ArchivedRecord | undefined {
  const tail = CRC_TAIL.exec(line);
  if (!tail || hex(crc32(line.slice(0, tail.index))) !== tail[1]) return undefined;
  try {
    const v = JSON.parse(line) as { seq: number; p: string; r: unknown };
    return { seq: v.seq, partition: v.p, record: v.r };
  } catch {
    return undefined;
  }
}
