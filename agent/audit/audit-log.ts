import { closeSync, openSync } from 'node:fs';
import winston from 'winston';
import { dirname } from 'node:path';
import { makeDirsSync } from '../store/make-dirs.ts';
import type { AuditEntry } from '../api.ts';
import { redact, redactText } from '../log/logger.ts';
import type { Change, Store, Transaction } from '../store/store.ts';

/**
 * The audit log: every change hubwarden makes or declines, with who or what
 * triggered it, what, why, outcome and the task. Append-only: entries are put once and never
 * replaced. Kept in the store (collection `audit`, partition = hub id or ''; the durable store keeps
 * it on disk only, read by paging: audit-query.ts) and mirrored as winston-style JSON lines to
 * `audit.file` by `mirrorAuditToFile`.
 */
declare module '../store/collections.ts' {
  interface Collections {
    audit: AuditEntry;
  }
}

let lastSeq = 0;

/** Monotonic across restarts as long as the clock does not go back by more than the process ran. */
function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
  return lastSeq;
}

export type AuditInput = Omit<AuditEntry, 'seq' | 'at'> & { at?: string };

/** Stages an audit entry in `tx` (it becomes durable with the change it describes). */
export function appendAudit(tx: Transaction, entry: AuditInput): AuditEntry {
  const full: AuditEntry = { ...entry, seq: nextSeq(), at: entry.at ?? new Date().toISOString() };
  if (full.detail) full.detail = redact(full.detail) as Record<string, unknown>;
  full.why = redactText(full.why);
  tx.put('audit', full.hubId ?? '', String(full.seq), full);
  return full;
}

/**
 * Creates `audit.file`'s folder and opens the file for appending once, so that a path that cannot
 * be written fails at start with one line naming it, before the server listens. winston's file
 * transport would otherwise find out later, in an 'error' event, with entries already committed
 * and none mirrored; and its own recursive mkdir hangs under /proc (make-dirs.ts).
 */
export function prepareAuditFile(file: string): void {
  const folder = dirname(file);
  try {
    makeDirsSync(folder);
  } catch (err) {
    throw new Error(`audit.file ${file}: cannot create its folder ${folder} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    closeSync(openSync(file, 'a'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`audit.file ${file}: cannot open it for appending (${code === 'EISDIR' ? 'it is a directory' : code ?? (err as Error).message})`);
  }
}

/**
 * Mirrors every new audit entry to `file` through a winston JSON file transport (one line per
 * entry: level, message, timestamp and the entry), in seq order, as entries become durable.
 * Returns a function that unsubscribes and closes the file.
 */
export function mirrorAuditToFile(store: Store, file: string): () => void {
  prepareAuditFile(file);
  const log = winston.createLogger({
    level: 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.File({ filename: file })],
  });
  // Once durable: an entry whose transaction failed (and was rolled back) never reaches the file.
  // Each process mirrors the entries it committed: another replica's (`remote`, sent without the
  // record) are in that replica's file.
  const unsubscribe = store.subscribeDurable((changes: readonly Change[]) => {
    for (const c of changes) {
      if (c.collection !== 'audit' || c.record === undefined || c.remote) continue;
      const e = c.record as AuditEntry;
      log.log(e.outcome === 'failed' ? 'warn' : 'info', `${e.action}: ${e.why}`, { audit: e });
    }
  });
  return () => {
    unsubscribe();
    log.end();
  };
}
