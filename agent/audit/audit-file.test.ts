import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditFileAppender } from './audit-file.ts';

const quiet = { error() {}, warn() {}, info() {} };

test('audit.file is created readable by its owner only (0600), as the store files are: its lines name people', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-audit-file-'));
  try {
    const path = join(dir, 'audit.log');
    const appender = new AuditFileAppender(path, { log: quiet });
    appender.append([{ seq: 1, line: '{"seq":1,"subject":{"email":"jane@example.com"}}\n' }]);
    await appender.stop();
    assert.match(await readFile(path, 'utf8'), /jane@example\.com/);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
