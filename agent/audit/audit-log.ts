import { randomBytes, randomInt } from 'node:crypto';
import { accessSync, closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import winston from 'winston';
import { dirname } from 'node:path';
import { makeDirsSync } from '../store/make-dirs.ts';
import type { AuditEntry } from '../api.ts';
import { AuditFileAppender, type AuditFileOptions, type AuditLine } from './audit-file.ts';
import { childLogger, redact, redactText } from '../log/logger.ts';
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

/**
 * Stages an audit entry in `tx` (it becomes durable with the change it describes). A reason the
 * person who asked gave (`trigger.reason`) is kept in the trigger and added to `why` after the
 * generic why, so every reader of the log (the CLI, the dashboard, `audit.file`, a CSV export) shows
 * it without knowing about it: `remove-member: … (reason: "left the agency")`.
 */
export function appendAudit(tx: Transaction, entry: AuditInput): AuditEntry {
  const { partition, id, full } = auditRecord(entry);
  tx.put('audit', partition, id, full);
  return full;
}

/**
 * The audit entry `appendAudit` stages, and the key it is stored at (partition = hub id or '',
 * id = `<seq>.<process mark>`), for a writer that commits it outside a store transaction: `hubwarden
 * store migrate` writes its entry in the transaction that clears its copy mark (copy-to-postgres.ts).
 */
export function auditRecord(entry: AuditInput): { partition: string; id: string; full: AuditEntry } {
  const full: AuditEntry = { ...entry, seq: nextSeq(), at: entry.at ?? new Date().toISOString() };
  if (full.detail) full.detail = redact(full.detail) as Record<string, unknown>;
  // The trigger's free text (a hook's event id, a workflow's callback, a label a caller chose) is
  // shown as the entry's "who" by every reader: redacted as `why` is, so a credential quoted there
  // is not kept either.
  const reason = full.trigger.reason;
  const trigger = { ...full.trigger };
  if (typeof trigger.actor === 'string') trigger.actor = redactText(trigger.actor);
  if (typeof trigger.detail === 'string') trigger.detail = redactText(trigger.detail);
  if (typeof trigger.reason === 'string') trigger.reason = redactText(trigger.reason);
  full.trigger = trigger;
  if (reason && !full.why.includes(`"${reason}"`)) full.why = `${full.why} (reason: "${reason}")`;
  full.why = redactText(full.why);
  return { partition: full.hubId ?? '', id: `${full.seq}.${PROCESS_MARK}`, full };
}

/**
 * Checks at start that `audit.file` can be written, so that a path that cannot fails with one line
 * naming it, before the server listens, rather than at the first entry. Its folder is created (with
 * Node's recursive mkdir hanging under /proc: make-dirs.ts), the file itself never: one already
 * there is opened for appending without O_CREAT, for a missing one its folder is checked for
 * writing. The appender (audit-file.ts) creates the file with its first line, so a start that fails
 * after this check (the key file, the store, the port) leaves no empty audit.file behind.
 */
export function prepareAuditFile(file: string): void {
  const folder = dirname(file);
  const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  try {
    makeDirsSync(folder);
  } catch (err) {
    throw new Error(`audit.file ${file}: cannot create its folder ${folder} (${codeOf(err)})`);
  }
  try {
    closeSync(openSync(file, constants.O_WRONLY | constants.O_APPEND));
    return;
  } catch (err) {
    const code = codeOf(err);
    if (code !== 'ENOENT') throw new Error(`audit.file ${file}: cannot open it for appending (${code === 'EISDIR' ? 'it is a directory' : code})`);
  }
  try {
    // Write to add the entry, search (X) to reach it: what creating the file will need of the folder.
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new Error(`audit.file ${file}: cannot create it in its folder ${folder} (${codeOf(err)})`);
  }
}

/** The line format `audit.file` has always had: winston's timestamp and JSON formats (keys sorted). */
const lineFormat = winston.format.combine(winston.format.timestamp(), winston.format.json());
const MESSAGE = Symbol.for('message');

/**
 * One entry's line (`warn` for a failed change and one of unknown outcome): `{"audit":{…},"level":"info"|"warn","message":"<action>: <why>","timestamp":"…"}` and a newline.
 * `timestamp`: now (the commit, for a line written as it commits), or the entry's time for one written later.
 */
export function auditFileLine(e: AuditEntry, timestamp?: string): string {
  const format = timestamp === undefined ? lineFormat : winston.format.combine(winston.format.timestamp({ format: () => timestamp }), winston.format.json());
  const info = format.transform({ level: e.outcome === 'failed' || e.outcome === 'unknown' ? 'warn' : 'info', message: `${e.action}: ${e.why}`, audit: e });
  return `${escapeLineBreaking((info as Record<symbol, string>)[MESSAGE]!)}\n`;
}

/**
 * JSON escapes C0 (RFC 8259 §7), not DEL, C1 (U+0085 NEL, U+009B CSI), the Unicode line and
 * paragraph separators U+2028/U+2029, nor the bidi controls. Values from the IdP or the app may
 * hold them: a reader splitting lines as Unicode does (Python's `str.splitlines`,
 * https://docs.python.org/3/library/stdtypes.html#str.splitlines; the mandatory breaks of UAX #14,
 * https://www.unicode.org/reports/tr14/) read `…\u2028{"audit":…}` as a second, forged entry line, and `tail` of the file sent
 * C1 sequences to the terminal. They can only occur inside JSON strings, where `\uXXXX` is the same
 * character (RFC 8259 §7), so a parser of the line gets the same entry.
 */
function escapeLineBreaking(json: string): string {
  return json.replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

/** What ends `audit.file` now: the seq of its last whole entry line, and whether a torn line follows it. */
export function auditFileTail(file: string): { lastSeq?: number; torn: boolean } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return { torn: false };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size === 0) return { torn: false }; // /dev/full, a FIFO, or a rotated file: nothing to read
    const length = Math.min(st.size, 256 * 1024);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, st.size - length);
    const text = buf.toString('utf8');
    const torn = !text.endsWith('\n');
    const lines = text.split('\n');
    // '' after the last newline, or the torn line. A torn line that parses is a whole entry whose
    // newline alone was not written (a write stopped one byte short): it counts as written, and
    // only its newline is added, or the catch-up wrote that entry a second time. (A prefix of a
    // JSON object line never parses: the object closes at its last byte, RFC 8259 §4.)
    const last = lines.pop()!;
    const seqOf = (line: string): number | undefined => {
      try {
        const seq = (JSON.parse(line) as { audit?: { seq?: unknown } } | null)?.audit?.seq;
        return typeof seq === 'number' ? seq : undefined;
      } catch {
        return undefined; // a line cut by the 256 KB window or a crash, or not ours
      }
    };
    if (torn) {
      const seq = seqOf(last);
      if (seq !== undefined) return { lastSeq: seq, torn };
    }
    for (let i = lines.length - 1; i >= 0; i--) {
      const seq = seqOf(lines[i]!);
      if (seq !== undefined) return { lastSeq: seq, torn };
    }
    return { torn };
  } finally {
    closeSync(fd);
  }
}

/** Entries the file missed after a crash that are written at start at most; more means the file is not this store's. */
const MAX_CATCH_UP = 10_000;

/**
 * Mirrors every new audit entry to `file` (one JSON line per entry: level, message, timestamp and
 * the entry), in the order entries become durable, through AuditFileAppender (audit-file.ts): a
 * write the file refuses is logged, counted on /metrics and retried, not lost in silence.
 * Returns a function that unsubscribes, writes what is still waiting (bounded by a short timeout)
 * and closes the file.
 */
export function mirrorAuditToFile(store: Store, file: string, options: AuditFileOptions = {}): () => Promise<void> {
  prepareAuditFile(file);
  const tail = auditFileTail(file);
  const appender = new AuditFileAppender(file, options);
  const log = options.log ?? childLogger('audit');
  // A crash while a line was being written left part of it: end that line, so the next entry is
  // not glued to it (one unreadable line instead of two).
  if (tail.torn) appender.append([{ seq: tail.lastSeq ?? 0, line: '\n' }]);
  // Lines committed while the catch-up below runs wait for it, so the file stays in seq order.
  let held: AuditLine[] | undefined = [];
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
    if (held) held.push(...lines);
    else appender.append(lines);
  });
  const caughtUp = catchUp(store, tail.lastSeq, log, file).then((missed) => {
    const written = new Set(missed.map((l) => l.seq));
    appender.append([...missed, ...held!.filter((l) => !written.has(l.seq))]);
    held = undefined;
  });
  return async () => {
    unsubscribe();
    await caughtUp;
    await appender.stop();
  };
}

/**
 * The entries committed after the file's last one: a process that died (killed, out of memory,
 * the host lost) after a commit and before its line was written left them out, and nothing wrote
 * them later. Only on a store one process uses: on a shared store (PostgreSQL) the newer entries
 * include other replicas', which their own files hold.
 */
async function catchUp(store: Store, lastSeq: number | undefined, log: { error(message: string): unknown; info(message: string): unknown }, file: string): Promise<AuditLine[]> {
  if (lastSeq === undefined || store.subscribeMissed) return [];
  const missed: AuditLine[] = [];
  try {
    for await (const e of store.newestFirst('audit', undefined, (a, b) => b.seq - a.seq)) {
      if (e.seq <= lastSeq) break;
      if (missed.length >= MAX_CATCH_UP) {
        log.error(`audit.file ${file}: more than ${MAX_CATCH_UP} entries in the store are newer than its last line (seq ${lastSeq}); none written at start: is it this store's file?`);
        return [];
      }
      missed.push({ seq: e.seq, line: auditFileLine(e, e.at) });
    }
  } catch (err) {
    log.error(`audit.file ${file}: cannot read the store for entries missed before this start (${redactText((err as Error).message ?? String(err))})`);
    return [];
  }
  if (missed.length > 0) log.info(`audit.file ${file}: writing ${missed.length} entries committed after its last line (seq ${lastSeq}) that a stop before they were written left out`);
  return missed.reverse();
}
