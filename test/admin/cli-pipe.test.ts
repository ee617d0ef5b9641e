/**
 * The CLI's output read by a pipe that closes early (`hubwarden audit --format csv | head`) or
 * written to a full disk: a write error on stdout is no crash. A reader that stopped reading
 * (EPIPE) ends the run quietly, as `head` expects of the command before it; any other write
 * error is one line on stderr and exit 1. Before, node's unhandled 'error' event printed a
 * stack trace.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BIN } from './cli-run.ts';

let server: http.Server;
let url: string;
// An export larger than a pipe's buffer (64 KiB on Linux), so the CLI is still writing when the reader goes.
const CSV = `seq,at\r\n${`1,${'x'.repeat(200)}\r\n`.repeat(5000)}`;

before(async () => {
  server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.end(CSV);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));

const args = () => [BIN, '--url', url, '--token', 'any-token', 'audit', '--format', 'csv'];
const env = { PATH: process.env.PATH, HOME: process.env.HOME, HUBWARDEN_LOG_LEVEL: 'silent' };

test('a reader that closes the pipe early: no stack trace, the run ends quietly', async () => {
  const child = spawn(process.execPath, args(), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  // Read the first chunk, then close our end as `head -c` does.
  await new Promise<void>((resolve) => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(stderr, '', 'nothing on stderr');
  assert.equal(code, 0);
});

test('another write error on stdout (a full disk): one line on stderr, exit 1', { skip: !existsSync('/dev/full') && 'no /dev/full here' }, async () => {
  const full = openSync('/dev/full', 'w');
  try {
    const child = spawn(process.execPath, args(), { env, stdio: ['ignore', full, 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c) => { stderr += c; });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(code, 1);
    assert.match(stderr, /^hubwarden: cannot write the output: ENOSPC[^\n]*\n$/);
    assert.doesNotMatch(stderr, /\s+at \S+ \(/, 'no stack trace');
  } finally {
    closeSync(full);
  }
});
