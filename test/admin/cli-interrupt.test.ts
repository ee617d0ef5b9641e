/**
 * Ctrl-C while the CLI waits for a task (`offboard`, `check`, `claim`) on a terminal: the progress
 * bar had hidden the cursor and turned line wrapping off, and node's default exit on SIGINT left
 * the admin's terminal that way, with no word that the task goes on. Run under script(1), which
 * gives the CLI a terminal, and interrupted as a user does: ^C typed into that terminal.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BIN } from './cli-run.ts';

const hasScript = spawnSync('script', ['--version']).status === 0;
let server: http.Server;
let url: string;
let polled: () => void;
const firstPoll = new Promise<void>((resolve) => { polled = resolve; });

before(async () => {
  server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.method === 'POST') return void res.writeHead(202).end(JSON.stringify({ taskId: 'task-7' }));
    polled();
    res.end(JSON.stringify({ id: 'task-7', kind: 'offboard', status: 'running', progress: { done: 1, total: 3, phase: 'removing' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));

test('^C while waiting for a task: the cursor and line wrapping are put back, and the line says the task goes on', { skip: !hasScript && 'no script(1) here' }, async () => {
  const command = [process.execPath, BIN, '--url', url, '--token', 'any-token', 'offboard', 'jane@example.com'].map((a) => `'${a}'`).join(' ');
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, HUBWARDEN_LOG_LEVEL: 'silent', HUBWARDEN_POLL_MS: '20', TERM: 'xterm' };
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  await firstPoll;
  // Typed ^C reaches the CLI as SIGINT from the terminal's line discipline; the bar is drawn by then.
  await new Promise((r) => setTimeout(r, 300));
  child.stdin.write('\x03');
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 130);
  const hidden = out.lastIndexOf('\x1b[?25l');
  assert.ok(hidden >= 0, `the bar was drawn: ${JSON.stringify(out)}`);
  assert.ok(out.lastIndexOf('\x1b[?25h') > hidden, 'the cursor is shown again');
  assert.ok(out.lastIndexOf('\x1b[?7h') > out.lastIndexOf('\x1b[?7l'), 'line wrapping is on again');
  assert.match(out, /hubwarden: stopped waiting; task task-7 goes on in hubwarden \(hubwarden tasks\)/);
});
