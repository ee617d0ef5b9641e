/**
 * A crash never prints a secret: an unhandled rejection of an error holding the request it failed
 * on (URL with access_token, Authorization header, form body) is reported as one redacted log line
 * and exit code 1, not by Node's default report, which inspects every property of the error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TS_NODE_ARGS } from '../../test/child-node.ts';

const SECRET = 'EAAB-SECRET-123';
const child = fileURLToPath(new URL('./crash.child.ts', import.meta.url));
const run = (handler: boolean) => spawnSync(process.execPath, [...TS_NODE_ARGS, child], {
  env: { ...process.env, CRASH_SECRET: SECRET, CRASH_HANDLER: handler ? '1' : '0', HUBWARDEN_LOG_LEVEL: 'info' }, encoding: 'utf8', timeout: 30_000,
});

test('an unhandled rejection of an error holding a token exits 1 with one redacted log line', () => {
  const out = run(true);
  assert.equal(out.status, 1, out.stderr);
  const text = `${out.stdout}${out.stderr}`;
  assert.ok(!text.includes(SECRET), text);
  const line = JSON.parse(out.stderr.trim().split('\n').at(-1)!) as { level: string; message: string; error: string };
  assert.equal(line.level, 'error');
  assert.match(line.message, /^crash: unhandled promise rejection/);
  assert.match(line.error, /app: list members failed/, 'the error is named');
});

test('control: Node\'s own report of the same crash prints the token (what the handler prevents)', () => {
  const out = run(false);
  assert.notEqual(out.status, 0);
  assert.ok(`${out.stdout}${out.stderr}`.includes(SECRET), 'the double does hold the secret');
});
