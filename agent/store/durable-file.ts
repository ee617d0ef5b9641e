import { basename, dirname, join } from 'node:path';
import { syncFolder, writeAll, type StoreFiles } from './store-files.ts';

/**
 * Replaces `path` with `parts` so that a crash at any moment leaves either the old file or the new
 * one, never a mix: write a temp file beside it, fsync it, rename it over the target (atomic on
 * POSIX), then fsync the folder so the rename itself survives a power loss. Resolves only when the
 * new content is on disk; every write's byte count is checked (writeAll). On failure the temp file
 * is removed (best effort) and the old file is untouched.
 *
 * lowdb's own writer (steno) also writes a temp file and renames it, but it never fsyncs, so an
 * acknowledged write can vanish in a power cut; and it takes one string, while the store hands
 * over cached per-chunk buffers (see store-file.ts). Hence this small writer.
 */
export async function replaceFileDurably(files: StoreFiles, path: string, parts: readonly Uint8Array[]): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.tmp`);
  try {
    const file = await files.open(temp, 'w', 0o600);
    try {
      let position = 0;
      // Parts are small cached chunks; gathered into ~1 MB writes so a 90 MB snapshot is ~90
      // write calls, not thousands.
      for (let i = 0; i < parts.length; ) {
        const group: Uint8Array[] = [];
        let bytes = 0;
        while (i < parts.length && (group.length === 0 || bytes + parts[i]!.byteLength <= 1 << 20)) {
          bytes += parts[i]!.byteLength;
          group.push(parts[i++]!);
        }
        await writeAll(file, group.length === 1 ? group[0]! : Buffer.concat(group, bytes), position);
        position += bytes;
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await files.rename(temp, path);
  } catch (err) {
    await files.unlink(temp).catch(() => {});
    throw err;
  }
  await syncFolder(files, dirname(path));
}
