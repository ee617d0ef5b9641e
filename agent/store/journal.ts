import { crc32 } from 'node:zlib';
import { writeAll, type StoreFileHandle } from './store-files.ts';

/**
 * The store's write-ahead journal: a header line, then one line per group commit, appended and
 * fdatasync'ed before the commit's transactions resolve.
 *
 *   {"journal":"hubwarden-journal/2","after":6}
 *   {"seq":7,"changes":[["directoryUsers","acme",["id-1",{…}]],["outbox","acme","id-9"]],"crc":"1c291ca3"}
 *
 * A change is [collection, partition, [id, record]] for a put and [collection, partition, id] for
 * a delete. Changes are whole records (redo only), so replaying an entry over a snapshot that
 * already holds it is harmless: replay applies every entry after the snapshot's `seq`, in order.
 * `after` is the commit the journal was started after, so its first record is `after + 1`.
 *
 * `crc` is the CRC-32 (ISO-HDLC, zlib's) of the line's bytes before `,"crc"`: a record whose bytes
 * changed on disk is found, not replayed. Only a final line with no newline may be dropped on open
 * (an append that was torn by a crash was never acknowledged: `transact` resolves after the whole
 * line, newline included, is fdatasync'ed); every other defect is damage, reported with the file,
 * the line and the commits that would be lost.
 *
 * WHY a journal: replacing an 85 MB file (100k users) takes ~400 ms on this class of disk, which
 * alone breaks SCIM's p99 target; appending a few KB and syncing takes a few ms whatever the size.
 * The snapshot is rewritten in the background once the journal has grown (see lowdb-store.ts).
 */
export const JOURNAL_FORMAT = 'hubwarden-journal/2';

export interface JournalEntry {
  seq: number;
  changes: Array<[string, string, [string, unknown]] | [string, string, string]>;
}

/** The first line of every journal; the file is created with it, durably, before any append. */
export function journalHeader(after: number): Buffer {
  return Buffer.from(`{"journal":"${JOURNAL_FORMAT}","after":${after}}\n`, 'utf8');
}

/** The bytes of one journal line for a commit whose changes are already serialized. */
export function journalRecord(seq: number, changes: readonly string[]): Buffer {
  const body = Buffer.from(`{"seq":${seq},"changes":[${changes.join(',')}]`, 'utf8');
  return Buffer.concat([body, Buffer.from(`,"crc":"${hex(crc32(body))}"}\n`, 'utf8')]);
}

export function serializedPut(collection: string, partition: string, pair: string): string {
  return `[${JSON.stringify(collection)},${JSON.stringify(partition)},${pair}]`;
}

export function serializedDelete(collection: string, partition: string, id: string): string {
  return JSON.stringify([collection, partition, id]);
}

export const hex = (n: number) => n.toString(16).padStart(8, '0');

/** What a journal file holds: its good entries, a dropped torn tail, or the damage found. */
export interface JournalReading {
  file: string;
  exists: boolean;
  /** `after` from the header (undefined: no header, i.e. an empty file or a legacy journal). */
  after?: number;
  entries: JournalEntry[];
  /** Bytes of the good prefix: the header and the entries above. */
  goodBytes: number;
  /** A final line with no newline, dropped (never acknowledged). */
  torn?: { line: number; bytes: number };
  damage?: JournalDamage;
}

export interface JournalDamage {
  file: string;
  /** 1-based line number of the first bad line. */
  line: number;
  problem: string;
  /** Lines from the bad one to the end, and the commit numbers and record changes found in them. */
  lostLines: number;
  lostCommits: number[];
  lostChanges: number;
}

/**
 * Reads a journal's bytes (undefined: the file does not exist). `legacy` accepts the first
 * format (no header, no checksums), written before checksums existed, so an upgraded store opens.
 */
export function readJournal(file: string, bytes: Buffer | undefined, legacy = false): JournalReading {
  const out: JournalReading = { file, exists: bytes !== undefined, entries: [], goodBytes: 0 };
  if (!bytes || bytes.byteLength === 0) return out;
  const lines: Array<{ text: string; end: number; newline: boolean }> = [];
  for (let start = 0; start < bytes.byteLength; ) {
    const nl = bytes.indexOf(10, start);
    const end = nl === -1 ? bytes.byteLength : nl + 1;
    lines.push({ text: bytes.toString('utf8', start, nl === -1 ? end : nl), end, newline: nl !== -1 });
    start = end;
  }
  const damaged = (i: number, problem: string): JournalReading => {
    const rest = lines.slice(i).map((l) => looseEntry(l.text));
    out.damage = {
      file,
      line: i + 1,
      problem,
      lostLines: lines.length - i,
      lostCommits: rest.flatMap((e) => (e ? [e.seq] : [])),
      lostChanges: rest.reduce((n, e) => n + (e?.changes.length ?? 0), 0),
    };
    return out;
  };
  let first = 0;
  const header = parseHeader(lines[0]!.text);
  if (typeof header === 'number' && lines[0]!.newline) {
    out.after = header;
    out.goodBytes = lines[0]!.end;
    first = 1;
  } else if (!legacy) {
    return damaged(0, lines[0]!.newline ? `not a journal header (${header})` : 'a torn header (the journal is created whole, so this is damage)');
  }
  for (let i = first; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.newline) {
      out.torn = { line: i + 1, bytes: Buffer.byteLength(line.text) };
      break;
    }
    const entry = parseRecord(line.text, legacy);
    if (typeof entry === 'string') return damaged(i, entry);
    const expected = out.entries.length > 0 ? out.entries[out.entries.length - 1]!.seq + 1 : out.after !== undefined ? out.after + 1 : entry.seq;
    if (entry.seq !== expected) return damaged(i, `commit ${entry.seq} where ${expected} was expected`);
    out.entries.push(entry);
    out.goodBytes = line.end;
  }
  return out;
}

function parseHeader(line: string): number | string {
  try {
    const v = JSON.parse(line) as { journal?: unknown; after?: unknown };
    if (v?.journal === JOURNAL_FORMAT && Number.isSafeInteger(v.after) && (v.after as number) >= 0) return v.after as number;
  } catch {
    return 'not valid JSON';
  }
  return `expected {"journal":"${JOURNAL_FORMAT}","after":n}`;
}

const CRC_TAIL = /,"crc":"([0-9a-f]{8})"\}$/;

function parseRecord(line: string, legacy: boolean): JournalEntry | string {
  const tail = CRC_TAIL.exec(line);
  if (tail) {
    if (hex(crc32(line.slice(0, tail.index))) !== tail[1]) return 'checksum mismatch (the record changed on disk)';
  } else if (!legacy) {
    return 'no checksum (a damaged record)';
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  const { seq, changes } = (value ?? {}) as Partial<JournalEntry>;
  if (!Number.isSafeInteger(seq) || !Array.isArray(changes)) return 'expected {"seq": n, "changes": […]}';
  for (const c of changes) {
    const ok = Array.isArray(c) && c.length === 3 && typeof c[0] === 'string' && typeof c[1] === 'string' &&
      (typeof c[2] === 'string' || (Array.isArray(c[2]) && c[2].length === 2 && typeof c[2][0] === 'string'));
    if (!ok) return 'expected changes of the form [collection, partition, [id, record] | id]';
  }
  return { seq: seq as number, changes: changes as JournalEntry['changes'] };
}

/** The commit number and changes of a damaged line, when it still parses (for loss reports). */
function looseEntry(line: string): { seq: number; changes: unknown[] } | undefined {
  try {
    const v = JSON.parse(line) as { seq?: unknown; changes?: unknown };
    if (Number.isSafeInteger(v?.seq)) return { seq: v.seq as number, changes: Array.isArray(v.changes) ? v.changes : [] };
  } catch {
    // unreadable: counted as a line only
  }
  return undefined;
}

/**
 * Cuts a refused append off the journal, back to `durableBytes` (the end of its last durable
 * commit), and syncs the cut. A failed append may have left its whole line in the file: the write
 * succeeded and the fdatasync failed (EIO), and the page cache may still write the line out. Its
 * transactions are refused, so a restart must not replay it (a SCIM client told 503 would find its
 * change made anyway, and the rolled-back memory and the disk would disagree). Throws what the disk
 * threw; the caller decides how loud that is.
 */
export async function cutRefusedTail(journal: StoreFileHandle, durableBytes: number): Promise<void> {
  await journal.truncate(durableBytes);
  await journal.datasync();
}

/**
 * Appends one commit's line at `at` and fdatasyncs it; resolves only once it is durable under the
 * journal's name. A journal removed while open (its folder deleted, the file unlinked or renamed
 * over) still takes writes and syncs without complaint, into an inode no restart finds: so the
 * handle's link count is checked after the sync (fstat, no path lookup), and 0 throws
 * `JournalRemoved` instead of acknowledging a write that is durable nowhere.
 */
export async function appendToJournal(journal: StoreFileHandle, bytes: Uint8Array, at: number): Promise<void> {
  await writeAll(journal, bytes, at);
  await journal.datasync();
  if ((await journal.stat()).nlink === 0) throw new JournalRemoved();
}

export class JournalRemoved extends Error {
  readonly code = 'ENOENT';
  constructor() {
    super('the journal file was removed from its folder while open');
    this.name = 'JournalRemoved';
  }
}

export function isJournalRemoved(err: unknown): err is JournalRemoved {
  return err instanceof JournalRemoved;
}
