import { link, open, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';

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
 *
 * The lock also names the holder's host: two containers sharing one volume are each pid 1 (or
 * have pids that mean nothing in each other's pid namespace), so a pid alone let a second
 * container take a live server's lock for its own stale one and write the same journal. A lock
 * from another host is judged by its age instead: its holder touches it every LOCK_HEARTBEAT_MS,
 * and it is stale once LOCK_STALE_MS have passed without that (a container replaced after a
 * crash starts once its predecessor's lock has aged; a live one is refused).
 */
export async function lockStore(path: string, hooks: LockHooks = {}): Promise<() => Promise<void>> {
  const lockPath = `${path}.lock`;
  const mine = String(process.pid);
  const content = `${mine} ${HOST}`;
  const staleMs = hooks.staleMs ?? LOCK_STALE_MS;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await create(lockPath, content, hooks)) {
      held.add(lockPath);
      return release(lockPath, content, hooks);
    }
    const owner = ownerOf(await readFile(lockPath, 'utf8').catch(() => ''));
    if (owner.host !== undefined && owner.host !== HOST) {
      const age = Date.now() - ((await stat(lockPath).catch(() => undefined))?.mtimeMs ?? 0);
      if (age < staleMs) {
        throw new Error(`store: ${path} is in use by process ${owner.pid} on host ${owner.host} (another container on the same data?); stop it first. Its lock is taken over once it has not been renewed for ${Math.round(staleMs / 1000)} s`);
      }
    } else if (owner.pid === mine) {
      if (held.has(lockPath)) return async () => {}; // a second store on it in this process
      held.add(lockPath); // stale: an earlier process with this pid left it
      await writeFile(lockPath, content, { mode: 0o600 });
      return release(lockPath, content, hooks);
    } else if (/^\d+$/.test(owner.pid) && isAlive(Number(owner.pid))) {
      throw new Error(`store: ${path} is in use by process ${owner.pid} (another hubwarden on the same data?); stop it first, or remove ${lockPath} if that process is not hubwarden`);
    }
    await unlink(lockPath).catch(() => {}); // stale: its owner is gone
  }
  // three lost races in a row: someone else keeps taking it
  await writeFile(lockPath, content, { mode: 0o600 });
  held.add(lockPath);
  return release(lockPath, content, hooks);
}

/** How often the holder renews its lock, and how old another host's lock must be to be taken over. */
export const LOCK_HEARTBEAT_MS = 10_000;
export const LOCK_STALE_MS = 60_000;

const HOST = hostname().replace(/\s+/g, '') || 'unknown-host';

/** `<pid> <host>`; a lock written before hosts were recorded holds the pid alone (this host). */
function ownerOf(text: string): { pid: string; host?: string } {
  const [pid = '', host] = text.trim().split(/\s+/);
  return { pid, host };
}

export interface LockHooks {
  /** Called while the lock is being created, before it is in place (tests: a race caught mid-way). */
  creating?: () => Promise<void>;
  /** Tests: LOCK_HEARTBEAT_MS and LOCK_STALE_MS. */
  heartbeatMs?: number;
  staleMs?: number;
}

/**
 * Puts the lock in place with its pid already in it: written to a file of this process's own,
 * then linked to the lock's name (link fails with EEXIST if one is there). Created empty and
 * written after, as before, another process starting at that moment read an empty lock, took it
 * for a stale one, removed it and took its own: two processes on one journal. False: a lock is
 * there. Where the file system has no hard links, the lock is created in place (open wx).
 */
async function create(lockPath: string, mine: string, hooks: LockHooks): Promise<boolean> {
  const temp = `${lockPath}.${process.pid}.tmp`;
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

/** Renews the lock while it is held (its age tells other hosts it is live); the returned function releases it. */
function release(lockPath: string, mine: string, hooks: LockHooks): () => Promise<void> {
  const renew = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => {});
  }, hooks.heartbeatMs ?? LOCK_HEARTBEAT_MS);
  renew.unref();
  return async () => {
    clearInterval(renew);
    held.delete(lockPath);
    const owner = (await readFile(lockPath, 'utf8').catch(() => '')).trim();
    if (owner === mine) await unlink(lockPath).catch(() => {});
  };
}

/** The pid of the live process on this host holding the store's lock, if any (`hubwarden sandbox reset` asks). */
export async function storeLockOwner(path: string): Promise<number | undefined> {
  const owner = ownerOf(await readFile(`${path}.lock`, 'utf8').catch(() => ''));
  if (owner.host !== undefined && owner.host !== HOST) return undefined;
  return /^\d+$/.test(owner.pid) && isAlive(Number(owner.pid)) ? Number(owner.pid) : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}
