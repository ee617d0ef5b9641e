import { copyFile, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { makeDirs } from './make-dirs.ts';

/**
 * The file operations the durable store makes, as one small interface, so that tests can make the
 * disk misbehave exactly as a real one does (a short write, ENOSPC, EIO on a write or on fsync, a
 * failed rename; see faulty-files.test-double.ts) and check that nothing acknowledged is lost.
 * Production passes `nodeFiles`, a thin layer over node:fs/promises.
 */
export interface StoreFileHandle {
  /** Writes at `position`; may write fewer bytes than asked (a short write), see `writeAll`. */
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  /** fstat: `nlink` 0 means the file was removed from its folder while open (writes reach no path). */
  stat(): Promise<{ nlink: number }>;
  close(): Promise<void>;
}

export interface StoreFiles {
  open(path: string, flags: string, mode?: number): Promise<StoreFileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** The whole file, or undefined when it does not exist (any other failure throws). */
  read(path: string): Promise<Buffer | undefined>;
  size(path: string): Promise<number | undefined>;
  modifiedMs(path: string): Promise<number | undefined>;
  copy(from: string, to: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  list(folder: string): Promise<string[]>;
}

const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

export const nodeFiles: StoreFiles = {
  open: (path, flags, mode) => open(path, flags, mode),
  rename,
  unlink,
  read: (path) => readFile(path).catch((err) => (missing(err) ? undefined : Promise.reject(err))),
  size: (path) => stat(path).then((s) => s.size, (err) => (missing(err) ? undefined : Promise.reject(err))),
  modifiedMs: (path) => stat(path).then((s) => s.mtimeMs, (err) => (missing(err) ? undefined : Promise.reject(err))),
  copy: (from, to) => copyFile(from, to),
  mkdir: (path) => makeDirs(path), // not mkdir's recursive option: it hangs under /proc (make-dirs.ts)
  list: (folder) => readdir(folder).catch((err) => (missing(err) ? [] : Promise.reject(err))),
};

/**
 * Writes every byte of `bytes` at `position`, looping on short writes (POSIX write(2) may write
 * less than asked: a signal, a quota, a nearly full disk). A write that makes no progress is an
 * error, never a silent truncation: the caller must not acknowledge what is not on disk.
 */
export async function writeAll(file: StoreFileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await file.write(bytes, done, bytes.byteLength - done, position + done);
    if (!(bytesWritten > 0)) throw Object.assign(new Error(`write made no progress after ${done} of ${bytes.byteLength} bytes`), { code: 'EIO' });
    done += bytesWritten;
  }
}

/** fsync of a folder, so that a rename or a new file in it survives a power loss. */
export async function syncFolder(files: StoreFiles, folder: string): Promise<void> {
  const dir = await files.open(folder, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** The error code of a failed file operation, for messages (never the whole error object). */
export function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? (err instanceof Error ? err.message : String(err));
}
