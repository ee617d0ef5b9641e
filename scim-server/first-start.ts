import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { DEFAULT_CONFIG_PATH } from '../config/load.ts';
import { createSecretFile } from '../agent/secrets/secret-file.ts';
import { makeDirs } from '../agent/store/make-dirs.ts';

/**
 * The token files the shipped config (config/hubwarden.yaml) references with `file:../data/…`,
 * relative to the config's folder, in the order it names them (one SCIM token per sandbox hub,
 * then the admin token). Read from the shipped file itself, so a hub added there gets its token
 * without a list here to keep in step. They are created on first start, before the config is
 * loaded (the loader refuses a `file:` secret that does not exist), and only for the shipped
 * config: a config a user wrote names its own secrets, and inventing them would hide a typo.
 */
export const DEFAULT_TOKEN_FILES: readonly string[] = [...new Set(
  [...readFileSync(fileURLToPath(new URL('../config/hubwarden.yaml', import.meta.url)), 'utf8').matchAll(/file:(\.\.\/data\/[\w.-]+)/g)].map((m) => m[1]!),
)];

/** Creates each missing token file (32 random bytes, base64url, mode 0600); returns the ones created. */
export async function createDefaultTokenFiles(configPath: string): Promise<string[]> {
  if (resolve(configPath) !== resolve(DEFAULT_CONFIG_PATH)) return [];
  const created: string[] = [];
  for (const relative of DEFAULT_TOKEN_FILES) {
    const path = resolve(dirname(resolve(configPath)), relative);
    await makeDirs(dirname(path)); // mode 0700, as the store's folders (make-dirs.ts)
    // Never replaces an existing token (the IdP already holds it), and never leaves an empty one
    // behind when the write fails (agent/secrets/secret-file.ts).
    const made = await createSecretFile(path, `${randomBytes(32).toString('base64url')}\n`).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot create ${path}: ${err.code ?? 'error'}`);
    });
    if (!made) continue;
    created.push(path);
  }
  return created;
}
