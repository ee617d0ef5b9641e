import { link, open, readFile, unlink, writeFile } from 'node:fs/promises';

/**
 * One process per store: `<store>.lock` holds the owner's pid. Two hubwarden processes on one data
 * folder (a second `npm start` with another PORT) would each truncate and append to the same
 * journal and lose each other's commits, so the second one must stop at start-up instead.
 *
 * A lock left by a process that no longer exists (kill -9, power loss) is taken over. The lock is
 * per process: a second LowdbStore on the same file in the same process is the caller's business
 * (tests use it to read what a "crashed" store left behind). A lock naming this process's pid
 * that this process did not take was left by an earlier process that had the same pid: in a
 * container the server is pid 1 at every start, so after a kill -9 and a restart the lock names
 * the new process too. It is taken over like any stale lock, and removed at close.
 */
export async function lockStore(path: string, hooks: LockHooks = {}): Promise<() => Promise<void>> {
  const lockPath = `${path}.lock`;
  const mine = String(process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await create(lockPath, mine, hooks)) {
      held.add(lockPath);
      return release(lockPath, mine);
    }
    const owner = (await readFile(lockPath, 'utf8').catch(() => '')).trim();
    if (owner === mine) {
      if (held.has(lockPath)) return async () => {}; // a second store on it in this process
      held.add(lockPath); // stale: an earlier process with this pid left it
      return release(lockPath, mine);
    }
    if (/^\d+$/.test(owner) && isAlive(Number(owner))) {
      throw new Error(`store: ${path} is in use by process ${owner} (another hubwarden on the same data?); stop it first, or remove ${lockPath} if that process is not hubwarden`);
    }
    await unlink(lockPath).catch(() => {}); // stale: its owner is gone
  }
  // three lost races in a row: someone else keeps taking it
  await writeFile(lockPath, mine, { mode: 0o600 });
  held.add(lockPath);
  return release(lockPath, mine);
}

export interface LockHooks {
  /** Called while the lock is being created, before it is in place (tests: a race caught mid-way). */
  creating?: () => Promise<void>;
}

/**
 * Puts the lock in place with its pid already in it: written to a file of this process's own,
 * then linked to the lock's name (link fails with EEXIST if one is there). Created empty and
 * written after, as before, another process starting at that moment read an empty lock, took it
 * for a stale one, removed it and took its own: two processes on one journal. False: a lock is
 * there. Where the file system has no hard links, the lock is created in place (open wx).
 */
async function create(lockPath: string, mine: string, hooks: LockHooks): Promise<boolean> {
  const temp = `${lockPath}.${mine}.tmp`;
  const failed = (err: unknown) => new Error(`store: cannot create the lock ${lockPath}: ${(err as NodeJS.ErrnoException).code}`);
  try {
    await writeFile(temp, mine, { mode: 0o600 });
  } catch (err) {
    throw failed(err);
  }
  try {
    await hooks.creating?.();
    await link(temp, lockPath);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw failed(err);
  } finally {
    await unlink(temp).catch(() => {});
  }
  try {
    const file = await open(lockPath, 'wx', 0o600);
    await file.writeFile(mine);
    await file.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw failed(err);
  }
}

/** Lock files this process took (and has not released). */
const held = new Set<string>();

function release(lockPath: string, mine: string): () => Promise<void> {
  return async () => {
    held.delete(lockPath);
    const owner = (await readFile(lockPath, 'utf8').catch(() => '')).trim();
    if (owner === mine) await unlink(lockPath).catch(() => {});
  };
}

/** The pid of the live process holding the store's lock, if any (`hubwarden sandbox reset` asks). */
export async function storeLockOwner(path: string): Promise<number | undefined> {
  const owner = (await readFile(`${path}.lock`, 'utf8').catch(() => '')).trim();
  return /^\d+$/.test(owner) && isAlive(Number(owner)) ? Number(owner) : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}
