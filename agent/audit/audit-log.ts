import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import winston from 'winston';
import { dirname } from 'node:path';
import { makeDirsSync } from '../store/make-dirs.ts';
import type { AuditEntry } from '../api.ts';
import { AuditFileAppender, type AuditFileOptions, type AuditLine } from './audit-file.ts';
import { redact, redactText } from '../log/logger.ts';
import type { Change, Store, Transaction } from '../store/store.ts';

/**
 * The audit log: every change hubwarden makes or declines, with who or what
 * triggered it, what, why, outcome and the task. Append-only: entries are put once and never
 * replaced. Kept in the store (collection `audit`, partition = hub id or ''; the durable store keeps
 * it on disk only, read by paging: audit-query.ts) and mirrored as JSON lines to `audit.file` by
 * `mirrorAuditToFile`.
 */
declare module '../store/collections.ts' {
  interface Collections {
    audit: AuditEntry;
  }
}

let lastSeq = 0;

/**
 * Replicas sharing a store number entries from their own clocks, so two of them can hand out the
 * same seq in the same millisecond. The store key carries this process's random mark, so such
 * entries never replace each other (a put of an existing key replaces it); and each process starts
 * its millisecond at its own random microsecond, so equal seqs (which a `before` cursor pages past
 * together) are rare too.
 */
const PROCESS_MARK = randomBytes(6).toString('hex');
const PROCESS_OFFSET = randomInt(1000);

/** Monotonic across restarts as long as the clock does not go back by more than the process ran. */
function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000 + PROCESS_OFFSET);
  return lastSeq;
}

export type AuditInput = Omit<AuditEntry, 'seq' | 'at'> & { at?: string };

/** Stages an audit entry in `tx` (it becomes durable with the change it describes). */
export function appendAudit(tx: Transaction, entry: AuditInput): AuditEntry {
  const full: AuditEntry = { ...entry, seq: nextSeq(), at: entry.at ?? new Date().toISOString() };
  if (full.detail) full.detail = redact(full.detail) as Record<string, unknown>;
  full.why = redactText(full.why);
  tx.put('audit', full.hubId ?? '', `${full.seq}.${PROCESS_MARK}`, full);
  return full;
}

/**
 * Creates `audit.file`'s folder and opens the file for appending once, so that a path that cannot
 * be written fails at start with one line naming it, before the server listens, rather than at the
 * first entry (with Node's recursive mkdir hanging under /proc: make-dirs.ts).
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

/** The line format `audit.file` has always had: winston's timestamp and JSON formats (keys sorted). */
const lineFormat = winston.format.combine(winston.format.timestamp(), winston.format.json());
const MESSAGE = Symbol.for('message');

/** One entry's line: `{"audit":{…},"level":"info"|"warn","message":"<action>: <why>","timestamp":"…"}` and a newline. */
export function auditFileLine(e: AuditEntry): string {
  const info = lineFormat.transform({ level: e.outcome === 'failed' ? 'warn' : 'info', message: `${e.action}: ${e.why}`, audit: e });
  return `${(info as Record<symbol, string>)[MESSAGE]}\n`;
}

/**
 * Mirrors every new audit entry to `file` (one JSON line per entry: level, message, timestamp and
 * the entry), in the order entries become durable, through AuditFileAppender (audit-file.ts): a
 * write the file refuses is logged, counted on /metrics and retried, not lost in silence.
 * Returns a function that unsubscribes, writes what is still waiting (bounded by a short timeout)
 * and closes the file.
 */
export function mirrorAuditToFile(store: Store, file: string, options: AuditFileOptions = {}): () => Promise<void> {
  prepareAuditFile(file);
  const appender = new AuditFileAppender(file, options);
  // Once durable: an entry whose transaction failed (and was rolled back) never reaches the file.
  // Each process mirrors the entries it committed: another replica's (`remote`, sent without the
  // record) are in that replica's file.
  const unsubscribe = store.subscribeDurable((changes: readonly Change[]) => {
    const lines: AuditLine[] = [];
    for (const c of changes) {
      if (c.collection !== 'audit' || c.record === undefined || c.remote) continue;
      const e = c.record as AuditEntry;
      lines.push({ seq: e.seq, line: auditFileLine(e) });
    }
    appender.append(lines);
  });
  return async () => {
    unsubscribe();
    await appender.stop();
  };
}
