import { readFileSync } from 'node:fs';
import { dataDirOf } from './store/open-store.ts';
import { unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LoadedConfig } from '../config/load.ts';
import { connectorBlock, type HubConfigFile } from '../config/schema.ts';
import { connectors } from '../connectors/registry.ts';
import type { ConnectorDefinition } from '../connectors/sdk/definition.ts';
import { replaceFileDurably } from './store/durable-file.ts';
import { nodeFiles } from './store/store-files.ts';
import { makeDirsSync } from './store/make-dirs.ts';

/** The connector definitions whose built-in sandbox some hub points at (`npm start` mounts them). */
export function usedSandboxes(hubs: readonly HubConfigFile[]): ConnectorDefinition[] {
  return connectors.filter((d) => d.sandbox && hubs.some((h) => h.connector === d.id && d.sandbox!.usedBy(connectorBlock(h))));
}

/**
 * Where a connector's sandbox keeps its world: in the store's folder (the Meta sandbox of the
 * shipped config: `data/sandbox-meta-business.json`), so a restart finds it as it was, and backing
 * up or deleting that folder covers it too.
 */
export function sandboxWorldPath(config: LoadedConfig, connectorId: string): string {
  return join(dataDirOf(config), `sandbox-${connectorId}.json`);
}

/** The saved world (undefined on a first start) and a durable writer for it (temp, fsync, rename). */
export function sandboxWorldFile(path: string): { initial: string | undefined; source: string; save(text: string): Promise<void> } {
  let initial: string | undefined;
  try {
    initial = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
  makeDirsSync(dirname(path));
  return { initial, source: path, save: (text) => replaceFileDurably(nodeFiles, path, [Buffer.from(text)]) };
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
