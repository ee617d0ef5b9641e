import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `mkdir -p` that always ends. Node's own `mkdir(path, { recursive: true })` never returns when
 * the kernel answers ENOENT for a folder whose parent exists: under /proc (procfs refuses new
 * folders with ENOENT), or below a dangling symlink. It takes the ENOENT for a missing parent,
 * finds the parent there, and retries forever: the synchronous call spins at 100% CPU with the
 * event loop stopped (no signal handler runs), the promise never settles
 * (https://github.com/Kewton/CommandMate/issues/1774 measured both; bun had the same walk,
 * https://github.com/oven-sh/bun/pull/40600). Here each folder is tried once after its parent
 * exists, so that ENOENT is the error thrown.
 *
 * Every folder it creates is mode 0700 (FOLDER_MODE): they hold the store, the key file, token
 * files and the audit log, whose files are 0600. Left to the umask, a process started with
 * `umask 000` made `data/` world-writable, so any local account could replace `data/admin-token`
 * or the key file with its own for the next start (unlinking needs write access to the folder,
 * not to the file: POSIX rename/unlink). A folder already there keeps its mode.
 */
export function makeDirsSync(dir: string): void {
  try {
    mkdirSync(dir, FOLDER_MODE);
    return;
  } catch (err) {
    if (code(err) === 'EEXIST') return existingFolder(dir, statSync(dir).isDirectory());
    const parent = dirname(dir);
    if (code(err) !== 'ENOENT' || parent === dir) throw err;
    makeDirsSync(parent);
  }
  try {
    mkdirSync(dir, FOLDER_MODE);
  } catch (err) {
    if (code(err) !== 'EEXIST') throw err;
    existingFolder(dir, statSync(dir).isDirectory()); // made meanwhile by another process
  }
}

/**
 * The same, for callers that await it (opening a store, the key file): a few folder calls at
 * start, so it runs the synchronous walk rather than keeping a second copy of it.
 */
export async function makeDirs(dir: string): Promise<void> {
  makeDirsSync(dir);
}

/** Owner only; the umask can only take bits away from it. */
export const FOLDER_MODE = 0o700;

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** EEXIST on a folder is success; on a file it is the error (as `mkdir -p` says "File exists"). */
function existingFolder(dir: string, isDirectory: boolean): void {
  if (!isDirectory) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', path: dir });
}
