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
 */
export function makeDirsSync(dir: string): void {
  try {
    mkdirSync(dir);
    return;
  } catch (err) {
    if (code(err) === 'EEXIST') return existingFolder(dir, statSync(dir).isDirectory());
    const parent = dirname(dir);
    if (code(err) !== 'ENOENT' || parent === dir) throw err;
    makeDirsSync(parent);
  }
  try {
    mkdirSync(dir);
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

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** EEXIST on a folder is success; on a file it is the error (as `mkdir -p` says "File exists"). */
function existingFolder(dir: string, isDirectory: boolean): void {
  if (!isDirectory) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', path: dir });
}
