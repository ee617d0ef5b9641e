import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs, makeDirsSync } from './make-dirs.ts';

/**
 * Folders whose mkdir answers ENOENT though the parent exists (a dangling symlink; any path under
 * /proc) made Node's recursive mkdir loop forever: these calls would never return, and the test
 * file would time out instead of failing.
 */
test('makeDirs and makeDirsSync create missing parents, accept an existing folder, and end with the error where Node\'s recursive mkdir loops', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-make-dirs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  makeDirsSync(join(dir, 'a/b/c'));
  await makeDirs(join(dir, 'x/y/z'));
  makeDirsSync(join(dir, 'a/b/c'));
  await makeDirs(join(dir, 'x/y'));
  assert.ok(statSync(join(dir, 'a/b/c')).isDirectory() && statSync(join(dir, 'x/y/z')).isDirectory());

  await symlink(join(dir, 'gone'), join(dir, 'dangling'));
  assert.throws(() => makeDirsSync(join(dir, 'dangling/out')), { code: 'ENOENT' });
  await assert.rejects(makeDirs(join(dir, 'dangling/out/more')), { code: 'ENOENT' });
  if (existsSync('/proc/self')) {
    assert.throws(() => makeDirsSync('/proc/nope/audit'), { code: 'ENOENT', path: '/proc/nope' });
    await assert.rejects(makeDirs('/proc/nope'), { code: 'ENOENT' });
  }

  await writeFile(join(dir, 'file'), '');
  assert.throws(() => makeDirsSync(join(dir, 'file')), { code: 'ENOTDIR' });
  await assert.rejects(makeDirs(join(dir, 'file/sub')), { code: 'ENOTDIR' });
});

test('folders it creates are 0700 whatever the umask (they hold tokens, the key and the store); a folder already there keeps its mode', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-make-dirs-mode-'));
  const before = process.umask(0); // `umask 000`: left to it, mkdir made data/ world-writable (0777)
  t.after(async () => {
    process.umask(before);
    await rm(dir, { recursive: true, force: true });
  });
  makeDirsSync(join(dir, 'data/archive'));
  await makeDirs(join(dir, 'logs/hubwarden'));
  for (const made of ['data', 'data/archive', 'logs', 'logs/hubwarden']) {
    assert.equal(statSync(join(dir, made)).mode & 0o777, 0o700, made);
  }
  await mkdir(join(dir, 'shared'), { mode: 0o755 });
  makeDirsSync(join(dir, 'shared/inner'));
  assert.equal(statSync(join(dir, 'shared')).mode & 0o777, 0o755, 'an existing folder is not changed');
  assert.equal(statSync(join(dir, 'shared/inner')).mode & 0o777, 0o700);
});
