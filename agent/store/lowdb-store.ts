import { dirname, resolve } from 'node:path';
import { childLogger } from '../log/logger.ts';
import { appendToJournal, cutRefusedTail, isJournalRemoved, journalHeader, journalRecord } from './journal.ts';
import { addToBatch, openBatch, type Batch } from './commit-batch.ts';
import { MemoryStore } from './memory-store.ts';
import { codeOf, nodeFiles, type StoreFileHandle, type StoreFiles } from './store-files.ts';
import { ARCHIVED_COLLECTIONS, ARCHIVED_KEY_OF, archivedWrittenAt, Archives } from './archives.ts';
import type { CollectionName, RecordOf } from './collections.ts';
import { describeDamage, inspectStore, storePaths, type StorePaths } from './store-inspect.ts';
import { rotateJournal, writeFreshFiles, writeSnapshotFile } from './store-layout.ts';
import { lockStore } from './store-lock.ts';
import { SerializedStore, type CapturedDocument } from './store-file.ts';
import { StoreUnavailable } from './store-unavailable.ts';
import type { Change, Transaction } from './store.ts';

const log = childLogger('store');

export interface LowdbStoreOptions {
  /** Called before each journal append with its bytes; tests use it to slow the disk. */
  beforeAppend?: (bytes: Buffer) => Promise<void>;
  /** Rewrite the snapshot once the journal holds this many bytes (default: max(16 MB, snapshot size)). */
  checkpointBytes?: number;
  /** The file layer (tests inject faults: faulty-files.test-double.ts). */
  files?: StoreFiles;
  /** While the disk refuses writes, how often to try again (default 2 s; also the Retry-After). */
  probeMs?: number;
  /** Collections kept on disk only (archive.ts), read through `newestFirst` (default: the audit log and finished tasks). */
  archived?: readonly string[];
  /** Start a new archive segment past this many bytes (default 8 MB; tests make it small). */
  archiveSegmentBytes?: number;
}

/**
 * The embedded default store: MemoryStore's semantics, made durable in a JSON snapshot (`path`)
 * plus a checksummed write-ahead journal beside it (`path.journal`); see journal.ts, store-file.ts
 * and docs/architecture.md for the formats and the measurements behind them.
 *
 * Group commit: at most one journal append runs at a time; every transaction that commits while
 * it runs joins the next batch, which becomes one append (one fdatasync). `transact` resolves only
 * when its batch is on disk, every byte counted (writeAll).
 *
 * A failed append or fsync fails its transactions with `StoreUnavailable`, and the store undoes in
 * memory that batch and every transaction staged after it (in reverse order), so no reader acts on
 * a change the disk does not hold. A transaction that may have read an undone change is refused
 * too, read-only ones included (MemoryStore.transact says how). The store then refuses writes,
 * says why (`unavailableReason`, /readyz), and probes the disk every `probeMs`: once a fresh
 * journal and snapshot can be written, it accepts writes again.
 *
 * Checkpoint: when the journal has grown, a new journal is created (header, fsync) and rotated in
 * (the old one becomes `path.journal.1`), the durable state at that instant is captured and written
 * as a new snapshot (temp file, fsync, rename, fsync folder) in the background while commits go on;
 * then `path.journal.1` is removed. The snapshot cache only ever holds durable state (a batch's
 * lines enter it after its fsync), so a snapshot never contains a change that later failed.
 */
export class LowdbStore extends MemoryStore {
  readonly path: string;
  readonly journalPath: string;
  readonly previousJournalPath: string;
  /** Journal appends (durable group commits) since open. */
  commits = 0;
  /** Snapshots written since open. */
  checkpoints = 0;
  private readonly paths: StorePaths;
  private readonly files: StoreFiles;
  private readonly probeMs: number;
  private serialized = new SerializedStore();
  private journal: StoreFileHandle | null = null;
  private journalBytes = 0;
  /** Size of the journal's header line: a journal no longer than this holds no commit. */
  private headerBytes = 0;
  private snapshotBytes = 0;
  private seq = 0;
  private next: Batch | null = null;
  private draining = false;
  private writing: Promise<void> = Promise.resolve();
  private checkpoint: Promise<void> | null = null;
  /** A snapshot write failed: `.journal.1` is still needed, so the next checkpoint only retries the snapshot. */
  private snapshotPending = false;
  private unavailable: { reason: string; since: string } | null = null;
  private probe: NodeJS.Timeout | null = null;
  private state: 'new' | 'open' | 'closed' = 'new';
  private unlock: () => Promise<void> = async () => {};
  private archives: Archives;

  constructor(path: string, private options: LowdbStoreOptions = {}) {
    super();
    this.path = resolve(path);
    this.paths = storePaths(this.path);
    this.journalPath = this.paths.journalPath;
    this.previousJournalPath = this.paths.previousJournalPath;
    this.files = options.files ?? nodeFiles;
    this.probeMs = options.probeMs ?? 2_000;
    this.archives = new Archives(this.files, `${this.path}.archive`, options.archived ?? ARCHIVED_COLLECTIONS, options.archiveSegmentBytes);
  }

  protected override keeps(collection: string): boolean {
    return !this.archives.has(collection);
  }

  override async *newestFirst<C extends CollectionName>(collection: C, partition?: string, newer?: (a: Readonly<RecordOf<C>>, b: Readonly<RecordOf<C>>) => number): AsyncGenerator<Readonly<RecordOf<C>>> {
    if (!this.archives.has(collection)) return yield* super.newestFirst(collection, partition, newer);
    for await (const r of this.archives.newestFirst(collection, partition)) yield r.record as RecordOf<C>;
  }

  /** A record kept on disk (a finished task) by id, in any partition: through the archive's id hashes (archive-ids.ts), never a read of it all. */
  async archivedById<C extends CollectionName>(collection: C, id: string): Promise<Readonly<RecordOf<C>> | undefined> {
    return (await this.archives.findById(collection, id))?.record as RecordOf<C> | undefined;
  }

  /**
   * Every record, collection by collection (sorted by name): those in memory in each partition's
   * insertion order, archived ones oldest first (their commit order; key and time: archives.ts). For `store migrate`.
   */
  async *everyRecord(): AsyncGenerator<readonly [collection: string, partition: string, id: string, record: unknown, writtenAtMs?: number]> {
    const names = [...new Set([...this.data.keys(), ...this.archives.names()])].sort();
    for (const c of names) {
      if (this.archives.has(c)) {
        const keyOf = ARCHIVED_KEY_OF[c];
        if (!keyOf) throw new Error(`store: no key rule for the archived collection ${c}`);
        for await (const r of this.archives.oldestFirst(c)) yield [c, r.partition, keyOf(r), r.record, archivedWrittenAt(c, r)];
        continue;
      }
      for (const [p, records] of this.data.get(c as CollectionName) ?? []) for (const [id, record] of records) yield [c, p, id, record];
    }
  }

  /** Archive lines failing their checksum (readers skip them): `store migrate` must not call a copy without them complete. */
  damagedArchiveLines(): Promise<Array<{ file: string; line: number }>> {
    return this.archives.damagedLines();
  }

  /** Retention of an archived collection: drops its segments last written before `cutoffMs`; returns how many. */
  async dropArchivedBefore(collection: string, cutoffMs: number): Promise<number> {
    return this.archives.dropBefore(collection, cutoffMs);
  }

  /**
   * Loads the snapshot and replays the journals; starts empty when there is no file. Any damage
   * (see store-inspect.ts) rejects with a message naming the file, the line and what would be
   * lost, and nothing is written: the files may be the only record of who holds access.
   */
  override async open(): Promise<void> {
    if (this.state !== 'new') throw new Error(`store: ${this.path} is already ${this.state === 'open' ? 'open' : 'closed'}`);
    await this.files.mkdir(dirname(this.path)).catch((err) => {
      throw new Error(`store: cannot create the folder of ${this.path}: ${codeOf(err)}`);
    });
    this.unlock = await lockStore(this.path);
    try {
      await this.readFiles();
    } catch (err) {
      await this.unlock();
      throw err;
    }
    this.state = 'open';
  }

  private async readFiles(): Promise<void> {
    const found = await inspectStore(this.files, this.paths);
    // A file that could not be read at all is not damaged: repair (which rewrites the store) would
    // be the wrong advice, fixing the path or the file system is the right one.
    if (found.damage.length > 0 && found.damage.every((d) => d.unreadable)) {
      throw new Error(`store: cannot open ${this.path}: ${found.damage.map((d) => describeDamage(d, this.path)).join('; ')}. Nothing was touched`);
    }
    if (found.damage.length > 0) {
      throw new Error(`store: cannot open ${this.path}: ${found.damage.map((d) => describeDamage(d, this.path)).join('; ')}. Nothing was touched; see what \`hubwarden store check\` reports, restore a backup, or run \`hubwarden store repair --accept-loss\``);
    }
    for (const t of found.torn) {
      log.warn('store: dropped a torn final journal record (an append cut short, never acknowledged)', { file: t.file, line: t.line, bytes: t.bytes });
    }
    await this.archives.fill(found);
    const flat = [...found.records].filter(([c]) => !this.archives.has(c)).flatMap(([c, parts]) => [...parts].filter(([, r]) => r.size > 0).map(([p, r]) => [c, p, r] as const));
    this.loadPartitions(flat);
    for (const [c, p, records] of flat) for (const [id, record] of records) this.serialized.set(c, p, id, record);
    this.seq = found.seq;
    const current = found.journals[1]!;
    const clean = found.snapshot && !found.snapshot.legacy && found.replayed === 0 && found.torn.length === 0 &&
      found.currentJournal === this.journalPath && !found.journals[0]!.exists && current.after !== undefined;
    try {
      if (clean) {
        // Nothing to fold in: go on appending to the journal there is.
        this.journal = await this.files.open(this.journalPath, 'r+', 0o600);
        this.journalBytes = current.goodBytes;
        this.headerBytes = journalHeader(current.after!).byteLength;
        this.snapshotBytes = (await this.files.size(this.path)) ?? 0;
      } else {
        // Start from one clean snapshot and a fresh journal (a torn tail is cut off this way too).
        await this.reestablish();
      }
    } catch (err) {
      throw new Error(`store: cannot open ${this.path}: writing failed: ${codeOf(err)}`);
    }
    log.debug('store opened', { path: this.path, replayedCommits: found.replayed, seq: this.seq });
  }

  override healthy(): boolean {
    return this.state === 'open' && this.unavailable === null;
  }

  /** Why writes are refused (for /readyz; no file paths), or undefined while they are accepted. */
  unavailableReason(): string | undefined {
    if (this.state !== 'open') return `the store is ${this.state === 'new' ? 'not open yet' : 'closed'}`;
    return this.unavailable ? `writes refused since ${this.unavailable.since}: ${this.unavailable.reason}; retrying every ${this.probeMs / 1000} s` : undefined;
  }

  /** Refuses work before anything is staged when the store cannot make it durable. */
  override async transact<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    if (this.state !== 'open') throw new Error(`store: ${this.path} is ${this.state === 'new' ? 'not open yet' : 'closed'}`);
    if (this.unavailable) throw new StoreUnavailable(this.unavailable.reason, Math.ceil(this.probeMs / 1000));
    return super.transact(fn);
  }

  /**
   * Checked again when a transaction's function has returned, before anything is applied: one
   * that waited for its turn, or ran, while the disk began refusing writes is refused too (its
   * writes would otherwise wait unacknowledged until the disk recovers). And one that was running
   * when a write was reverted is refused even if the disk has recovered since: it may have read
   * that write, and committing what it derived from it would keep a consequence of a write that
   * is gone (see MemoryStore.transact).
   */
  protected override refuseCommit(readReverted: boolean): void {
    const retryAfter = Math.ceil(this.probeMs / 1000);
    if (this.unavailable) throw new StoreUnavailable(this.unavailable.reason, retryAfter);
    if (readReverted) throw new StoreUnavailable(`${this.lastRefusal ?? 'a write failed'}; this transaction ran while a write it may have read was undone`, retryAfter);
  }

  /** Why writes were last refused (kept after the store resumes, for `refuseCommit`). */
  private lastRefusal: string | undefined;

  /** Serialized lines of each transaction's changes (see prepare), keyed by its change list. */
  private prepared = new WeakMap<readonly Change[], Array<string | undefined>>();

  /**
   * Serializes the records before MemoryStore applies them: a record JSON cannot hold (a BigInt, a
   * cycle) rejects its transaction with nothing applied, instead of failing after the fact.
   */
  protected override prepare(changes: readonly Change[]): void {
    this.prepared.set(changes, changes.map((c) => (c.record === undefined ? undefined : JSON.stringify([c.id, c.record]))));
  }

  protected override persist(changes: readonly Change[], before: readonly unknown[]): Promise<void> {
    const batch = (this.next ??= openBatch());
    addToBatch(batch, changes, before, this.prepared.get(changes), (c) => this.archives.has(c));
    if (!this.draining) {
      this.draining = true;
      this.writing = this.drain();
    }
    return batch.promise;
  }

  /** Appends batches one at a time until none is waiting. */
  private async drain(): Promise<void> {
    try {
      while (this.next && !this.unavailable) {
        const batch = this.next;
        this.next = null;
        try {
          const bytes = journalRecord(this.seq + 1, batch.changes);
          await this.options.beforeAppend?.(bytes);
          await appendToJournal(this.journal!, bytes, this.journalBytes);
          this.seq++;
          this.commits++;
          this.journalBytes += bytes.byteLength;
        } catch (err) {
          // Cut before anyone hears of the refusal (journal.ts). Best effort: a disk that refuses
          // this too is logged, and the probe replaces the journal once the disk recovers.
          await cutRefusedTail(this.journal!, this.journalBytes).catch((cutErr) =>
            log.warn('store: could not cut the refused append off the journal; a restart before writes resume may replay it', { path: this.path, code: codeOf(cutErr) }),
          );
          this.refuseWrites(isJournalRemoved(err) ? `appending to the journal (${err.message})` : 'appending to the journal', err, batch);
          return;
        }
        for (const [c, p, id, line] of batch.lines) this.serialized.setLine(c, p, id, line);
        if (batch.archived.length > 0) this.archives.append(this.seq, batch.archived);
        batch.resolve();
        if (!this.checkpoint && this.journalBytes >= (this.options.checkpointBytes ?? Math.max(16 << 20, this.snapshotBytes))) {
          await this.startCheckpoint();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * The disk refused a write. The failed batch and every transaction staged after it are undone in
   * memory, newest first, and rejected; the store refuses writes until the probe succeeds.
   */
  private refuseWrites(what: string, err: unknown, failed?: Batch): void {
    const batches = [failed, this.next].filter((b): b is Batch => b !== undefined && b !== null);
    this.next = null;
    const reason = `${codeOf(err)} while ${what}`;
    this.unavailable = { reason, since: new Date().toISOString() };
    this.lastRefusal = reason;
    log.error('store: the disk refused a write; writes are refused until it accepts them again', { path: this.path, what, code: codeOf(err) });
    for (const b of [...batches].reverse()) for (const t of [...b.txs].reverse()) this.revert(t.changes, t.before);
    const error = new StoreUnavailable(reason, Math.ceil(this.probeMs / 1000));
    for (const b of batches) b.reject(error);
    if (!this.probe) {
      this.probe = setInterval(() => void this.tryResume(), this.probeMs);
      this.probe.unref();
    }
  }

  /** The probe's attempt in progress: `close` waits for it, so no file is written after it returns (and the lock is released). */
  private resuming: Promise<void> | null = null;
  private probeCode: string | null = null; // the code the probe last logged: one warn line per cause, not one per probe

  /** The probe: can a fresh journal and snapshot be written? Then writes are accepted again. */
  private tryResume(): Promise<void> {
    if (this.resuming || this.checkpoint || this.draining || this.state !== 'open') return Promise.resolve();
    this.resuming = this.resume().finally(() => (this.resuming = null));
    return this.resuming;
  }

  private async resume(): Promise<void> {
    try {
      await this.reestablish();
      this.unavailable = null;
      this.snapshotPending = false;
      clearInterval(this.probe!);
      this.probe = this.probeCode = null;
      log.info('store: the disk accepts writes again; writes resumed', { path: this.path, seq: this.seq });
    } catch (err) {
      if (codeOf(err) !== this.probeCode) log.warn('store: the disk still refuses writes; logged again only if the error changes', { path: this.path, code: codeOf(err) });
      this.probeCode = codeOf(err);
    }
  }

  /**
   * Makes the files hold exactly the durable state in memory: a fresh journal (header, fsync) is
   * prepared, the snapshot is written, then the journal is renamed into place and `.journal.1`
   * removed. A crash at any step leaves files that open to the same state.
   */
  private async reestablish(): Promise<void> {
    await this.archives.sync(); // the journals about to be replaced hold their records
    const { journal, headerBytes } = await writeFreshFiles(this.files, this.paths, this.seq, (captured) => this.writeSnapshot(captured), this.serialized.capture(this.seq));
    await this.journal?.close().catch(() => {});
    this.journal = journal;
    this.journalBytes = this.headerBytes = headerBytes;
  }

  /** Rotates the journal (between appends) and writes a snapshot of this instant in the background. */
  private async startCheckpoint(): Promise<void> {
    if (!this.snapshotPending) {
      try {
        const { journal, headerBytes } = await rotateJournal(this.files, this.paths, this.seq);
        await this.journal!.close().catch(() => {});
        this.journal = journal;
        this.journalBytes = this.headerBytes = headerBytes;
      } catch (err) {
        this.refuseWrites('rotating the journal', err);
        return;
      }
    }
    const captured = this.serialized.capture(this.seq);
    this.checkpoint = this.writeSnapshot(captured)
      .then(() => this.archives.sync())
      .then(() => this.files.unlink(this.previousJournalPath))
      .then(() => void (this.snapshotPending = false))
      .catch((err) => {
        // The journals still hold everything: commits go on, and the next checkpoint retries.
        this.snapshotPending = true;
        log.error('store: writing the snapshot failed; the journals keep every commit, retrying at the next checkpoint', { path: this.path, code: codeOf(err) });
      })
      .finally(() => (this.checkpoint = null));
  }

  private async writeSnapshot(captured: CapturedDocument): Promise<void> {
    this.snapshotBytes = await writeSnapshotFile(this.files, this.path, this.serialized, captured);
    this.checkpoints++;
  }

  /** Resolves once no append and no snapshot rewrite is running (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.draining || this.checkpoint) {
      await this.writing;
      await this.checkpoint;
    }
  }

  /** Waits for pending writes, folds the journal into the snapshot, and stops accepting transactions. */
  override async close(): Promise<void> {
    if (this.state !== 'open') {
      this.state = 'closed';
      return;
    }
    this.state = 'closed';
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
    await this.resuming;
    await this.settled();
    if (!this.unavailable && (this.journalBytes > this.headerBytes || this.snapshotPending)) {
      await this.reestablish().catch((err) => log.error('store: folding the journal in at close failed; it is replayed at the next start', { path: this.path, code: codeOf(err) }));
    }
    await this.journal?.close().catch(() => {});
    await this.archives.close();
    await this.unlock();
  }
}
