import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { link, open, unlink } from 'node:fs/promises';

/** What link(2) answers on a filesystem that has no hard links (some network and FAT mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Creates a file holding a new secret (a key, a token), mode 0600, unless one is already there:
 * true when this call created it, false when the file existed (never replaced: values sealed with
 * a key, or a token an identity provider holds, would stop working).
 *
 * Written whole under a name of its own, then linked into place. Created in place, a write that
 * failed (a full disk) or a process stopped mid-way left an empty file, which every later start
 * refused (an empty key "to restore from a backup", an empty token) though it was never used, and
 * another process starting meanwhile could read it empty. link(2) fails with EEXIST rather than
 * replace a file another process put there first. Errors carry the fs code; the caller names the file.
 */
export async function createSecretFile(path: string, text: string): Promise<boolean> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.new`;
  try {
    await writeWhole(temp, text);
    return await link(temp, path).then(() => true, async (err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return false;
      // A filesystem without hard links: created in place, exclusively, as before.
      if (err.code && NO_HARD_LINKS.has(err.code)) return writeWhole(path, text).then(() => true, (e: NodeJS.ErrnoException) => {
        if (e.code === 'EEXIST') return false;
        throw e;
      });
      throw err;
    });
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** `text` in a new file ('wx': never over an existing one), mode 0600, flushed to disk. */
async function writeWhole(path: string, text: string): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** `createSecretFile`, synchronously (a key read while routers are built: keyring.ts `loadSync`). */
export function createSecretFileSync(path: string, text: string): boolean {
  const temp = `${path}.${randomBytes(6).toString('hex')}.new`;
  try {
    writeWholeSync(temp, text);
    try {
      linkSync(temp, path);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (!code || !NO_HARD_LINKS.has(code)) throw err;
      try {
        writeWholeSync(path, text);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e;
      }
    }
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // never written
    }
  }
}

function writeWholeSync(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    const buf = Buffer.from(text, 'utf8');
    for (let at = 0; at < buf.length;) at += writeSync(fd, buf, at, buf.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
