import type { z } from 'zod';
import { connectors } from '../connectors/registry.ts';

/*
 * The config schema's complaints (zod issues), turned into one line each that names the path in
 * the file: `hubs[0].teams[1].appRole: …`, an unknown key with the key it was likely meant to be,
 * and plainer words where zod's are vague.
 */

/** `hubs[1].teams[0].appRole` from zod's path array. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${keyShown(key)}` : keyShown(key);
  }
  return out || '(root)';
}

/**
 * A key as a path names it, cut at its first ":". No config key holds one, and a key that does is
 * most likely a value written without a space after the colon: in a flow mapping YAML reads
 * `{ kind: postgres, url:postgres://u:pw@db/x }` as one key, `url:postgres://…`, with no value
 * (https://yaml.org/spec/1.2.2/#74-flow-collection-styles). Named whole, the unknown key put the
 * database password, or a token pasted in place of its reference, on stderr and in the log.
 */
function keyShown(key: PropertyKey): string {
  const text = String(key);
  const colon = text.indexOf(':');
  return colon < 0 ? text : `${text.slice(0, colon)}:…`;
}

/** An unknown key holding ":" (keyShown): what YAML made of it, never what follows the colon. */
const COLON_KEY = 'unknown key: YAML reads "name:value" with no space after the colon as one key (what follows the colon is not shown): write "name: value"';

export function issueLines(issues: z.core.$ZodIssue[], raw: unknown, keysAt: ReadonlyMap<string, readonly string[]>): string[] {
  return issues.flatMap((issue) => issue.code === 'unrecognized_keys'
    ? issue.keys.map((key) => `${formatPath([...issue.path, key])}: ${key === '<<' ? MERGE_KEY : key.includes(':') ? COLON_KEY : blockHint(issue, key, raw) || unknownKey(key, keysAt.get(formatPath(issue.path)) ?? [])}`)
    : [`${formatPath(issue.path)}: ${keyMessage(issue) ?? booleanWord(issue, raw) ?? issue.message}`]);
}

/**
 * `<<` merges a mapping in YAML 1.1 only (https://yaml.org/type/merge.html); a config is read as
 * YAML 1.2, where it is a key like any other, so "unknown key (the keys here: …)" left the user
 * looking for a typo.
 */
const MERGE_KEY = 'a YAML merge key (<<) is not supported (a config is YAML 1.2, which has none): write the keys out';

/**
 * yes/no/on/off where true or false is expected: YAML 1.1 read them as booleans, YAML 1.2 (which
 * a config is read as, https://yaml.org/spec/1.2.2/#1032-tag-resolution) as text, so
 * "expected boolean, received string" named no way out.
 */
function booleanWord(issue: z.core.$ZodIssue, raw: unknown): string | undefined {
  if (issue.code !== 'invalid_type' || issue.expected !== 'boolean') return undefined;
  let value: unknown = raw;
  for (const key of issue.path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  if (typeof value !== 'string' || !/^(?:y|yes|n|no|on|off)$/i.test(value)) return undefined;
  return `expected true or false, got "${value}" (text in YAML 1.2, not a boolean): write true or false`;
}

/**
 * The keys an object the file holds unknown keys in does take, by the object's path: taken from
 * the schema that raised the issue (zod hands it to the parse's error function as `inst`).
 */
export function recordKeysOf(keysAt: Map<string, readonly string[]>) {
  return (issue: z.core.$ZodRawIssue): undefined => {
    const shape = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
    if (issue.code === 'unrecognized_keys' && shape) keysAt.set(formatPath(issue.path ?? []), Object.keys(shape));
    return undefined; // zod's own message otherwise
  };
}

/**
 * An unknown key is named at its own path (`hubs[0].checkforUpdates`), with the key it was most
 * likely meant to be: the same but for case (`approle`), or one or two letters off (`team`).
 * Without a likely one, the keys taken there are listed.
 */
function unknownKey(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const close = known.find((k) => k.toLowerCase() === lower)
    ?? known.map((k) => ({ k, d: editDistance(lower, k.toLowerCase()) })).filter(({ k, d }) => d <= Math.min(2, Math.floor(k.length / 3))).sort((a, b) => a.d - b.d)[0]?.k;
  if (close) return `unknown key (did you mean ${close}?)`;
  return known.length > 0 ? `unknown key (the keys here: ${known.join(', ')})` : 'unknown key';
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * zod's words where they are vague: a required key left out is "missing", not "received
 * undefined"; a map key the schema refuses (`identityProviders.Corp_IdP`) says what a key must
 * be, not a bare "Invalid key in record".
 */
function keyMessage(issue: z.core.$ZodIssue): string | undefined {
  // A key the file leaves out reaches the schema as undefined (an empty YAML value is null).
  const absent = issue.code === 'invalid_type' && /^Invalid input: expected (.+), received undefined$/.exec(issue.message);
  if (absent) return `missing: expected ${absent[1]}`;
  // An id written without quotes (`businessId: 1000000000000001`): YAML reads digits as a number,
  // past 2^53 no longer the same one (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
  if (issue.code === 'invalid_type' && issue.expected === 'string' && / received number$/.test(issue.message)) return `${issue.message}: put the value in quotes (YAML reads unquoted digits as a number)`;
  if (issue.code !== 'invalid_key' || issue.issues.length === 0) return undefined;
  return `not a valid key here: ${issue.issues.map((i) => i.message).join('; ')}`;
}

/**
 * A hub holding another connector's block (`meta:` in a tiktok-business hub): the unknown key is
 * named with the connector it belongs to and the block this hub's connector reads instead ('' for
 * any other unknown key).
 */
function blockHint(issue: z.core.$ZodIssue, key: string, raw: unknown): string {
  const [top, index, ...rest] = issue.path;
  if (top !== 'hubs' || typeof index !== 'number' || rest.length > 0) return '';
  const hub = (raw as { hubs?: unknown }).hubs;
  const connector = Array.isArray(hub) ? (hub[index] as { connector?: unknown } | null)?.connector : undefined;
  const own = connectors.find((c) => c.id === connector);
  const other = connectors.find((c) => c !== own && c.hub.key === key);
  if (!own || !other) return '';
  return `unknown key (${other.hub.key}: is the block of a connector: ${other.id} hub; this hub is connector: ${own.id}, whose block is ${own.hub.key}:)`;
}
