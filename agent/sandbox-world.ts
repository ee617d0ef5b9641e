import { mkdirSync, readFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LoadedConfig } from '../config/load.ts';
import { replaceFileDurably } from './store/durable-file.ts';

/**
 * Where the built-in Meta sandbox (hubs with `meta.graphBaseUrl: sandbox`) keeps its business: in
 * the store's folder (`data/sandbox-meta.json` with the shipped config), so a restart finds it as
 * it was, and backing up or deleting that folder covers it too.
 */
export function sandboxWorldPath(config: LoadedConfig): string {
  return join(dirname(config.pathOf(config.file.store.path)), 'sandbox-meta.json');
}

/** The saved world (undefined on a first start) and a durable writer for it (temp, fsync, rename). */
export function sandboxWorldFile(path: string): { initial: string | undefined; source: string; save(text: string): Promise<void> } {
  let initial: string | undefined;
  try {
    initial = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
  mkdirSync(dirname(path), { recursive: true });
  return { initial, source: path, save: (text) => replaceFileDurably(path, [Buffer.from(text)]) };
}

/** Forgets the saved world: the next start seeds the sandbox from its fixture. False if there was none. */
export async function removeSandboxWorld(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new Error(`cannot remove ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
}
