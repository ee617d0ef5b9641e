import { basename, dirname, join } from 'node:path';
import { nodeFiles, type StoreFiles } from './store-files.ts';
import { describeDamage, inspectStore, storePaths, type Inspection } from './store-inspect.ts';
import { lockStore } from './store-lock.ts';
import { SerializedStore } from './store-file.ts';
import { writeFreshFiles, writeSnapshotFile } from './store-layout.ts';
import { LowdbStore } from './lowdb-store.ts';
import { ARCHIVED_COLLECTIONS } from './archives.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { storeCommandTrigger } from '../audit/store-operation.ts';

/**
 * `hubwarden store check` and `hubwarden store repair --accept-loss`: they work on the store's
 * files directly, so the server must be stopped (the lock file is respected: a live holder stops
 * them). Check changes nothing. Repair keeps a copy of every store file first, keeps everything up
 * to the first damage, and lists exactly what it dropped.
 */
export interface CheckReport {
  ok: boolean;
  /** One line each: what is there, and each damage with what starting would lose. */
  lines: string[];
}

/** Whether a lowdb store is at `path`: its snapshot or any of its journals (one it cannot stat counts as there). */
export async function hasStoreFiles(path: string, files: StoreFiles = nodeFiles): Promise<boolean> {
  const paths = storePaths(path);
  for (const f of [paths.path, paths.journalPath, paths.previousJournalPath, paths.nextJournalPath]) if ((await files.size(f).catch(() => 0)) !== undefined) return true;
  return false;
}

/**
 * Neither a snapshot nor a journal: refused, naming the path. Most often a mistyped --path or
 * store.path, which an "OK, nothing to check" with exit 0 would pass off as a healthy store (and a
 * script running `store check` before a start would go on). `store migrate` refuses so too
 * (copy-to-postgres.ts), saying what it did not do (`then`).
 */
export async function requireStore(path: string, files: StoreFiles = nodeFiles, then = ''): Promise<void> {
  if (!(await hasStoreFiles(path, files))) throw new Error(`no lowdb store at ${path}: neither its snapshot nor a journal is there; check --path or store.path${then}`);
}

export async function checkStore(path: string, files: StoreFiles = nodeFiles): Promise<CheckReport> {
  await requireStore(path, files);
  const unlock = await lockStore(path);
  try {
    // Read as repair reads (lenient): a snapshot that fails its checksum is still described (its
    // commit, its records, the journal after it), so the summary line agrees with the damage line
    // and with what `store repair --accept-loss` would keep. Start-up stays strict (lowdb-store.ts).
    return report(await inspectStore(files, storePaths(path), true), path);
  } finally {
    await unlock();
  }
}

function report(found: Inspection, path: string): CheckReport {
  const records = [...found.records.values()].reduce((n, parts) => n + [...parts.values()].reduce((m, r) => m + r.size, 0), 0);
  const lines = [`${path}: ${found.snapshot ? `snapshot at commit ${found.snapshot.seq}` : 'no snapshot'}, ${found.replayed} journal commit(s) after it, ${records} record(s) readable up to commit ${found.seq}`];
  for (const t of found.torn) lines.push(`${t.file} line ${t.line}: a torn final record (${t.bytes} bytes, never acknowledged); dropped on open, nothing lost`);
  for (const d of found.damage) lines.push(`DAMAGED ${describeDamage(d)}`);
  if (found.damage.length === 0) lines.push('OK: the store opens with nothing lost');
  return { ok: found.damage.length === 0, lines };
}

export interface RepairReport extends CheckReport {
  /** Where the copies of the damaged files were put (undefined: nothing needed repair). */
  backup?: string;
  /** Every record change dropped, one line each (commit, collection/partition/id, or an unreadable line). */
  dropped: string[];
}

export async function repairStore(path: string, files: StoreFiles = nodeFiles, now = new Date()): Promise<RepairReport> {
  await requireStore(path, files);
  const unlock = await lockStore(path);
  let repaired: RepairReport & { damage: string[]; keptUpTo: number };
  try {
    const paths = storePaths(path);
    const found = await inspectStore(files, paths, true);
    const checked = report(found, path);
    if (found.damage.length === 0) return { ...checked, dropped: [] };
    const unreadable = found.damage.find((d) => d.unreadable);
    if (unreadable) throw new Error(`${describeDamage(unreadable)}; there is nothing to repair until it can be read`);
    const backup = join(dirname(path), `${basename(path)}.damaged-${now.toISOString().replace(/[:.]/g, '-')}`);
    await files.mkdir(backup);
    for (const file of [paths.path, paths.journalPath, paths.previousJournalPath, paths.nextJournalPath]) {
      if ((await files.size(file)) !== undefined) await files.copy(file, join(backup, basename(file)));
    }
    const dropped = await droppedChanges(files, found);
    const serialized = new SerializedStore();
    for (const [c, parts] of found.records) for (const [p, records] of parts) for (const [id, record] of records) serialized.set(c, p, id, record);
    // The archives (audit log, finished tasks) already hold the records of commits after the
    // damage: they were archived once durable. Numbered from found.seq again, the next commits
    // would reuse those numbers, and at a start after a crash the archive, whose last commit looks
    // newer, would skip their records (archives.ts `fill`): audit entries and finished tasks of
    // acknowledged commits lost. So the repaired store goes on past every number in use.
    const after = Math.max(found.seq, highestJournalSeq(found), await highestArchivedSeq(files, path));
    const { journal } = await writeFreshFiles(files, paths, after, async (captured) => void (await writeSnapshotFile(files, path, serialized, captured)), serialized.capture(after));
    await journal.close();
    const numbered = after > found.seq ? `; the next commit is ${after + 1} (the dropped ones' numbers are not reused: the archive keeps their audit entries and finished tasks)` : '';
    repaired = { ok: true, lines: [...checked.lines, `repaired: kept everything up to commit ${found.seq}${numbered}; copies of the damaged files are in ${backup}`], backup, dropped, damage: found.damage.map((d) => describeDamage(d)), keptUpTo: found.seq };
  } finally {
    await unlock();
  }
  const { damage, keptUpTo, ...result } = repaired;
  await auditRepair(path, files, result, damage, keptUpTo);
  return result;
}

/** Lines of dropped changes kept in the audit entry's detail (all of them are printed and in the backup). */
const MAX_DROPPED_LINES = 500;

/**
 * The repair, in the repaired store's own audit log (`store-repaired`): what was damaged, what was
 * dropped, where the copies are. Appended through the store as any entry is (opening it also proves
 * the repaired files open); the lock was released for that, so a server started in between makes
 * this fail, with a message saying the repair itself is done.
 */
async function auditRepair(path: string, files: StoreFiles, result: RepairReport, damage: string[], keptUpTo: number): Promise<void> {
  const store = new LowdbStore(path, { files });
  try {
    await store.open();
    await store.transact((tx) => appendAudit(tx, {
      trigger: storeCommandTrigger('store repair'),
      action: 'store-repaired',
      subject: { label: path },
      why: `hubwarden store repair --accept-loss: kept everything up to commit ${keptUpTo}, dropped ${result.dropped.length} record change(s); copies of the damaged files are in ${result.backup}`,
      outcome: 'ok',
      detail: {
        store: path,
        backup: result.backup,
        keptUpToCommit: keptUpTo,
        damage,
        droppedCount: result.dropped.length,
        dropped: result.dropped.length > MAX_DROPPED_LINES ? [...result.dropped.slice(0, MAX_DROPPED_LINES), `(${result.dropped.length - MAX_DROPPED_LINES} more)`] : result.dropped,
      },
    }));
  } catch (err) {
    throw new Error(`the store was repaired (copies of the damaged files are in ${result.backup}), but its audit entry could not be written: ${(err as Error).message}`);
  } finally {
    await store.close().catch(() => {});
  }
}

/** The highest commit number a journal line holds, a damaged one's included (when it still parses). */
function highestJournalSeq(found: Inspection): number {
  let top = 0;
  for (const j of found.journals) for (const seq of [...j.entries.map((e) => e.seq), ...(j.damage?.lostCommits ?? [])]) top = Math.max(top, seq);
  return top;
}

/** The highest commit number any archive line names (archive.ts: `{"seq":n,…}`, one line per record). */
async function highestArchivedSeq(files: StoreFiles, path: string): Promise<number> {
  const folder = `${path}.archive`;
  const names = await files.list(folder);
  let top = 0;
  for (const name of names) {
    if (!ARCHIVED_COLLECTIONS.some((c) => name.startsWith(`${c}-`) && name.endsWith('.log'))) continue;
    const text = ((await files.read(join(folder, name))) ?? Buffer.alloc(0)).toString('utf8');
    for (const m of text.matchAll(/^\{"seq":(\d+),/gm)) {
      const seq = Number(m[1]);
      if (Number.isSafeInteger(seq)) top = Math.max(top, seq);
    }
  }
  return top;
}

/** The record changes of the commits repair drops (a line that cannot be read is named as such). */
async function droppedChanges(files: StoreFiles, found: Inspection): Promise<string[]> {
  const out: string[] = [];
  if (found.snapshotLost) out.push(`${found.snapshotLost}: unreadable, every record in it`);
  for (const journal of found.journals) {
    if (!journal.exists) continue;
    const lines = ((await files.read(journal.file)) ?? Buffer.alloc(0)).toString('utf8').split('\n');
    for (const [i, text] of lines.entries()) {
      if (text === '' || (i === lines.length - 1 && journal.torn)) continue; // a torn tail was never acknowledged
      let entry: { seq?: unknown; changes?: unknown; journal?: unknown } | undefined;
      try {
        entry = JSON.parse(text) as typeof entry;
      } catch {
        entry = undefined;
      }
      if (i === 0 && entry?.journal !== undefined) continue; // the header
      if (!entry || !Number.isSafeInteger(entry.seq) || !Array.isArray(entry.changes)) {
        out.push(`${journal.file} line ${i + 1}: unreadable (${Buffer.byteLength(text)} bytes), its changes unknown`);
        continue;
      }
      // A good line up to the kept commit is kept. A line from the damage on is dropped whatever
      // commit number it claims: that number may be what was damaged (read as an earlier commit,
      // it was passed over as kept, and its changes were dropped without being listed).
      const damaged = journal.damage !== undefined && i + 1 >= journal.damage.line;
      if (!damaged && (entry.seq as number) <= found.seq) continue; // kept
      for (const c of entry.changes as unknown[][]) {
        const id = typeof c[2] === 'string' ? c[2] : Array.isArray(c[2]) ? String(c[2][0]) : '?';
        out.push(`${journal.file} line ${i + 1}: commit ${entry.seq}: ${typeof c[2] === 'string' ? 'delete' : 'put'} ${String(c[0])}/${String(c[1])}/${id}`);
      }
    }
  }
  return out;
}
