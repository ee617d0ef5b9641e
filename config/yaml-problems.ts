import { isAlias, isCollection, isPair, isScalar, isSeq, visit, type Document, type Node } from 'yaml';
import { formatPath } from './schema-issues.ts';

/* YAML's own problems (a second document, a duplicate key, an alias bomb) in a config's words, at their line or path. */

/**
 * yaml's own words for a second document name its API (parseAllDocuments); a config is one
 * document, and "---" starts another (https://yaml.org/spec/1.2.2/#91-documents).
 */
const ONE_DOCUMENT = 'a second YAML document starts here ("---"); a config file is one document: remove the "---" line (and move what follows into the first document if it belongs to the config)';

/**
 * Lists or mappings nested thousands deep (`- - - - …`, `[[[[…`): yaml's parser recurses once per
 * level and ran out of stack. Thrown, the RangeError reached the server's crash handler as a stack
 * trace (`npm start` printed no config line); caught by yaml, it was named as "Maximum call stack
 * size exceeded", which says nothing about the file.
 */
export const DEEP_NESTING = 'lists or mappings nest far too deeply (hundreds of levels or more; a config nests fewer than ten) for the YAML parser to follow: is it the config?';

/** A RangeError (or its message) from running out of stack. */
export function isStackOverflow(err: unknown): boolean {
  const message = err instanceof RangeError ? err.message : typeof err === 'string' ? err : '';
  return /^Maximum call stack size exceeded/.test(message);
}

/**
 * A YAML error in a config's words where the library's would puzzle: an unquoted `*` (a cron
 * schedule `* * * * *`) starts an alias (https://yaml.org/spec/1.2.2/#71-alias-nodes), which yaml
 * calls "Alias cannot be an empty string".
 */
export function yamlErrorText(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return ONE_DOCUMENT;
  if (isStackOverflow(message)) return DEEP_NESTING;
  if (code === 'BAD_ALIAS') return `${message.split('\n')[0]}: a value starting with * is read as a YAML alias; quote it (a cron schedule: "* * * * *")`;
  return message.split('\n')[0]!;
}

/** The path of the last node of `chain` (a visit's ancestors, then the node): `hubs[0].safety`. */
function pathOf(chain: readonly unknown[]): PropertyKey[] {
  const path: PropertyKey[] = [];
  chain.forEach((node, i) => {
    if (isPair(node)) path.push(String((node.key as { value?: unknown } | null)?.value ?? ''));
    else if (isSeq(node)) path.push(node.items.indexOf(chain[i + 1] as never));
  });
  return path;
}

/**
 * Every key given twice in one mapping (YAML 1.2: "The content of a mapping node is an unordered
 * set of key/value node pairs, with the restriction that each of the keys is unique",
 * https://yaml.org/spec/1.2.2/#3211-nodes), as the offset of the second and its path
 * (`hubs[0].safety`). Found here, one pass with a set per mapping, because yaml's own check
 * (`uniqueKeys`) compares each key with every earlier one: a mapping of 40,000 keys (a file well
 * under MAX_CONFIG_BYTES) took half a minute to be refused, 100,000 a minute and a half, the
 * server starting nothing meanwhile. Scalar keys are compared by value, as yaml compares them.
 */
export function duplicateKeys(doc: Document): Array<{ offset: number; path: string }> {
  const out: Array<{ offset: number; path: string }> = [];
  visit(doc, {
    Map(_, map, ancestors) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const value = pair.key.value;
        if (!seen.has(value)) seen.add(value);
        else out.push({ offset: pair.key.range?.[0] ?? 0, path: formatPath(pathOf([...ancestors, map, pair])) });
      }
    },
  });
  return out;
}

/**
 * An alias inside the node its anchor names (`a: &a [*a]`): yaml builds a value that holds
 * itself, and walking it (the config's checks) ran out of stack, a RangeError that reached the
 * crash handler instead of a line naming the file. Every cycle has one such alias: an alias can
 * name only an anchor before it (https://yaml.org/spec/1.2.2/#71-alias-nodes).
 */
export function selfAliasProblem(doc: Document, at: (offset: number) => string): string | undefined {
  let found: string | undefined;
  visit(doc, {
    Alias(_, node, ancestors) {
      const target = node.resolve(doc);
      if (!target || !ancestors.includes(target)) return undefined;
      found = `${at(node.range?.[0] ?? 0)}: the alias *${node.source} is inside its own anchor &${node.source} (a value that holds itself, without end): write the values out`;
      return visit.BREAK;
    },
  });
  return found;
}

/** yaml's default: plenty for a config that reuses a block or two with anchors. */
export const MAX_ALIAS_COUNT = 100;

/**
 * Why aliases failed to expand, as a line: an alias without its anchor, else the alias that
 * expands the most (the first such in the file), the one that tripped yaml's alias limit. Each
 * node is counted once (memoized), so measuring a bomb costs no more than reading it.
 */
export function aliasProblem(doc: Document, at: (offset: number) => string): string | undefined {
  const sizes = new Map<unknown, number>();
  const sizeOf = (node: unknown): number => {
    if (!node || typeof node !== 'object') return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    sizes.set(node, Infinity); // met again while counting it: an alias inside its own anchor
    let n = 1;
    if (isAlias(node)) n = sizeOf(node.resolve(doc));
    else if (isPair(node)) n = sizeOf(node.key) + sizeOf(node.value);
    else if (isCollection(node)) for (const item of node.items as unknown[]) n += sizeOf(item);
    sizes.set(node, n);
    return n;
  };
  let worst: { node: Node; size: number } | undefined;
  let unresolved: Node | undefined;
  visit(doc, {
    Alias(_, node) {
      if (!node.resolve(doc)) {
        unresolved ??= node;
        return;
      }
      const size = sizeOf(node);
      if (!worst || size > worst.size) worst = { node, size };
    },
  });
  const name = (node: Node) => (node as { source?: string }).source;
  if (unresolved) return `${at(unresolved.range?.[0] ?? 0)}: the alias *${name(unresolved)} has no anchor &${name(unresolved)} before it`;
  if (!worst) return undefined;
  const { node, size } = worst;
  const many = Number.isFinite(size) ? `about ${size.toLocaleString('en')} values` : 'without end';
  return `${at(node.range?.[0] ?? 0)}: the alias *${name(node)} expands to ${many} (aliases nested in anchors multiply: a YAML alias bomb), more than the ${MAX_ALIAS_COUNT} alias expansions a config is allowed: write the values out`;
}
