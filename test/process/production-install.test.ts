import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, killIfAlive, sandboxConfig, startProcess, waitUntilStopped } from './server-process.ts';

/**
 * The production install README's "Run in production" and the Dockerfile describe, in a temp
 * folder: the build's dist/, package.json and package-lock.json, `npm ci --omit=dev` (offline,
 * from npm's cache, which `npm ci` in this clone filled), then `node dist/scim-server/main.js`.
 * No sources, no tsx, no TypeScript: if the server needed a dev dependency at run time, or a file
 * the build did not copy, it would not answer /readyz here.
 */
function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${output}`))));
  });
}

test('production install: build, npm ci --omit=dev, node dist/scim-server/main.js answers /readyz and stops on SIGTERM within 10 s', async (t) => {
  const app = await mkdtemp(join(tmpdir(), 'hubwarden-production-'));
  t.after(() => rm(app, { recursive: true, force: true }));
  const started = Date.now();
  await run(process.execPath, [join(REPO_ROOT, 'scripts/build.mjs'), '--out', join(app, 'dist')], REPO_ROOT);
  const builtAt = Date.now();
  // Test helpers that live beside the product code (test doubles, fixtures, test set-up) are not
  // shipped: tsconfig.build.json excludes them, and no product module imports them.
  const shipped = (await readdir(join(app, 'dist'), { recursive: true })).map(String);
  const helpers = shipped.filter((f) => /(\.test|\.test-double|-fixtures|(^|\/)test-(?!setup\.js$)[^/]*|graph-test-client)\.js$/.test(f));
  assert.deepEqual(helpers, [], 'test helpers compiled into dist/');
  assert.ok(shipped.some((f) => f.endsWith('contract-fixture.js')), 'the connectors\' contract fixtures (loaded by their definitions) are shipped');
  for (const file of ['package.json', 'package-lock.json']) await copyFile(join(REPO_ROOT, file), join(app, file));
  await run('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
  const installedAt = Date.now();

  // Runtime dependencies are exactly package.json's "dependencies": no dev tool slipped in (type
  // packages aside: some dependencies ship their own @types), and tsx and TypeScript are not there.
  const pkg = JSON.parse(await readFile(join(app, 'package.json'), 'utf8'));
  const devTools = Object.keys(pkg.devDependencies).filter((name) => !name.startsWith('@types/'));
  assert.ok(devTools.includes('tsx') && devTools.includes('typescript'));
  for (const dev of devTools) assert.ok(!existsSync(join(app, 'node_modules', dev)), `${dev} is installed in production`);
  for (const dep of Object.keys(pkg.dependencies)) assert.ok(existsSync(join(app, 'node_modules', dep)), `${dep} is missing`);

  await writeFile(join(app, 'hubwarden.yaml'), sandboxConfig({ store: 'data/hubwarden.json', keyFile: 'data/hubwarden.key', admin: true }));
  const env = { PORT: '0', TEST_SCIM_TOKEN: 'scim-token', TEST_ADMIN_TOKEN: 'admin-token' };
  const server = startProcess(process.execPath, ['dist/scim-server/main.js', '--config', 'hubwarden.yaml'], { cwd: app, env });
  t.after(() => killIfAlive(server.pid));
  const url = await server.listening;
  const ready = await fetch(`${url}/readyz`);
  assert.equal(ready.status, 200, await ready.clone().text());
  assert.deepEqual(await ready.json(), { status: 'ready', checks: { store: 'ok', agent: 'running' } });
  // the files the build copies beside the code: the dashboard's assets and the sandbox business
  assert.equal((await fetch(`${url}/ui/static/dashboard.css`)).status, 200);
  const business = await fetch(`${url}/sandbox/graph/v25.0/1000000000000001?fields=id&access_token=sandbox-system-user-token`);
  assert.deepEqual(await business.json(), { id: '1000000000000001' });
  const hubs = await fetch(`${url}/api/v1/hubs`, { headers: { authorization: 'Bearer admin-token' } });
  assert.equal(hubs.status, 200);
  // the CLI runs from the build too
  assert.match(await run(process.execPath, ['dist/agent/cli/main.js', 'config', 'validate', '--config', 'hubwarden.yaml'], app, env).catch((e: Error) => e.message), /^OK /);

  server.kill('SIGTERM');
  const ms = await waitUntilStopped({ url, lockPath: join(app, 'data/hubwarden.json.lock'), pid: server.pid });
  assert.deepEqual(await server.exited, { code: 0, signal: null });
  t.diagnostic(`build ${builtAt - started} ms, npm ci --omit=dev ${installedAt - builtAt} ms, start to /readyz and stop ${Date.now() - installedAt} ms (SIGTERM to stopped: ${ms} ms)`);
});
