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
 * Makes the files hold exactly the state captured at commit `seq`: a fresh journal (header,
 * fsync) is prepared under `.journal.new`, the snapshot is written, then the journal is renamed
 * into place, `.journal.1` removed and the folder fsynced. A crash at any step leaves files that
 * open to the same state (store-inspect.ts takes a `.journal.new` when `.journal` is missing).
 * Returns the new journal, open for appending after its header.
 */
export async function writeFreshFiles(
  files: StoreFiles,
  paths: StorePaths,
  seq: number,
  writeSnapshot: (captured: CapturedDocument) => Promise<void>,
  captured: CapturedDocument,
): Promise<{ journal: StoreFileHandle; headerBytes: number }> {
  const header = journalHeader(seq);
  const journal = await files.open(paths.nextJournalPath, 'w', 0o600);
  try {
    await writeAll(journal, header, 0);
    await journal.datasync();
    await writeSnapshot(captured);
    await files.rename(paths.nextJournalPath, paths.journalPath);
    await files.unlink(paths.previousJournalPath).catch((err) => (codeOf(err) === 'ENOENT' ? undefined : Promise.reject(err)));
    await syncFolder(files, dirname(paths.path));
  } catch (err) {
    await journal.close().catch(() => {});
    throw err;
  }
  return { journal, headerBytes: header.byteLength };
}
