import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Comments, test names and docs cite public sources (vendor documentation URLs, RFC sections) that
 * every reader of the project can open. A bare "reference" with no source named, as in the words
 * matched by UNSOURCED, points at notes the project's users do not have, so it is refused. Scanned:
 * every `.ts` file of the code and test folders, docs/*.md and every README.md under connectors/.
 */
const UNSOURCED = /\b(?:the|same) reference(?:s|'s)?\b/i;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CODE_ROOTS = ['agent', 'scim-server', 'config', 'connectors', 'bin', 'test'];
const SKIP = new Set(['node_modules', 'data', 'test-artifacts']);

function walk(dir: string, keep: (name: string) => boolean, out: string[] = []): string[] {
  let names: string[];
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, keep, out);
    else if (keep(name)) out.push(path);
  }
  return out;
}

function scanned(): string[] {
  const files = CODE_ROOTS.flatMap((r) => walk(join(root, r), (n) => n.endsWith('.ts')));
  files.push(...walk(join(root, 'docs'), (n) => n.endsWith('.md')));
  files.push(...walk(join(root, 'connectors'), (n) => n === 'README.md'));
  return files;
}

test('no comment, test name or doc cites an unnamed "reference": each names its public source', () => {
  const files = scanned();
  assert.ok(files.some((f) => f.endsWith(join('connectors', 'meta-business', 'README.md'))), 'the connector READMEs are scanned');
  const hits: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (UNSOURCED.test(line)) hits.push(`${relative(root, file)}:${i + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  assert.deepEqual(hits, []);
});
