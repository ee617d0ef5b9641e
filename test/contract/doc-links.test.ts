import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The docs cite code by path: a relative Markdown link, its `#heading` in another doc, and a
 * backticked repository path (`agent/…`, `scim-server/…`). A file moved or renamed leaves such a
 * citation pointing at nothing, and a newcomer following it finds no code. Checked here: every
 * README.md (the root and each connector's) and docs/*.md. Fenced code blocks are skipped (shell
 * examples), and so are paths with a placeholder (`connectors/<app>/`, `test/bench/NAME.ts`).
 * A backticked path may also be a test-run substring (`node test/run.mjs test/browser/hostile-values`).
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PATH_ROOTS = /^(?:agent|scim-server|connectors|config|test|scripts|deploy|bin|docs)\//;
const PLACEHOLDER = /[<>*{}…]|\/[A-Z_]+(?:\.|\/|$)|\bNAME\b/;

/** GitHub's heading anchor: lower-cased, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of outsideFences(text)) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line.text);
    if (!heading) continue;
    const slug = heading[1].trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

function outsideFences(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let fenced = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced) out.push({ text: line, line: i + 1 });
  });
  return out;
}

/** What `text` (the doc at `docPath`, relative to `repo`) cites that is not there, one line each. */
export function staleCitations(repo: string, docPath: string, text: string): string[] {
  const stale: string[] = [];
  const docDir = dirname(join(repo, docPath));
  for (const { text: line, line: n } of outsideFences(text)) {
    for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split('#');
      const file = path === '' ? join(repo, docPath) : resolve(docDir, path);
      if (!existsSync(file)) stale.push(`${docPath}:${n}: link ${target}: no such file`);
      else if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(readFileSync(file, 'utf8')).has(anchor)) {
        stale.push(`${docPath}:${n}: link ${target}: no such heading`);
      }
    }
    for (const [, quoted] of line.matchAll(/`([^`\s]+)`/g)) {
      const path = quoted.replace(/[:,.;]+$/, '').replace(/[#(:].*$/, '');
      if (!PATH_ROOTS.test(path) || PLACEHOLDER.test(path)) continue;
      const found = [path, `${path}.ts`, `${path}.test.ts`].some((p) => existsSync(join(repo, p)));
      if (!found) stale.push(`${docPath}:${n}: path \`${quoted}\`: not in the repository`);
    }
  }
  return stale;
}

function docs(): string[] {
  const connectorReadmes = readdirSync(join(root, 'connectors'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, 'connectors', d.name, 'README.md')))
    .map((d) => join('connectors', d.name, 'README.md'));
  const docFiles = readdirSync(join(root, 'docs')).filter((n) => n.endsWith('.md')).map((n) => join('docs', n));
  return ['README.md', ...docFiles, ...connectorReadmes];
}

test('every link and backticked path in the docs and READMEs points at something in the repository', () => {
  const files = docs();
  assert.ok(files.includes(join('docs', 'architecture.md')) && files.includes(join('connectors', 'meta-business', 'README.md')), 'the docs are found');
  const stale = files.flatMap((f) => staleCitations(root, relative(root, join(root, f)), readFileSync(join(root, f), 'utf8')));
  assert.deepEqual(stale, []);
});

test('the check names a missing file, a missing heading and a missing path, and passes what exists', () => {
  const text = [
    'See [the plan](../agent/plan/plan.ts), [gone](../agent/plan/gone.ts) and [retries](architecture.md#retry-table).',
    'A [missing heading](architecture.md#no-such-heading); the store is `agent/store/`, the old one `agent/old-store.ts:12`.',
    'Run `node test/run.mjs test/browser/hostile-values`: `test/browser/hostile-values`, per app `connectors/<app>/`.',
    '```sh',
    'cat agent/not-checked-in-a-fence.ts # [x](nowhere.md)',
    '```',
  ].join('\n');
  assert.deepEqual(staleCitations(root, join('docs', 'example.md'), text), [
    'docs/example.md:1: link ../agent/plan/gone.ts: no such file',
    'docs/example.md:2: link architecture.md#no-such-heading: no such heading',
    'docs/example.md:2: path `agent/old-store.ts:12`: not in the repository',
  ]);
});
