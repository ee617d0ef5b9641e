import { open } from 'node:fs/promises';
import { childLogger } from '../log/logger.ts';

/**
 * The appender behind `audit.file`: one line per audit entry, appended in the order entries became
 * durable, one write at a time. A write that fails is never silent and loses nothing it can keep:
 * the first failure of a streak is one `error` line (path and error code), every failed attempt
 * counts in `hubwarden_audit_file_write_failures_total`, and the lines not written wait in memory
 * (at most `maxQueued`; past that the oldest are dropped and their seq range is logged) while the
 * file is opened again and retried every `retryMs`. Once a write succeeds the waiting lines follow
 * in order and one line says the mirror resumed and how many entries were written late.
 *
 * (winston's File transport, used before, hands its stream's errors to `debug` only and its
 * destroyed stream then swallows every later line: a full disk stopped the mirror silently until
 * a restart.)
 */

/** One line to append: `line` ends with '\n'; `seq` names it in log lines (never its content). */
export interface AuditLine {
  seq: number;
  line: string;
}

/** What the appender needs of a file opened for appending (node:fs/promises FileHandle has it). */
export interface AuditFileHandle {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  close(): Promise<void>;
}

type Log = { error(message: string): unknown; warn(message: string): unknown; info(message: string): unknown };

export interface AuditFileOptions {
  /** Default: the product logger (component `audit`). */
  log?: Log;
  /** Lines kept in memory while the file refuses them; past this the oldest are dropped. Default 10,000. */
  maxQueued?: number;
  /** Wait between attempts while the file refuses writes (ms). Default 5 s. */
  retryMs?: number;
  /** How long `stop` waits for the last lines to be written (ms). Default 2 s. */
  stopTimeoutMs?: number;
  /** How often, at most, a run of dropped entries is logged while they keep being dropped (ms). Default 60 s. */
  dropReportMs?: number;
  /** Opens `path` for appending (tests inject failures). Default: node:fs/promises `open(path, 'a', 0o600)`. */
  open?: (path: string) => Promise<AuditFileHandle>;
}

/** Lines written per write call at most (and 1 MiB), so a long backlog goes out in a few calls. */
const BATCH_LINES = 1000;
const BATCH_BYTES = 1 << 20;

/** Process totals, read by `/metrics` (scim-server/ops/metrics.ts). */
const totals = { writeFailures: 0, dropped: 0 };
const live = new Set<AuditFileAppender>();

/** Failed write (or open) attempts and dropped entries since the process started, and entries waiting now. */
export function auditFileTotals(): { writeFailures: number; dropped: number; waiting: number } {
  let waiting = 0;
  for (const a of live) waiting += a.waiting();
  return { ...totals, waiting };
}

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException)?.code ?? (err instanceof Error ? err.message : String(err));
const range = (first: number, last: number) => (first === last ? `seq ${first}` : `seq ${first} to ${last}`);
function seqRange(lines: readonly AuditLine[]): { first: number; last: number } {
  let first = Infinity;
  let last = -Infinity;
  for (const l of lines) {
    first = Math.min(first, l.seq);
    last = Math.max(last, l.seq);
  }
  return { first, last };
}
const IN_STORE = 'they are in the store: `hubwarden audit`, GET /api/v1/audit';

export class AuditFileAppender {
  private readonly log: Log;
  private readonly maxQueued: number;
  private readonly retryMs: number;
  private readonly stopTimeoutMs: number;
  private readonly dropReportMs: number;
  private readonly openFile: (path: string) => Promise<AuditFileHandle>;
  /** Lines not yet handed to a write, oldest first. */
  private queue: AuditLine[] = [];
  /** The lines of the write in progress (or of a write that stopped part-way: its rest goes first). */
  private inflight: { lines: AuditLine[]; buf: Buffer; offset: number } | undefined;
  private handle: AuditFileHandle | undefined;
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Since the first failure until every line waiting is written. */
  private streak: { attempts: number; late: number } | undefined;
  private drops: { first: number; last: number; count: number; reportedAt: number } | undefined;
  private stopping = false;

  constructor(private readonly path: string, options: AuditFileOptions = {}) {
    this.log = options.log ?? childLogger('audit');
    this.maxQueued = Math.max(1, options.maxQueued ?? 10_000);
    this.retryMs = options.retryMs ?? 5_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 2_000;
    this.dropReportMs = options.dropReportMs ?? 60_000;
    // Created owner-only, as the store's files are: its lines name people (emails, who did what).
    this.openFile = options.open ?? ((p) => open(p, 'a', 0o600));
    live.add(this);
  }

  /** Entries waiting in memory to be written. */
  waiting(): number {
    return this.queue.length + (this.inflight?.lines.length ?? 0);
  }

  /** Queues `lines` (in order) and writes them unless the file is between attempts. */
  append(lines: readonly AuditLine[]): void {
    if (this.stopping || lines.length === 0) return;
    for (const l of lines) this.queue.push(l);
    const excess = this.waiting() - this.maxQueued;
    if (excess > 0) this.drop(this.queue.splice(0, Math.min(excess, this.queue.length)));
    this.kick();
  }

  /**
   * Writes what is waiting, once more if the file refused it, for at most `stopTimeoutMs`, then
   * closes the file. Lines still not written are logged by seq range (they are in the store).
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    let timer: NodeJS.Timeout | undefined;
    // Not unref'd: a stop waits out its (short) timeout even when nothing else keeps the process up.
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.stopTimeoutMs); });
    const flush = (async () => {
      await this.running;
      this.kick();
      await this.running;
    })();
    await Promise.race([flush, timeout]);
    this.reportDrops();
    const left = [...(this.inflight?.lines ?? []), ...this.queue];
    if (left.length > 0) {
      const { first, last } = seqRange(left);
      this.log.error(`audit.file ${this.path}: stopping with ${left.length} entries not written (${range(first, last)}); ${IN_STORE}`);
    }
    // A close on a dead mount may never answer: waited for within what is left of the timeout.
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await Promise.race([handle.close().catch(() => {}), timeout]);
    clearTimeout(timer);
    live.delete(this);
  }

  private kick(): void {
    if (this.running || this.retryTimer || this.waiting() === 0) return;
    this.running = this.drain().finally(() => { this.running = undefined; });
  }

  private async drain(): Promise<void> {
    while (this.waiting() > 0) {
      try {
        this.handle ??= await this.openFile(this.path);
        if (!this.inflight) {
          let n = 0;
          let bytes = 0;
          while (n < BATCH_LINES && n < this.queue.length && (n === 0 || bytes + Buffer.byteLength(this.queue[n]!.line) <= BATCH_BYTES)) {
            bytes += Buffer.byteLength(this.queue[n]!.line);
            n++;
          }
          const lines = this.queue.splice(0, n);
          this.inflight = { lines, buf: Buffer.from(lines.map((l) => l.line).join('')), offset: 0 };
        }
        const w = this.inflight;
        const { bytesWritten } = await this.handle.write(w.buf, w.offset, w.buf.length - w.offset);
        if (bytesWritten <= 0) throw Object.assign(new Error('the write took no bytes'), { code: 'EIO' });
        w.offset += bytesWritten;
        if (w.offset < w.buf.length) continue; // the rest of the same lines, so no line is torn or written twice
        this.inflight = undefined;
        if (this.streak) this.streak.late += w.lines.length;
      } catch (err) {
        this.failed(err);
        return;
      }
    }
    this.reportDrops();
    this.drops = undefined; // caught up: the next drop starts a new run, logged at once
    if (this.streak) {
      this.log.info(`audit.file ${this.path}: writing again after ${this.streak.attempts} failed attempt(s); ${this.streak.late} entries written late, in order`);
      this.streak = undefined;
    }
  }

  private failed(err: unknown): void {
    totals.writeFailures++;
    const handle = this.handle;
    this.handle = undefined;
    // Opened again at the next attempt: a remounted or recreated path gets a fresh handle.
    handle?.close().catch(() => {});
    // A write that failed before its first byte goes back in the queue (overflow may drop it);
    // one that stopped part-way keeps its place, and its rest is written first.
    if (this.inflight && this.inflight.offset === 0) {
      this.queue.unshift(...this.inflight.lines);
      this.inflight = undefined;
    }
    if (this.streak) this.streak.attempts++;
    else {
      this.streak = { attempts: 1, late: 0 };
      const oldest = this.inflight?.lines[0] ?? this.queue[0];
      this.log.error(`audit.file ${this.path}: cannot write (${codeOf(err)}); keeping entries from seq ${oldest?.seq} in memory (at most ${this.maxQueued}) and retrying every ${this.retryMs >= 1000 ? `${Math.round(this.retryMs / 1000)} s` : `${this.retryMs} ms`}; the store has every entry`);
    }
    if (this.stopping) return;
    this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.kick(); }, this.retryMs);
    this.retryTimer.unref();
  }

  private drop(lines: AuditLine[]): void {
    if (lines.length === 0) return;
    totals.dropped += lines.length;
    const { first, last } = seqRange(lines);
    if (!this.drops) {
      // The first drop of a run is logged at once; more are gathered and logged at most every dropReportMs.
      this.drops = { first, last, count: lines.length, reportedAt: 0 };
    } else {
      this.drops.first = Math.min(this.drops.first, first);
      this.drops.last = Math.max(this.drops.last, last);
      this.drops.count += lines.length;
    }
    if (Date.now() - this.drops.reportedAt >= this.dropReportMs) this.reportDrops();
  }

  private reportDrops(): void {
    const d = this.drops;
    if (!d || d.count === 0) return;
    this.log.error(`audit.file ${this.path}: dropped ${d.count} entries not written (${range(d.first, d.last)}): more than ${this.maxQueued} were waiting; ${IN_STORE}`);
    this.drops = { first: Infinity, last: -Infinity, count: 0, reportedAt: Date.now() };
  }
}
