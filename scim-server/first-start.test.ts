import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createDefaultTokenFiles, DEFAULT_TOKEN_FILES } from './first-start.ts';
import { TS_IMPORT } from '../test/child-node.ts';

test('the shipped config gets random 0600 token files on first start, never replaced; other configs get none', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-first-start-'));
  const cwd = process.cwd();
  process.chdir(dir); // this test file runs in its own process (node --test)
  const umask = process.umask(0); // the folder's mode must not depend on it (make-dirs.ts)
  t.after(async () => {
    process.umask(umask);
    process.chdir(cwd);
    await rm(dir, { recursive: true, force: true });
  });
  const created = await createDefaultTokenFiles('config/hubwarden.yaml');
  assert.deepEqual(created.map((p) => p.slice(dir.length)), DEFAULT_TOKEN_FILES.map((f) => f.slice(2)));
  assert.ok(DEFAULT_TOKEN_FILES.includes('../data/sandbox-scim-token') && DEFAULT_TOKEN_FILES.includes('../data/admin-token'));
  assert.ok(DEFAULT_TOKEN_FILES.length >= 3, 'one SCIM token per shipped sandbox hub, and the admin token');
  const scim = await readFile(join(dir, 'data/sandbox-scim-token'), 'utf8');
  const admin = await readFile(join(dir, 'data/admin-token'), 'utf8');
  assert.match(scim, /^[\w-]{43}\n$/);
  assert.notEqual(scim, admin);
  const tokens = await Promise.all(DEFAULT_TOKEN_FILES.map((f) => readFile(join(dir, f.slice(3)), 'utf8')));
  assert.equal(new Set(tokens).size, tokens.length, 'every token file holds its own token');
  assert.equal((await stat(join(dir, 'data/sandbox-scim-token'))).mode & 0o777, 0o600);
  assert.equal((await stat(join(dir, 'data'))).mode & 0o777, 0o700, 'data/ is the owner\'s only, even under umask 000');
  assert.deepEqual(await createDefaultTokenFiles('./config/hubwarden.yaml'), []);
  assert.equal(await readFile(join(dir, 'data/sandbox-scim-token'), 'utf8'), scim);
  assert.deepEqual(await createDefaultTokenFiles('elsewhere/hubwarden.yaml'), []);
});

test('a first start that cannot write a token file (disk full) leaves none behind: the next start creates them all', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-first-start-full-'));
  const cwd = process.cwd();
  t.after(async () => {
    process.chdir(cwd);
    await rm(dir, { recursive: true, force: true });
  });
  const module = fileURLToPath(new URL('./first-start.ts', import.meta.url));
  // Writes refused past 0 bytes (RLIMIT_FSIZE, as on a full disk) in the process that creates them.
  const script = `process.chdir(${JSON.stringify(dir)}); const { createDefaultTokenFiles } = await import(${JSON.stringify(module)}); await createDefaultTokenFiles(${JSON.stringify('config/hubwarden.yaml')}).catch(() => process.exit(3));`;
  const child = spawnSync('sh', ['-c', `ulimit -f 0; exec "${process.execPath}" --import "${TS_IMPORT}" --input-type=module -e '${script}'`], { encoding: 'utf8' });
  assert.equal(child.status, 3, `the tokens could not be written: ${child.stderr}`);
  for (const f of DEFAULT_TOKEN_FILES) await assert.rejects(stat(join(dir, f.slice(3))), { code: 'ENOENT' }, `no empty ${f}`);
  process.chdir(dir);
  assert.equal((await createDefaultTokenFiles('config/hubwarden.yaml')).length, DEFAULT_TOKEN_FILES.length);
  for (const f of DEFAULT_TOKEN_FILES) assert.match(await readFile(join(dir, f.slice(3)), 'utf8'), /^[\w-]{43}\n$/);
});
