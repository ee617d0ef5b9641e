import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The test processes load the repository's TypeScript compiled once per run (test/loader/): what
 * the tests rely on must hold as it did under tsx.
 */
test('a test module keeps its own .ts URL (paths beside it resolve as in the source tree)', () => {
  assert.match(import.meta.url, /\/test\/loader\/loader\.test\.ts$/);
  assert.ok(process.env.HUBWARDEN_TEST_BUILD, 'run by test/run.mjs, which names the build');
});

test('a module imported again with a query is a fresh instance of the same file', async () => {
  const a = (await import(`./fixture-counter.ts?${'copy=a'}`)) as typeof import('./fixture-counter.ts');
  const b = (await import(`./fixture-counter.ts?${'copy=b'}`)) as typeof import('./fixture-counter.ts');
  assert.equal(a.next(), 1);
  assert.equal(a.next(), 2);
  assert.equal(b.next(), 1, 'its own module state');
});

test('a .ts file the run did not compile (outside the repository) is compiled when imported', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-loader-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'outside.ts');
  await writeFile(file, 'interface Shape { sides: number }\nexport const square: Shape = { sides: 4 };\nexport const where: string = import.meta.url;\n');
  const m = await import(pathToFileURL(file).href);
  assert.deepEqual(m.square, { sides: 4 });
  assert.equal(m.where, pathToFileURL(file).href);
});

test('a failing line is reported at its .ts line (source maps)', () => {
  const stack = new Error('marked line').stack ?? '';
  const line = Number(/loader\.test\.ts:(\d+):\d+/.exec(stack)?.[1]);
  const source = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  assert.equal(line, source.findIndex((l) => l.includes("new Error('marked line')")) + 1);
});
