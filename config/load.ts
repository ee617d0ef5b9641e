import { createHash } from 'node:crypto';
import { logLevelProblem } from './log-level.ts';
import { firstSchedulePath, timeZoneProblem } from './time-zone.ts';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { aliasProblem, DEEP_NESTING, duplicateKeys, isStackOverflow, MAX_ALIAS_COUNT, selfAliasProblem, yamlErrorText } from './yaml-problems.ts';
import type { z } from 'zod';
import { configSchema, eventHookSecretsOf, type ConfigFile } from './schema.ts';
import { adminTokenPath, adminTokenRef } from './admin-token-schema.ts';
import { formatPath, issueLines, recordKeysOf } from './schema-issues.ts';
import { describePostgresUrlProblem, postgresUrlProblem } from './postgres-url.ts';
import { resolveSecret, Secret, secretFileWarning, secretRef } from './secret-ref.ts';
import { characterCheckAt } from './secret-characters.ts';
import { configText, MAX_CONFIG_BYTES, prototypeKeys } from './file-text.ts';

export { formatPath } from './schema-issues.ts';

export const DEFAULT_CONFIG_PATH = 'config/hubwarden.yaml';

/** The shipped config, beside this file (config/hubwarden.yaml; copied into dist/ by the build). */
const SHIPPED_CONFIG = fileURLToPath(new URL('./hubwarden.yaml', import.meta.url));

/**
 * The shipped config's token files (`file:../data/…`) exist only once `npm start` has made them
 * (scim-server/first-start.ts): on a fresh clone `config validate` or the CLI met "cannot read
 * …/data/admin-token: ENOENT" and nothing said where the file comes from.
 */
function firstStartHint(configFile: string, problem: string): string {
  return configFile === SHIPPED_CONFIG && problem.startsWith('cannot read ') && problem.endsWith(': ENOENT')
    ? ' (the shipped config\'s token files are created by the first `npm start`)'
    : '';
}

/**
 * The problems a ConfigError's message lists. A file that goes wrong the same way throughout (a
 * generated list of 40,000 teams with one bad role, 50,000 lines a YAML error repeats on) printed
 * every line: megabytes on the terminal and in the service log, the first problem scrolled far out
 * of sight. The rest are counted; `problems` (and `config validate --json`) holds them all.
 */
export const MAX_PROBLEMS_SHOWN = 50;

/** A bad config file: one line per problem, each naming its path in the file. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => `  ${p}`);
    const more = problems.length - shown.length;
    if (more > 0) shown.push(`  … and ${more.toLocaleString('en')} more (${problems.length.toLocaleString('en')} problems in all; \`hubwarden config validate --json\` lists every one)`);
    super(`${file}: invalid config\n${shown.join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  /** Absolute path of the file read. */
  path: string;
  /** Folder the file's relative paths (store, key file, file: secrets) resolve against. */
  baseDir: string;
  file: ConfigFile;
  /** SHA-256 (hex) of the file's text as read: names the version of the file in the audit log (`config-changed`). */
  sha256: string;
  /**
   * Every distinct secret reference in the file, in file order: found once, along the schema, at
   * load (`collectSecretRefs`); the server registers their values with the log redactor.
   */
  secretRefs: readonly string[];
  /**
   * What is valid but unsafe, one line each naming its path (a `file:` secret other users may
   * read): logged at start, printed by `config validate`. Found only for secrets resolved at load.
   */
  warnings: readonly string[];
  /** The resolved value of a secret reference that appears in the file. */
  secret(ref: string): Secret;
  /** Resolve a relative path from the config (store.path, secrets.keyFile…) against the working directory. */
  pathOf(relative: string): string;
}

/**
 * Checks of a secret's value once resolved, by the key's path. The message never quotes the
 * value (a database URL usually carries a password).
 */
const RESOLVED_CHECKS: Record<string, (value: string, ref: string) => string | undefined> = {
  // A postgres:// URL, whole: a password with an unencoded / ? or # is named as that, at load,
  // rather than as a bare "Invalid URL" when the store opens.
  'store.url': (value, ref) => {
    const problem = postgresUrlProblem(value);
    return problem && describePostgresUrlProblem(ref, problem);
  },
};

/** The check of a resolved secret at `path`, if any. */
function resolvedProblem(path: string, value: string, ref: string): string | undefined {
  return characterCheckAt(path)?.(value, ref) ?? RESOLVED_CHECKS[path]?.(value, ref);
}

/**
 * Where secret references sit: the values of keys the schema declares as `secretRef`, with their
 * paths. Walked along the schema, not by the look of a string: a SCIM group displayName or a label
 * may start with "env:" or "file:" (any string is a valid displayName, RFC 7643 §4.2), and it is
 * text, not a variable to read or a file to open.
 */
export function collectSecretRefs(value: unknown, path: PropertyKey[], out: Array<{ ref: string; path: PropertyKey[] }>, schema: z.ZodType = configSchema): void {
  if (schema === secretRef) {
    if (typeof value === 'string') out.push({ ref: value, path });
    return;
  }
  const def = (schema as unknown as { _zod: { def: Record<string, any> } })._zod.def;
  switch (def.type) {
    case 'optional': case 'default': case 'nullable': case 'readonly': case 'prefault': case 'catch':
      return collectSecretRefs(value, path, out, def.innerType);
    case 'pipe':
      return collectSecretRefs(value, path, out, def.out);
    case 'array':
      if (Array.isArray(value)) value.forEach((v, i) => collectSecretRefs(v, [...path, i], out, def.element));
      return;
    case 'record':
      if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) collectSecretRefs(v, [...path, k], out, def.valueType);
      return;
    case 'object':
      if (value && typeof value === 'object') for (const [k, child] of Object.entries(def.shape as Record<string, z.ZodType>)) collectSecretRefs((value as Record<string, unknown>)[k], [...path, k], out, child);
      return;
    case 'union': {
      // The option the value is (a discriminated union by its discriminator: the hub's connector, the store's kind).
      const key = def.discriminator as string | undefined;
      const tag = key && value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
      const option = (def.options as z.ZodType[]).find((o) => (key ? (o as z.ZodObject).shape[key].safeParse(tag).success : o.safeParse(value).success));
      if (option) collectSecretRefs(value, path, out, option);
      return;
    }
    default:
  }
}

/**
 * A hub's SCIM token that is also an admin token: the IdP (and whoever reads its provisioning
 * settings) could then call the admin API, and rotating one rotates the other. So is one that is
 * also another hub's SCIM token: one hub's IdP app could push to the other. Found by reference,
 * and by value once resolved (`env:A` and `file:a` may hold the same string); the message names
 * the two paths, never the token.
 */
export function sharedTokenProblems(file: ConfigFile, resolved: ReadonlyMap<string, Secret>): string[] {
  const valueOf = (ref: string) => resolved.get(ref)?.reveal();
  const admin = file.server.adminTokens.map((entry, i) => ({ ref: adminTokenRef(entry), value: valueOf(adminTokenRef(entry)), at: adminTokenPath(entry, i) }));
  const out: string[] = [];
  // Earlier hubs' tokens, the first of each reference and of each value: looked up, not searched
  // (a search per token made 40,000 hubs take half a minute to load). A hub's tokens come after
  // every earlier hub's, so the first entry of a key is another hub's whenever any is.
  type Earlier = { hub: number; at: string; order: number };
  const firstByRef = new Map<string, Earlier>();
  const firstByValue = new Map<string, Earlier>();
  let order = 0;
  file.hubs.forEach((hub, h) => hub.scim.tokens.forEach((ref, t) => {
    const value = valueOf(ref);
    const matches = (a: { ref: string; value: string | undefined }) => a.ref === ref || (value !== undefined && a.value === value);
    const same = admin.find(matches);
    if (same) out.push(`hubs[${h}].scim.tokens[${t}]: the same token as ${same.at}; a SCIM token must differ from every admin token (the identity provider holding it could call the admin API)`);
    // Another hub's: the IdP app of one hub could then push people into the other (each hub is its own SCIM app).
    const other = [firstByRef.get(ref), value === undefined ? undefined : firstByValue.get(value)]
      .filter((e): e is Earlier => e !== undefined && e.hub !== h).sort((a, b) => a.order - b.order)[0];
    if (other) out.push(`hubs[${h}].scim.tokens[${t}]: the same token as ${other.at}; each hub needs its own SCIM token (the identity provider app of one hub could push to the other)`);
    const entry = { hub: h, at: `hubs[${h}].scim.tokens[${t}]`, order: order++ };
    if (!firstByRef.has(ref)) firstByRef.set(ref, entry);
    if (value !== undefined && !firstByValue.has(value)) firstByValue.set(value, entry);
  }));
  // Okta orgs' event hook secrets: a delivery belongs to the org whose secret it carries
  // (scim-server/hooks/okta.ts), and its events act only on that org's hubs and those naming no
  // identity provider (agent/dispatch/find-person.ts hubsOfTrigger). With one secret for two orgs
  // every delivery was taken as the first org's, and the other org's leavers kept their seats.
  // During a rotation an org holds two (config/schema.ts): each is checked as one would be.
  const hookSecrets: Array<{ org: string; ref: string; value: string | undefined; at: string }> = [];
  const scim = file.hubs.flatMap((hub, h) => hub.scim.tokens.map((ref, t) => ({ ref, value: valueOf(ref), at: `hubs[${h}].scim.tokens[${t}]` })));
  for (const [name, p] of Object.entries(file.identityProviders)) {
    if (p.kind !== 'okta') continue;
    const refs = eventHookSecretsOf(p);
    refs.forEach((ref, i) => {
      const value = valueOf(ref);
      const at = `identityProviders.${name}.eventHookSecret${typeof p.eventHookSecret === 'string' ? '' : `[${i}]`}`;
      const same = hookSecrets.find((e) => e.org !== name && (e.ref === ref || (value !== undefined && e.value === value)));
      if (same) out.push(`${at}: the same secret as ${same.at}; each Okta org needs its own event hook secret (a delivery is told apart by it, and one org's events would be taken as the other's)`);
      // A rotation's two the same: the new secret is not configured at all, and once Okta sends
      // it every delivery is refused (a 4xx Okta never retries) and its events lost.
      const twice = hookSecrets.find((e) => e.org === name && (e.ref === ref || (value !== undefined && e.value === value)));
      if (twice) out.push(`${at}: the same secret as ${twice.at}; a rotation's two event hook secrets must differ (the old one and the new one)`);
      // The secret is the whole Authorization header Okta sends: `Bearer <admin token>` is one too.
      const token = value?.replace(/^Bearer\s+/i, '');
      const matches = (a: { ref: string; value: string | undefined }) => a.ref === ref || (a.value !== undefined && (a.value === token || a.value === value));
      const admitted = admin.find(matches);
      if (admitted) out.push(`${at}: the same token as ${admitted.at}; an event hook secret must differ from every admin token (whoever sets up the event hook could call the admin API with it)`);
      // A hub's SCIM token as the secret: whoever reads the SCIM app's provisioning settings could
      // send forged deliveries (a deactivation offboards the person from every hub).
      const pushed = scim.find(matches);
      if (pushed) out.push(`${at}: the same token as ${pushed.at}; an event hook secret must differ from every SCIM token (whoever holds the SCIM token could send event hook deliveries)`);
      hookSecrets.push({ org: name, ref, value, at });
    });
  }
  return out;
}

export interface LoadOptions {
  /**
   * `load` (the server): every secret reference is resolved now, all problems reported at once.
   * `on-use` (the CLI): each is resolved when `secret(ref)` first asks for it, and a problem is a
   * ConfigError naming that key. The CLI needs only an admin token; the app credentials and the
   * database URL live in the server's environment, not necessarily in the admin's shell.
   */
  secrets?: 'load' | 'on-use';
}

/**
 * Reads, validates and resolves a config file. Throws ConfigError listing every problem at once
 * (YAML syntax, schema, unresolvable secrets) so a user fixes the file in one pass.
 */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): LoadedConfig {
  const absolute = resolve(path);
  let bytes: Buffer;
  try {
    const size = statSync(absolute).size;
    if (size > MAX_CONFIG_BYTES) throw new ConfigError(absolute, [`the file is ${size.toLocaleString('en')} bytes, more than a config file's ${MAX_CONFIG_BYTES.toLocaleString('en')}: is it the config?`]);
    bytes = readFileSync(absolute);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(absolute, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  const read = configText(bytes);
  if ('problem' in read) throw new ConfigError(absolute, [read.problem]);
  return parseConfig(read.text, absolute, env, options);
}

export function parseConfig(text: string, absolute: string, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): LoadedConfig {
  // A LineCounter gives each YAML error its line (without prettyErrors, `linePos` stays unset).
  const lines = new LineCounter();
  // The YAML 1.2 core schema whatever a %YAML directive says, and no tags beyond it: a config holds
  // strings, numbers, booleans, lists and mappings (https://yaml.org/spec/1.2.2/#103-core-schema).
  // yaml resolves an unknown tag (!foo, !!js/function) or a YAML 1.1 one (!!binary, !!timestamp)
  // as a plain value and only warns: the value would pass as the string it was not meant to be.
  // logLevel 'error': the warnings are read from doc.warnings below; yaml's own (a mapping as a
  // key, "Keys with collection values will be stringified") went to stderr as a Node process warning.
  let doc;
  try {
    // uniqueKeys: false: duplicate keys are found by duplicateKeys below (yaml's own check is quadratic).
    doc = parseDocument(text, { prettyErrors: false, lineCounter: lines, schema: 'core', resolveKnownTags: false, logLevel: 'error', uniqueKeys: false });
  } catch (err) {
    if (isStackOverflow(err)) throw new ConfigError(absolute, [DEEP_NESTING]);
    throw err;
  }
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `line ${line}, column ${col}`;
  };
  // The first error on a line only: what follows it there is the parser losing its footing (a
  // tab as indentation is then also "implicit keys need to be on a single line").
  const errorLines = new Set<number>();
  const firstOnLine = (e: { pos: [number, number] }) => {
    const { line } = lines.linePos(e.pos[0]);
    if (errorLines.has(line)) return false;
    errorLines.add(line);
    return true;
  };
  // A duplicate key is named by its path (the second one's), in file order with yaml's errors.
  const dups = duplicateKeys(doc).map(({ offset, path }) => ({ pos: [offset, offset] as [number, number], text: `${path} is given twice in the same mapping; keep one` }));
  const errors = [...doc.errors.map((e) => ({ pos: e.pos, text: yamlErrorText(e.code, e.message) })), ...dups].sort((a, b) => a.pos[0] - b.pos[0]);
  const yamlProblems = [
    ...errors.filter(firstOnLine).map((e) => `${at(e.pos[0])}: ${e.text}`),
    ...doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')
      .map((w) => `${at(w.pos[0])}: the YAML tag ${text.slice(w.pos[0], w.pos[1])} is not supported; a config takes plain values (strings, numbers, booleans, lists, mappings): remove the tag`),
  ];
  const selfAlias = yamlProblems.length > 0 ? undefined : selfAliasProblem(doc, at);
  if (selfAlias) yamlProblems.push(selfAlias);
  if (yamlProblems.length > 0) throw new ConfigError(absolute, yamlProblems);
  let raw;
  try {
    // maxAliasCount: yaml's own guard against an alias bomb ("billion laughs": anchors whose
    // aliases nest, multiplying at each level); it throws instead of expanding (https://eemeli.org/yaml/#options).
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (err) {
    throw new ConfigError(absolute, [isStackOverflow(err) ? DEEP_NESTING : aliasProblem(doc, at) ?? `(root): ${(err as Error).message}`]);
  }
  const protoKeys = prototypeKeys(raw, []);
  if (protoKeys.length > 0) throw new ConfigError(absolute, protoKeys.map((p) => `${formatPath(p)}: unknown key (__proto__ is no config key)`));
  // PORT overrides server.port of a mapping only: anything else is left for the schema to refuse
  // with the file's path (a scalar or a list is not a config).
  const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  // The environment's problems (PORT, HUBWARDEN_LOG_LEVEL) are listed with the file's, not instead
  // of them: the README promises one line per problem, so one run names everything to fix.
  const envProblems: string[] = [];
  // Onto a `server:` mapping, or none: one that is something else (a list, a string, empty) is the
  // schema's to refuse at `server`, not to be replaced by { port } and its settings dropped unsaid.
  if (isMapping(raw) && (raw.server === undefined || isMapping(raw.server)) && env.PORT !== undefined && env.PORT !== '') {
    // Checked here, not left to the schema: it would name server.port, a key the file may not
    // have, for a value that came from the environment. Decimal digits only (Number() also takes
    // 0x1F90 and 1e3); a TCP port is 16 bits (RFC 9293 §3.1).
    const port = /^\d{1,5}$/.test(env.PORT.trim()) ? Number(env.PORT.trim()) : Number.NaN;
    if (!(port <= 65535)) envProblems.push(`PORT: expected a whole number from 0 to 65535, got "${env.PORT}"`);
    else raw.server = { ...(raw.server as Record<string, unknown> | undefined), port };
  }
  // Checked with the config, as PORT is: winston logs nothing at a level it does not know, so a
  // misspelt level would silence even errors; the logger falls back to info meanwhile (agent/log).
  const levelProblem = logLevelProblem(env.HUBWARDEN_LOG_LEVEL);
  if (levelProblem) envProblems.push(levelProblem);
  const keysAt = new Map<string, readonly string[]>();
  const parsed = configSchema.safeParse(raw, { error: recordKeysOf(keysAt) });
  if (!parsed.success) throw new ConfigError(absolute, [...envProblems, ...issueLines(parsed.error.issues, raw, keysAt)]);

  const baseDir = dirname(absolute);
  const secrets = new Map<string, Secret>();
  const problems: string[] = [...envProblems];
  // The server's TZ (and `config validate`'s, run where the server runs): a CLI command elsewhere
  // (`on-use`) runs no schedule, and its shell's TZ is not the server's.
  const zoneProblem = options.secrets === 'on-use' ? undefined : timeZoneProblem(env.TZ, firstSchedulePath(parsed.data.hubs));
  if (zoneProblem) problems.push(zoneProblem);
  const refs: Array<{ ref: string; path: PropertyKey[] }> = [];
  collectSecretRefs(parsed.data, [], refs);
  const firstAt = new Map<string, PropertyKey[]>();
  for (const { ref, path: at } of refs) if (!firstAt.has(ref)) firstAt.set(ref, at);
  const resolveAt = (ref: string, at: PropertyKey[]): Secret | string => {
    const resolved = resolveSecret(ref, baseDir, env);
    if (typeof resolved === 'string') return `${formatPath(at)}: ${resolved}${firstStartHint(absolute, resolved)}`;
    const problem = resolvedProblem(formatPath(at), resolved.reveal(), ref);
    if (problem) return `${formatPath(at)}: ${problem}`;
    secrets.set(ref, resolved);
    return resolved;
  };
  const warnings: string[] = [];
  if (options.secrets !== 'on-use') {
    for (const [ref, at] of firstAt) {
      const resolved = resolveAt(ref, at);
      if (typeof resolved === 'string') problems.push(resolved);
      const warning = typeof resolved === 'string' ? undefined : secretFileWarning(ref, baseDir);
      if (warning) warnings.push(`${formatPath(at)}: ${warning}`);
    }
  }
  problems.push(...sharedTokenProblems(parsed.data, secrets));
  if (problems.length > 0) throw new ConfigError(absolute, problems);

  return {
    path: absolute,
    baseDir,
    file: parsed.data,
    sha256: createHash('sha256').update(text).digest('hex'),
    secretRefs: [...firstAt.keys()],
    warnings,
    secret(ref: string): Secret {
      const s = secrets.get(ref);
      if (s) return s;
      const at = firstAt.get(ref);
      if (!at) throw new Error(`config: secret reference ${ref} does not appear in ${absolute}`);
      const resolved = resolveAt(ref, at); // only with `secrets: 'on-use'`: otherwise all are resolved
      if (typeof resolved === 'string') throw new ConfigError(absolute, [resolved]);
      return resolved;
    },
    pathOf(relative: string): string {
      return resolve(relative);
    },
  };
}
