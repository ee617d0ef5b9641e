import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with `parts` so that a crash at any moment leaves either the old file or the new
 * one, never a mix: write a temp file beside it, fsync it, rename it over the target (atomic on
 * POSIX), then fsync the folder so the rename itself survives a power loss. Resolves only when the
 * new content is on disk.
 *
 * lowdb's own writer (steno) also writes a temp file and renames it, but it never fsyncs, so an
 * acknowledged write can vanish in a power cut; and it takes one string, while the store hands
 * over cached per-chunk buffers (see store-file.ts). Hence this small writer.
 */
export async function replaceFileDurably(path: string, parts: readonly Uint8Array[]): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.tmp`);
  const file = await open(temp, 'w', 0o600);
  try {
    // writev takes at most IOV_MAX (1024 on Linux) buffers per call.
    for (let i = 0; i < parts.length; i += 512) {
      const batch = parts.slice(i, i + 512);
      let expected = 0;
      for (const b of batch) expected += b.byteLength;
      const { bytesWritten } = await file.writev(batch as Uint8Array[]);
      if (bytesWritten !== expected) await writeRest(file, batch, bytesWritten);
    }
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
  await syncFolder(dirname(path));
}

/** A short writev (rare; signals or quotas) is finished buffer by buffer. */
async function writeRest(file: import('node:fs/promises').FileHandle, batch: readonly Uint8Array[], written: number): Promise<void> {
  let skip = written;
  for (const b of batch) {
    if (skip >= b.byteLength) {
      skip -= b.byteLength;
      continue;
    }
    let offset = skip;
    skip = 0;
    while (offset < b.byteLength) {
      const { bytesWritten } = await file.write(b, offset, b.byteLength - offset);
      offset += bytesWritten;
    }
  }
}

export async function syncFolder(folder: string): Promise<void> {
  const dir = await open(folder, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
