import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * docs/architecture.md ("Dependency direction") gives the greps a reader can run to check the
 * folder rules and says they all print nothing. Run here as written, so the claim stays true: a
 * test helper such as connectors/tiktok-business/test-setup.ts (it loads a hub's config) is a test
 * file to the import-boundary test, and the doc's greps must skip it as that test does.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function boundaryGreps(): string {
  const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  const section = doc.split('\n## Dependency direction\n')[1]?.split('\n## ')[0] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'the Dependency direction section has its sh block');
  assert.equal(block.split('\n').filter((l) => l.startsWith('grep ')).length, 4, 'four greps');
  return block;
}

function run(script: string, cwd: string): string {
  // grep exits 1 when it finds nothing: that is the expected answer here, not a failure.
  return execFileSync('bash', ['-c', `${script}\ntrue`], { cwd, encoding: 'utf8' });
}

test("the architecture doc's boundary greps print nothing on this repository", () => {
  assert.equal(run(boundaryGreps(), root), '');
});

test('the greps can fail: a product file importing config is named, a test helper is not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'arch-greps-'));
  try {
    for (const d of ['connectors/some-app', 'connectors/sdk', 'agent', 'config']) mkdirSync(join(dir, d), { recursive: true });
    const importsConfig = "import { parseConfig } from '../../config/load.ts';\n";
    writeFileSync(join(dir, 'connectors/some-app/helper.ts'), importsConfig);
    for (const name of ['test-setup.ts', 'x.test.ts', 'x.test-double.ts', 'x-fixtures.ts', 'x.crash-child.ts']) {
      writeFileSync(join(dir, 'connectors/some-app', name), importsConfig);
    }
    const out = run(boundaryGreps(), dir);
    assert.match(out, /connectors\/some-app\/helper\.ts:1:/);
    assert.equal(out.trim().split('\n').length, 1, out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
