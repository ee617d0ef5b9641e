import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditEntry } from '../api.ts';
import { redact, redactText } from '../log/logger.ts';
import type { Change, Store, Transaction } from '../store/store.ts';

/**
 * The audit log (issue 4, item 5): every change hubwarden makes or declines, with who or what
 * triggered it, what, why, outcome and the task. Append-only: entries are put once and never
 * replaced. Kept in the store (collection `audit`, partition = hub id or '') and mirrored as
 * winston-style JSON lines to `audit.file` by `mirrorAuditToFile`.
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
 * Mirrors every new audit entry to `file` as one JSON line (winston's JSON format: level,
 * message, timestamp and the entry). Appended synchronously as entries are applied so the file
 * order is the seq order. Returns the unsubscribe function.
 */
export function mirrorAuditToFile(store: Store, file: string): () => void {
  mkdirSync(dirname(file), { recursive: true });
  return store.subscribe((changes: readonly Change[]) => {
    let lines = '';
    for (const c of changes) {
      if (c.collection !== 'audit' || c.record === undefined) continue;
      const e = c.record as AuditEntry;
      lines += JSON.stringify({ level: e.outcome === 'failed' ? 'warn' : 'info', message: `${e.action}: ${e.why}`, timestamp: e.at, ...e }) + '\n';
    }
    if (lines) appendFileSync(file, lines);
  });
}
