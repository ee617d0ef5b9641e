/**
 * `hubwarden sandbox reset` with a PostgreSQL store: no lock file shows whether a server holds the
 * sandbox business in memory (it writes it back over a removed file at its next change), so the
 * reset happens in the running server, or is refused; the saved file is never removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertOneLineError, BIN, type Run } from './cli-run.ts';

const TOKEN = 'admin-token-for-sandbox-tests';
const CONFIG = `
server: { adminTokens: [env:ADMIN_TOKEN] }
store: { kind: postgres, url: env:DATABASE_URL }
hubs:
  - id: sandbox
    connector: meta-business
    meta: { businessId: "1000000000000001", graphBaseUrl: sandbox }
`;

/** The CLI run in `cwd` (a database store keeps the sandbox's file in `data/` under it). */
function cliIn(cwd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, HUBWARDEN_LOG_LEVEL: 'silent', ADMIN_TOKEN: TOKEN, DATABASE_URL: 'postgres://hubwarden@127.0.0.1:1/none' },
      timeout: 60_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

async function setUp(t: { after(fn: () => unknown): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-cli-sandbox-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'hubwarden.yaml'), CONFIG);
  await mkdir(join(dir, 'data'));
  const world = join(dir, 'data/sandbox-meta-business.json');
  await writeFile(world, '{"saved":"by the running server"}');
  return { dir, world, config: join(dir, 'hubwarden.yaml') };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

test('sandbox reset with a PostgreSQL store and no server answering: refused in one line, the saved business kept', async (t) => {
  const { dir, world, config } = await setUp(t);
  const closed = createServer();
  const url = await listen(closed); // a port nobody listens on once closed
  await new Promise((r) => closed.close(r));
  const run = await cliIn(dir, ['sandbox', 'reset', '--config', config, '--url', url]);
  assertOneLineError(run, 1, /with a database store only a running hubwarden can reset its sandbox .*cannot reach hubwarden at .*removing .*sandbox-meta-business\.json resets it at the next start/);
  assert.equal(run.stdout, '', 'no success reported');
  assert.ok(existsSync(world), 'the saved business is not removed: a running server would write its copy back over it');
});

test('sandbox reset with a PostgreSQL store resets in the running server and starts a check', async (t) => {
  const { dir, world, config } = await setUp(t);
  const calls: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    calls.push(`${req.method} ${req.url} ${req.headers.authorization === `Bearer ${TOKEN}` ? 'admin' : 'anonymous'}`);
    res.setHeader('content-type', 'application/json');
    if (req.url === '/sandbox/graph/__emulator/reset') return res.end('{"reset":true}');
    if (req.url === '/api/v1/hubs/sandbox/check-for-updates') return res.writeHead(202).end('{"taskId":"t-7"}');
    res.writeHead(404).end('{"detail":"not found"}');
  });
  const url = await listen(server);
  t.after(() => new Promise((r) => server.close(r)));
  const run = await cliIn(dir, ['sandbox', 'reset', '--config', config, '--url', url]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /sandbox reset: the business is back as its fixture has it; check for updates started \(sandbox: task t-7\)/);
  assert.deepEqual(calls, ['POST /sandbox/graph/__emulator/reset admin', 'POST /api/v1/hubs/sandbox/check-for-updates admin']);
  assert.ok(existsSync(world), 'the running server owns the saved business');
});
