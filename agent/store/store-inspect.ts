import { codeOf, type StoreFiles } from './store-files.ts';
import { readJournal, type JournalReading } from './journal.ts';
import { CHECKSUM_FAILED, readSnapshotLeniently, type StoreDocument } from './store-file.ts';

/**
 * Reading a store's files without changing them: the snapshot, the previous journal (kept while a
 * snapshot is being written), the journal, replayed in order. Used by `LowdbStore.open` (which
 * refuses to start on any damage) and by `hubwarden store check|repair` (which report it and, with
 * --accept-loss, keep what is good).
 *
 * The only defect tolerated is a torn final record with no newline (an append cut short by a crash
 * or a full disk; never acknowledged, since `transact` resolves after the whole line is synced).
 * Everything else is damage: replaying a partial history would let the agent plan removals from a
 * partial picture of who should have access.
 */
export interface StorePaths {
  path: string;
  journalPath: string;
  previousJournalPath: string;
  /** A new journal is written here (header, fsync) and renamed into place, so none is ever empty. */
  nextJournalPath: string;
}

export function storePaths(path: string): StorePaths {
  return { path, journalPath: `${path}.journal`, previousJournalPath: `${path}.journal.1`, nextJournalPath: `${path}.journal.new` };
}

export interface Damage {
  file: string;
  line?: number;
  problem: string;
  /** What starting anyway (or `repair --accept-loss`) loses, in words. */
  lost: string;
  /** The file could not be read at all (a directory, no permission): nothing to repair, a path or permission to fix. */
  unreadable?: true;
}

export type Records = Map<string, Map<string, Map<string, unknown>>>;

export interface Inspection {
  snapshot?: StoreDocument;
  journals: JournalReading[];
  /** The state replayed up to the first damage. */
  records: Records;
  seq: number;
  replayed: number;
  torn: Array<{ file: string; line: number; bytes: number }>;
  damage: Damage[];
  /** The snapshot's path when it could not be read at all (its records are lost). */
  snapshotLost?: string;
  /** The journal appends continue in (the .journal, or a .journal.new a crash left before its rename). */
  currentJournal?: string;
}

/**
 * `lenient` (store check and repair, never start-up): a snapshot that parses but fails its checksum is reported and its
 * records are still used (which of them changed cannot be known; dropping all would be worse).
 */
export async function inspectStore(files: StoreFiles, paths: StorePaths, lenient = false): Promise<Inspection> {
  const out: Inspection = { journals: [], records: new Map(), seq: 0, replayed: 0, torn: [], damage: [] };
  let bytes: Buffer | undefined;
  try {
    bytes = await files.read(paths.path);
  } catch (err) {
    out.damage.push(codeOf(err) === 'EISDIR'
      ? { file: paths.path, problem: 'is a directory, not a store file: store.path names the file itself (such as data/hubwarden.json)', lost: 'nothing; point store.path at a file and retry', unreadable: true }
      : { file: paths.path, problem: `cannot be read (${codeOf(err)})`, lost: 'nothing yet; fix the file system and retry', unreadable: true });
    return out;
  }
  const read = bytes ? readSnapshotLeniently(bytes) : undefined;
  if (typeof read === 'string' && bytes && !(await isStoreLike(files, paths, bytes))) {
    // Not a store at all (store.path or --path naming the config, a token file, the audit log,
    // another program's JSON): unreadable, not damaged, since a repair would replace that file
    // with an empty store.
    out.damage.push({ file: paths.path, problem: 'is not a store file (no hubwarden store snapshot, and no journal beside it)', lost: 'nothing; point store.path (or --path) at the store\'s own file, such as data/hubwarden.json, and retry', unreadable: true });
    return out;
  }
  if (typeof read === 'string') {
    out.damage.push({ file: paths.path, problem: read, lost: 'every record of the snapshot, and with it every later commit (they only make sense on top of it)' });
    out.snapshotLost = paths.path;
    if (lenient) out.journals = await Promise.all([paths.previousJournalPath, paths.journalPath].map(async (f) => readJournal(f, await files.read(f))));
    return out;
  }
  if (read?.checksumFailed) {
    out.damage.push({ file: paths.path, problem: CHECKSUM_FAILED, lost: `trust in all of its ${read.entries.reduce((n, [, , r]) => n + r.length, 0)} records (which changed cannot be known; repair keeps them as they are)` });
    if (!lenient) return out;
  }
  out.snapshot = read;
  const legacy = read?.legacy ?? false;
  for (const [c, p, records] of read?.entries ?? []) for (const [id, record] of records) partition(out.records, c, p).set(id, record);
  out.seq = read?.seq ?? 0;

  const previous = readJournal(paths.previousJournalPath, await files.read(paths.previousJournalPath), legacy);
  let current = readJournal(paths.journalPath, await files.read(paths.journalPath), legacy);
  out.currentJournal = paths.journalPath;
  // A journal is written as .journal.new (header, fsync) and renamed into place before anything is
  // appended to it. With no .journal, the .journal.new is the one a crash caught before its rename;
  // if it has no complete header yet (killed before or while writing it) it held nothing either.
  let beingCreated = false;
  if (!current.exists) {
    const next = readJournal(paths.nextJournalPath, await files.read(paths.nextJournalPath), legacy);
    if (next.exists && next.after === undefined && next.entries.length === 0 && (!next.damage ? next.goodBytes === 0 && !next.torn : next.damage.line === 1 && next.damage.lostLines === 1 && !next.damage.problem.startsWith('not a journal header'))) {
      beingCreated = true;
      out.currentJournal = paths.nextJournalPath;
    } else if (next.exists && !next.damage) ((current = next), (out.currentJournal = paths.nextJournalPath));
  }
  out.journals = [previous, current];
  const after = `every commit after ${out.seq} (how many is unknown)`;
  if (read?.journal && !current.exists && !beingCreated) {
    out.damage.push({ file: paths.journalPath, problem: `is missing, but the snapshot (commit ${out.seq}) expects one`, lost: after });
    return out;
  }
  for (const journal of out.journals) {
    if (!journal.exists) continue;
    if (!legacy && journal.after === undefined && !journal.damage) {
      out.damage.push({ file: journal.file, problem: 'is empty (0 bytes); a journal is always created with its header', lost: after });
      return out;
    }
    if (!read && (journal.entries.length > 0 || (journal.after ?? 0) > 0)) {
      const holds = journal.entries.length > 0 ? 'holds commits' : `starts after commit ${journal.after}`;
      out.damage.push({ file: paths.path, problem: `is missing, but the journal ${journal.file} ${holds}`, lost: 'everything up to the journal\'s first commit (the snapshot); replaying only recent commits would be a partial picture' });
      return out;
    }
    // A journal starts after the commit its snapshot (or the journal before it) ends with; one that
    // starts later, even with no commit in it yet, means commits in between are gone (a lost
    // .journal.1 beside a journal a checkpoint just started, or an older snapshot put back).
    if (journal.after !== undefined && journal.after > out.seq) {
      out.damage.push({ file: journal.file, problem: `starts after commit ${journal.after}, but commits ${out.seq + 1} to ${journal.after} are missing before it (a lost ${paths.previousJournalPath}?)`, lost: `commits ${out.seq + 1} to ${journal.after}, and every later one` });
      return out;
    }
    for (const entry of journal.entries) {
      if (entry.seq <= out.seq) continue;
      if (entry.seq !== out.seq + 1) {
        out.damage.push({ file: journal.file, problem: `commits ${out.seq + 1} to ${entry.seq - 1} are missing before it (a lost ${paths.previousJournalPath}?)`, lost: `commits ${out.seq + 1} to ${entry.seq - 1}, and every later one` });
        return out;
      }
      for (const [c, p, change] of entry.changes) {
        if (typeof change === 'string') partition(out.records, c, p).delete(change);
        else partition(out.records, c, p).set(change[0], change[1]);
      }
      out.seq = entry.seq;
      out.replayed++;
    }
    if (journal.torn) out.torn.push({ file: journal.file, ...journal.torn });
    if (journal.damage) {
      const d = journal.damage;
      const commits = d.lostCommits.length > 0 ? `commits ${d.lostCommits[0]} to ${d.lostCommits[d.lostCommits.length - 1]} (${d.lostCommits.length} commits, ${d.lostChanges} record changes)` : 'no readable commit';
      out.damage.push({ file: d.file, line: d.line, problem: d.problem, lost: `lines ${d.line} to ${d.line + d.lostLines - 1}: ${commits}${journal === previous && current.entries.length > 0 ? `, and every commit in ${current.file}` : ''}` });
      return out;
    }
  }
  return out;
}

/** One line per damage, for error messages and `hubwarden store check` (`named`: a file the message already names). */
/**
 * A damaged snapshot still looks like one (a JSON object that is not some other program's JSON), or
 * a journal of the store is beside it; an empty file is a snapshot cut short. A JSON object that
 * parses whole yet has neither a hubwarden-store format nor collections is another file (--path
 * naming package.json, an emulator's data/sandbox-meta-business.json beside the store): taken for
 * a damaged store, `store repair --accept-loss` replaced it with an empty store, exit 0.
 */
async function isStoreLike(files: StoreFiles, paths: StorePaths, bytes: Buffer): Promise<boolean> {
  if (bytes.byteLength === 0 || (/^\s*\{/.test(bytes.toString('utf8', 0, 64)) && !isOtherJson(bytes))) return true;
  for (const f of [paths.journalPath, paths.previousJournalPath, paths.nextJournalPath]) if ((await files.size(f).catch(() => 0)) !== undefined) return true;
  return false;
}

function isOtherJson(bytes: Buffer): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return false; // cut short or garbled: it may be a store's snapshot
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return true;
  const { format } = doc as { format?: unknown };
  return !(typeof format === 'string' && format.startsWith('hubwarden-store/')) && !('collections' in doc);
}

export function describeDamage(d: Damage, named?: string): string {
  const where = d.file === named && d.line === undefined ? '' : `${d.file}${d.line !== undefined ? ` line ${d.line}` : ''}: `;
  return `${where}${d.problem}; starting anyway would lose ${d.lost}`;
}

export function partition(records: Records, c: string, p: string): Map<string, unknown> {
  let parts = records.get(c);
  if (!parts) records.set(c, (parts = new Map()));
  let r = parts.get(p);
  if (!r) parts.set(p, (r = new Map()));
  return r;
}
