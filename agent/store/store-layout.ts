import { dirname } from 'node:path';
import { replaceFileDurably } from './durable-file.ts';
import { journalHeader } from './journal.ts';
import { codeOf, syncFolder, writeAll, type StoreFileHandle, type StoreFiles } from './store-files.ts';
import type { CapturedDocument, SerializedStore } from './store-file.ts';
import type { StorePaths } from './store-inspect.ts';

/** Encodes a captured document and replaces the snapshot with it durably; returns its size. */
export async function writeSnapshotFile(files: StoreFiles, path: string, serialized: SerializedStore, captured: CapturedDocument): Promise<number> {
  const parts = await serialized.encode(captured);
  await replaceFileDurably(files, path, parts);
  return parts.reduce((n, b) => n + b.byteLength, 0);
}

/**
 * A new journal starting after commit `seq`: written (header, fsync) as `.journal.new`, then put in
 * place by `install`; on failure it is closed and the error thrown. Returns it open for appending.
 */
async function newJournal(files: StoreFiles, paths: StorePaths, seq: number, install: () => Promise<void>): Promise<{ journal: StoreFileHandle; headerBytes: number }> {
  const header = journalHeader(seq);
  const journal = await files.open(paths.nextJournalPath, 'w', 0o600);
  try {
    await writeAll(journal, header, 0);
    await journal.datasync();
    await install();
  } catch (err) {
    await journal.close().catch(() => {});
    throw err;
  }
  return { journal, headerBytes: header.byteLength };
}

/**
 * Makes the files hold exactly the state captured at commit `seq`: a fresh journal is prepared,
 * the snapshot is written, then the journal is renamed into place, `.journal.1` removed and the
 * folder fsynced. A crash at any step leaves files that open to the same state (store-inspect.ts
 * takes a `.journal.new` when `.journal` is missing).
 */
export function writeFreshFiles(
  files: StoreFiles,
  paths: StorePaths,
  seq: number,
  writeSnapshot: (captured: CapturedDocument) => Promise<void>,
  captured: CapturedDocument,
): Promise<{ journal: StoreFileHandle; headerBytes: number }> {
  return newJournal(files, paths, seq, async () => {
    await writeSnapshot(captured);
    await files.rename(paths.nextJournalPath, paths.journalPath);
    await files.unlink(paths.previousJournalPath).catch((err) => (codeOf(err) === 'ENOENT' ? undefined : Promise.reject(err)));
    await syncFolder(files, dirname(paths.path));
  });
}

/**
 * Checkpoint rotation: the journal becomes `.journal.1` and a fresh one (after `seq`) takes its
 * place; the folder is synced before anything is acknowledged from the new one.
 */
export function rotateJournal(files: StoreFiles, paths: StorePaths, seq: number): Promise<{ journal: StoreFileHandle; headerBytes: number }> {
  return newJournal(files, paths, seq, async () => {
    await files.rename(paths.journalPath, paths.previousJournalPath);
    await files.rename(paths.nextJournalPath, paths.journalPath);
    await syncFolder(files, dirname(paths.path));
  });
}
