import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type ConfigFile } from './schema.ts';
import { resolveSecret, Secret } from './secret-ref.ts';

export const DEFAULT_CONFIG_PATH = 'config/hubwarden.yaml';

/** A bad config file: one line per problem, each naming its path in the file. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid config\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  /** Absolute path of the file read. */
  path: string;
  /** Folder the file's relative paths (store, key file, file: secrets) resolve against. */
  baseDir: string;
  file: ConfigFile;
  /** The resolved value of a secret reference that appears in the file. */
  secret(ref: string): Secret;
  /** Resolve a relative path from the config (store.path, secrets.keyFile…) against the working directory. */
  pathOf(relative: string): string;
}

/** `hubs[1].teams[0].appRole` from zod's path array. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

function issueLines(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

/** Where secret references sit: every string that validated as one, with its path. */
export function collectSecretRefs(value: unknown, path: PropertyKey[], out: Array<{ ref: string; path: PropertyKey[] }>): void {
  if (typeof value === 'string') {
    if (/^(env:|file:)/.test(value)) out.push({ ref: value, path });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => collectSecretRefs(v, [...path, i], out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collectSecretRefs(v, [...path, k], out);
  }
}

/**
 * Reads, validates and resolves a config file. Throws ConfigError listing every problem at once
 * (YAML syntax, schema, unresolvable secrets) so a user fixes the file in one pass.
 */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    throw new ConfigError(absolute, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parseConfig(text, absolute, env);
}

export function parseConfig(text: string, absolute: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  // A LineCounter gives each YAML error its line (without prettyErrors, `linePos` stays unset).
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(absolute, doc.errors.map((e) => `line ${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`));
  }
  const raw = doc.toJS() ?? {};
  // PORT overrides server.port of a mapping only: anything else is left for the schema to refuse
  // with the file's path (a scalar or a list is not a config).
  const mapping = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
  if (mapping && env.PORT !== undefined && env.PORT !== '') {
    // Checked here, not left to the schema: it would name server.port, a key the file may not
    // have, for a value that came from the environment. Decimal digits only (Number() also takes
    // 0x1F90 and 1e3); a TCP port is 16 bits (RFC 9293 §3.1).
    const port = /^\d{1,5}$/.test(env.PORT.trim()) ? Number(env.PORT.trim()) : Number.NaN;
    if (!(port <= 65535)) throw new ConfigError(absolute, [`PORT: expected a whole number from 0 to 65535, got "${env.PORT}"`]);
    const server = typeof raw.server === 'object' && raw.server !== null && !Array.isArray(raw.server) ? raw.server : {};
    raw.server = { ...server, port };
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(absolute, issueLines(parsed.error.issues));

  const baseDir = dirname(absolute);
  const secrets = new Map<string, Secret>();
  const problems: string[] = [];
  const refs: Array<{ ref: string; path: PropertyKey[] }> = [];
  collectSecretRefs(parsed.data, [], refs);
  for (const { ref, path: at } of refs) {
    if (secrets.has(ref)) continue;
    const resolved = resolveSecret(ref, baseDir, env);
    if (typeof resolved === 'string') problems.push(`${formatPath(at)}: ${resolved}`);
    else secrets.set(ref, resolved);
  }
  if (problems.length > 0) throw new ConfigError(absolute, problems);

  return {
    path: absolute,
    baseDir,
    file: parsed.data,
    secret(ref: string): Secret {
      const s = secrets.get(ref);
      if (!s) throw new Error(`config: secret reference ${ref} does not appear in ${absolute}`);
      return s;
    },
    pathOf(relative: string): string {
      return resolve(relative);
    },
  };
}
