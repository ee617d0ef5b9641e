import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { JSONFile } from 'lowdb/node';
import { childLogger } from '../log/logger.ts';
import { replaceFileDurably } from './durable-file.ts';
import { MemoryStore } from './memory-store.ts';
import { readStoreDocument, SerializedStore } from './store-file.ts';
import type { Change, Transaction } from './store.ts';

const log = childLogger('store');

export interface LowdbStoreOptions {
  /** Replaces the file with the given bytes durably; injectable so tests can simulate ENOSPC. */
  replaceFile?: (path: string, parts: readonly Uint8Array[]) => Promise<void>;
}

interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
  transactions: number;
}

/**
 * The embedded default store: MemoryStore's semantics, made durable in one JSON file.
 *
 * lowdb reads the file (`JSONFile`, which also turns a missing file into "empty"). Writing goes
 * through our own writer instead of lowdb's `Low.write`, which stringifies the whole document on
 * every call and does not fsync: see store-file.ts (serialization cache) and durable-file.ts
 * (temp file, fsync, rename, fsync folder).
 *
 * Group commit: at most one file write runs at a time. Every transaction that commits while it
 * runs joins the next batch, and that batch becomes one write as soon as the running one ends.
 * `transact` resolves only when the write covering its change is on disk, so a SCIM response is
 * sent only for durable changes, yet N concurrent requests cost about two writes, not N.
 */
export class LowdbStore extends MemoryStore {
  readonly path: string;
  /** Durable writes done since open (the group-commit test and the benchmark read it). */
  commits = 0;
  private serialized = new SerializedStore();
  private writing: Promise<void> | null = null;
  private next: Batch | null = null;
  private failure: Error | null = null;
  private state: 'new' | 'open' | 'closed' = 'new';
  private replaceFile: NonNullable<LowdbStoreOptions['replaceFile']>;

  constructor(path: string, options: LowdbStoreOptions = {}) {
    super();
    this.path = resolve(path);
    this.replaceFile = options.replaceFile ?? replaceFileDurably;
  }

  /**
   * Loads the file, or starts empty when there is none. A file that cannot be read or parsed, or
   * is not a hubwarden store, rejects with a message naming it; it is never written over (the
   * store stays closed), because it may be the only copy of who holds access where.
   */
  override async open(): Promise<void> {
    if (this.state !== 'new') throw new Error(`store: ${this.path} is already ${this.state === 'open' ? 'open' : 'closed'}`);
    let doc: unknown;
    try {
      doc = await new JSONFile<unknown>(this.path).read();
    } catch (err) {
      const cause = err instanceof SyntaxError ? `not valid JSON (${err.message})` : ((err as NodeJS.ErrnoException).code ?? String(err));
      throw new Error(`store: cannot open ${this.path}: ${cause}; the file was left untouched (restore a backup or move it away to start empty)`);
    }
    if (doc === null) {
      await mkdir(dirname(this.path), { recursive: true });
    } else {
      const entries = readStoreDocument(doc);
      if (typeof entries === 'string') {
        throw new Error(`store: cannot open ${this.path}: ${entries}; the file was left untouched (restore a backup or move it away to start empty)`);
      }
      this.loadPartitions(entries);
      for (const [c, p, records] of entries) for (const [id, record] of records) this.serialized.set(c, p, id, record);
    }
    this.state = 'open';
  }

  override healthy(): boolean {
    return this.state === 'open' && this.failure === null;
  }

  /** Refuses work before anything is staged when the store cannot make it durable. */
  override async transact<R>(fn: (tx: Transaction) => R): Promise<R> {
    if (this.state !== 'open') throw new Error(`store: ${this.path} is ${this.state === 'new' ? 'not open yet' : 'closed'}`);
    if (this.failure) throw this.failedError();
    return super.transact(fn);
  }

  protected override persist(changes: readonly Change[]): Promise<void> {
    this.serialized.apply(changes);
    if (!this.next) {
      let resolveBatch!: () => void;
      let rejectBatch!: (err: Error) => void;
      const promise = new Promise<void>((res, rej) => ((resolveBatch = res), (rejectBatch = rej)));
      this.next = { promise, resolve: resolveBatch, reject: rejectBatch, transactions: 0 };
    }
    this.next.transactions++;
    const batch = this.next;
    if (!this.writing) this.startWrite();
    return batch.promise;
  }

  /** Writes the current batch, then the one that gathered meanwhile, until none is left. */
  private startWrite(): void {
    const batch = this.next;
    if (!batch) return;
    this.next = null;
    // Encoded synchronously: the write covers exactly the transactions applied so far.
    const parts = this.serialized.encode();
    this.writing = this.replaceFile(this.path, parts).then(
      () => {
        this.commits++;
        batch.resolve();
      },
      (err: NodeJS.ErrnoException) => {
        // A failed write is never dropped silently: memory now holds changes the disk does not,
        // and acknowledging later writes would promise durability for state built on them.
        // So the waiting transactions are rejected (their callers answer with an error) and the
        // store refuses further writes until restarted from the file, the last good state.
        this.failure = new Error(`store: writing ${this.path} failed: ${err.code ?? err.message}`);
        log.error('store write failed; refusing further writes until restart', { path: this.path, code: err.code, transactions: batch.transactions });
        batch.reject(this.failure);
        if (this.next) {
          this.next.reject(this.failure);
          this.next = null;
        }
      },
    ).finally(() => {
      this.writing = null;
      if (this.next && !this.failure) this.startWrite();
    });
  }

  private failedError(): Error {
    return new Error(`${this.failure!.message}; the store accepts no writes until restarted`);
  }

  /** Waits for every pending write, then stops accepting transactions. */
  override async close(): Promise<void> {
    if (this.state !== 'open') {
      this.state = 'closed';
      return;
    }
    while (this.writing) await this.writing;
    this.state = 'closed';
  }
}
