import { mkdir, open as openFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { JSONFile } from 'lowdb/node';
import { childLogger } from '../log/logger.ts';
import { replaceFileDurably, syncFolder } from './durable-file.ts';
import { journalLine, readJournal, serializedDelete, serializedPut } from './journal.ts';
import { MemoryStore } from './memory-store.ts';
import { lockStore } from './store-lock.ts';
import { readStoreDocument, SerializedStore } from './store-file.ts';
import type { Change, Transaction } from './store.ts';

const log = childLogger('store');

export interface LowdbStoreOptions {
  /** Called before each journal append with its bytes; tests use it to slow the disk or fail it (ENOSPC). */
  beforeAppend?: (bytes: Buffer) => Promise<void>;
  /** Rewrite the snapshot once the journal holds this many bytes (default: max(16 MB, snapshot size)). */
  checkpointBytes?: number;
}

interface Batch {
  changes: string[];
  transactions: number;
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The embedded default store: MemoryStore's semantics, made durable in a lowdb JSON file
 * (`path`, the snapshot) plus a write-ahead journal beside it (`path.journal`).
 *
 * lowdb reads the snapshot (`JSONFile`). Writing bypasses lowdb's `Low.write`/steno, which
 * stringifies the whole document per write and never fsyncs (see store-file.ts, journal.ts,
 * durable-file.ts and docs/architecture.md for the measurements behind this).
 *
 * Group commit: at most one journal append runs at a time; every transaction that commits while
 * it runs joins the next batch, which becomes one append (one fdatasync) as soon as the running one
 * ends. `transact` resolves only when its batch is on disk, so a SCIM response is sent only for a
 * durable change, and 16 concurrent requests cost about two syncs, not 16.
 *
 * Checkpoint: when the journal has grown, the journal is rotated (`path.journal.1`), the state at
 * that instant is captured and written as a new snapshot (temp file, fsync, rename, fsync folder)
 * in the background while commits go on into the fresh journal; then `path.journal.1` is removed.
 * Open replays both journals over the snapshot, so a crash at any step loses no acknowledged write.
 */
export class LowdbStore extends MemoryStore {
  readonly path: string;
  readonly journalPath: string;
  readonly previousJournalPath: string;
  /** Journal appends (durable group commits) since open. */
  commits = 0;
  /** Snapshots written since open. */
  checkpoints = 0;
  private serialized = new SerializedStore();
  private journal: FileHandle | null = null;
  private journalBytes = 0;
  private snapshotBytes = 0;
  private seq = 0;
  private next: Batch | null = null;
  private draining = false;
  private writing: Promise<void> = Promise.resolve();
  private checkpoint: Promise<void> | null = null;
  private failure: Error | null = null;
  private state: 'new' | 'open' | 'closed' = 'new';
  private unlock: () => Promise<void> = async () => {};

  constructor(
    path: string,
    private options: LowdbStoreOptions = {},
  ) {
    super();
    this.path = resolve(path);
    this.journalPath = `${this.path}.journal`;
    this.previousJournalPath = `${this.path}.journal.1`;
  }

  /**
   * Loads the snapshot and replays the journals; starts empty when there is no file. A file that
   * cannot be read or parsed, or is not a hubwarden store, rejects with a message naming it and is
   * never written over (the store stays unopened): it may be the only record of who holds access.
   */
  override async open(): Promise<void> {
    if (this.state !== 'new') throw new Error(`store: ${this.path} is already ${this.state === 'open' ? 'open' : 'closed'}`);
    await mkdir(dirname(this.path), { recursive: true });
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
    const untouched = '; the file was left untouched (restore a backup or move it away to start empty)';
    let doc: unknown;
    try {
      doc = await new JSONFile<unknown>(this.path).read();
    } catch (err) {
      const cause = err instanceof SyntaxError ? `not valid JSON (${err.message})` : ((err as NodeJS.ErrnoException).code ?? String(err));
      throw new Error(`store: cannot open ${this.path}: ${cause}${untouched}`);
    }
    const snapshot = doc === null ? { seq: 0, entries: [] } : readStoreDocument(doc);
    if (typeof snapshot === 'string') throw new Error(`store: cannot open ${this.path}: ${snapshot}${untouched}`);
    let replayed = 0;
    const state = new Map<string, Map<string, Map<string, unknown>>>();
    const partition = (c: string, p: string) => {
      let parts = state.get(c);
      if (!parts) state.set(c, (parts = new Map()));
      let records = parts.get(p);
      if (!records) parts.set(p, (records = new Map()));
      return records;
    };
    for (const [c, p, records] of snapshot.entries) for (const [id, record] of records) partition(c, p).set(id, record);
    this.seq = snapshot.seq;
    for (const file of [this.previousJournalPath, this.journalPath]) {
      let entries;
      try {
        entries = await readJournal(file);
      } catch (err) {
        throw new Error(`store: cannot open ${this.path}: journal ${(err as Error).message}${untouched}`);
      }
      // The first open writes the snapshot before any journal exists, so a journal without one
      // means the snapshot was lost: replaying only recent commits would be a partial picture.
      if (doc === null && entries.length > 0) {
        throw new Error(`store: cannot open ${this.path}: the file is missing but its journal ${file} is not; restore the snapshot from a backup (nothing was touched)`);
      }
      for (const entry of entries) {
        if (entry.seq <= this.seq) continue;
        if (entry.seq !== this.seq + 1) {
          throw new Error(`store: cannot open ${this.path}: commits ${this.seq + 1} to ${entry.seq - 1} are missing before ${file}; restore the files from a backup${untouched}`);
        }
        for (const [c, p, change] of entry.changes) {
          if (typeof change === 'string') partition(c, p).delete(change);
          else partition(c, p).set(change[0], change[1]);
        }
        this.seq = entry.seq;
        replayed++;
      }
    }
    const flat = [...state].flatMap(([c, parts]) => [...parts].filter(([, r]) => r.size > 0).map(([p, r]) => [c, p, r] as const));
    this.loadPartitions(flat);
    for (const [c, p, records] of flat) for (const [id, record] of records) this.serialized.set(c, p, id, record);

    await mkdir(dirname(this.path), { recursive: true });
    // Start from one clean snapshot and an empty journal (a torn tail is cut off this way too).
    try {
      if (doc === null || replayed > 0) await this.writeSnapshot(this.serialized.capture(this.seq));
      else this.snapshotBytes = (await stat(this.path)).size;
      await unlink(this.previousJournalPath).catch(() => {});
      this.journal = await openFile(this.journalPath, 'w', 0o600);
      await syncFolder(dirname(this.path));
    } catch (err) {
      throw new Error(`store: cannot open ${this.path}: writing failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    log.debug('store opened', { path: this.path, replayedCommits: replayed, seq: this.seq });
  }

  override healthy(): boolean {
    return this.state === 'open' && this.failure === null;
  }

  /** Refuses work before anything is staged when the store cannot make it durable. */
  override async transact<R>(fn: (tx: Transaction) => R): Promise<R> {
    if (this.state !== 'open') throw new Error(`store: ${this.path} is ${this.state === 'new' ? 'not open yet' : 'closed'}`);
    if (this.failure) throw new Error(`${this.failure.message}; the store accepts no writes until restarted`);
    return super.transact(fn);
  }

  /** Serialized lines of each transaction's changes (see prepare), keyed by its change list. */
  private prepared = new WeakMap<readonly Change[], Array<string | undefined>>();

  /**
   * Serializes the records before MemoryStore applies them: a record JSON cannot hold (a BigInt, a
   * cycle) rejects its transaction with nothing applied, instead of failing after the fact.
   */
  protected override prepare(changes: readonly Change[]): void {
    this.prepared.set(changes, changes.map((c) => (c.record === undefined ? undefined : JSON.stringify([c.id, c.record]))));
  }

  protected override persist(changes: readonly Change[]): Promise<void> {
    if (!this.next) {
      let resolveBatch!: () => void;
      let rejectBatch!: (err: Error) => void;
      const promise = new Promise<void>((res, rej) => ((resolveBatch = res), (rejectBatch = rej)));
      this.next = { changes: [], transactions: 0, promise, resolve: resolveBatch, reject: rejectBatch };
    }
    const batch = this.next;
    const lines = this.prepared.get(changes);
    changes.forEach(({ collection, partition, id, record }, i) => {
      const pair = this.serialized.setLine(collection, partition, id, lines ? lines[i] : record === undefined ? undefined : JSON.stringify([id, record]));
      batch.changes.push(pair === undefined ? serializedDelete(collection, partition, id) : serializedPut(collection, partition, pair));
    });
    batch.transactions++;
    if (!this.draining) {
      this.draining = true;
      this.writing = this.drain();
    }
    return batch.promise;
  }

  /** Appends batches one at a time until none is waiting. */
  private async drain(): Promise<void> {
    try {
      while (this.next && !this.failure) {
        const batch = this.next;
        this.next = null;
        try {
          const bytes = Buffer.from(journalLine(this.seq + 1, batch.changes), 'utf8');
          await this.options.beforeAppend?.(bytes);
          await this.journal!.write(bytes);
          await this.journal!.datasync();
          this.seq++;
          this.commits++;
          this.journalBytes += bytes.byteLength;
          batch.resolve();
        } catch (err) {
          this.fail(`appending to ${this.journalPath}`, err as NodeJS.ErrnoException, batch);
          return;
        }
        if (!this.checkpoint && this.journalBytes >= (this.options.checkpointBytes ?? Math.max(16 << 20, this.snapshotBytes))) {
          await this.startCheckpoint();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * A failed write is never dropped silently. Memory now holds changes the disk does not, and
   * acknowledging later writes would promise durability for state built on them. So the waiting
   * transactions are rejected (their callers answer with an error), `healthy()` turns false, and
   * the store refuses further writes until restarted from its files, the last durable state.
   */
  private fail(what: string, err: NodeJS.ErrnoException, batch?: Batch): void {
    this.failure = new Error(`store: ${what} failed: ${err.code ?? err.message}`);
    log.error('store write failed; refusing further writes until restart', { path: this.path, what, code: err.code });
    batch?.reject(this.failure);
    this.next?.reject(this.failure);
    this.next = null;
  }

  /** Rotates the journal (between appends) and writes a snapshot of this instant in the background. */
  private async startCheckpoint(): Promise<void> {
    try {
      await this.journal!.close();
      await rename(this.journalPath, this.previousJournalPath);
      this.journal = await openFile(this.journalPath, 'w', 0o600);
      await syncFolder(dirname(this.path)); // the new journal's name must survive before anything is acknowledged from it
    } catch (err) {
      this.fail(`rotating ${this.journalPath}`, err as NodeJS.ErrnoException);
      return;
    }
    this.journalBytes = 0;
    // Includes transactions still waiting for the next append: whole transactions, replayed again
    // from the new journal if acknowledged, harmlessly present if not.
    const captured = this.serialized.capture(this.seq);
    this.checkpoint = this.writeSnapshot(captured)
      .then(() => unlink(this.previousJournalPath))
      .catch((err: NodeJS.ErrnoException) => this.fail(`writing the snapshot ${this.path}`, err))
      .finally(() => (this.checkpoint = null));
  }

  private async writeSnapshot(captured: ReturnType<SerializedStore['capture']>): Promise<void> {
    const parts = await this.serialized.encode(captured);
    await replaceFileDurably(this.path, parts);
    this.snapshotBytes = parts.reduce((n, b) => n + b.byteLength, 0);
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
    await this.settled();
    if (!this.failure && this.journalBytes > 0) {
      await this.writeSnapshot(this.serialized.capture(this.seq));
      await this.journal!.truncate(0);
      await this.journal!.datasync();
    }
    await this.journal!.close();
    await this.unlock();
  }
}
