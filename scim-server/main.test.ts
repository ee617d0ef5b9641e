import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from '../test/process/server-process.ts';
import { TS_NODE_ARGS } from '../test/child-node.ts';

/** What `npm start` runs (package.json "start"), with its output collected. */
const start = (args: string[], env: Record<string, string>) =>
  startProcess(process.execPath, [...TS_NODE_ARGS, 'scim-server/main.ts', ...args], { env });

async function tempConfig(t: { after: (fn: () => Promise<void>) => void }, yaml: (dir: string) => string) {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-main-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'hubwarden.yaml');
  await writeFile(path, yaml(dir));
  return { dir, path };
}

const validConfig = (dir: string, auditFile = join(dir, 'audit.log')) => `
server: { port: 8080, publicUrl: "https://hubwarden.example.com" }
store: { kind: lowdb, path: ${join(dir, 'store.json')} }
secrets: { keyFile: ${join(dir, 'hubwarden.key')} }
audit: { file: ${auditFile} }
hubs:
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1000000000000001", graphBaseUrl: sandbox }
    scim: { tokens: [env:TEST_SCIM_TOKEN] }
`;

test('starts on PORT=0 with --config, prints the bound URL and SCIM base URL (not the token), serves /healthz, stops on SIGTERM', async (t) => {
  const { path, dir } = await tempConfig(t, validConfig);
  const run = start(['--config', path], { PORT: '0', TEST_SCIM_TOKEN: 'tok-not-to-be-printed' });
  t.after(() => run.kill('SIGKILL'));
  const url = await run.listening;
  const res = await fetch(`${url}/healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
  assert.equal((await fetch(`${url}/readyz`)).status, 200);
  // a sandbox hub mounts the built-in Meta emulator, seeded with the sandbox fixture's business
  const business = await fetch(`${url}/sandbox/graph/v25.0/1000000000000001?fields=id&access_token=sandbox-system-user-token`);
  assert.deepEqual(await business.json(), { id: '1000000000000001' });
  const scim = await fetch(`${url}/scim/v2/hubs/meta-main/Users`, { headers: { authorization: 'Bearer tok-not-to-be-printed' } });
  assert.equal(scim.status, 200);
  const { stdout } = run.output();
  assert.match(stdout, /SCIM base URL https:\/\/hubwarden\.example\.com\/scim\/v2\/hubs\/meta-main/);
  assert.match(stdout, /SCIM token: environment variable TEST_SCIM_TOKEN/);
  assert.ok(!stdout.includes('tok-not-to-be-printed'));
  run.kill('SIGTERM');
  assert.equal((await run.exited).code, 0);
  JSON.parse(await readFile(join(dir, 'store.json'), 'utf8')); // closed cleanly
});

test('HUBWARDEN_CONFIG selects the config when --config is absent', async (t) => {
  const { path } = await tempConfig(t, validConfig);
  const run = start([], { PORT: '0', TEST_SCIM_TOKEN: 'x', HUBWARDEN_CONFIG: path });
  t.after(() => run.kill('SIGKILL'));
  await run.listening;
  assert.ok(run.output().stdout.includes(path));
  run.kill('SIGTERM');
  assert.equal((await run.exited).code, 0);
});

test('a bad config exits 1 with one line per problem naming its path', async (t) => {
  const { path } = await tempConfig(t, (dir) => validConfig(dir).replace('id: meta-main', 'id: Meta_Main').replace('businessId: "1000000000000001"', 'businessId: "abc"'));
  const run = start(['--config', path], { PORT: '0', TEST_SCIM_TOKEN: 'x' });
  assert.equal((await run.exited).code, 1);
  const { stderr } = run.output();
  assert.ok(stderr.includes(path), stderr);
  assert.match(stderr, /^ {2}hubs\[0\]\.id: expected lower-case letters/m);
  assert.match(stderr, /^ {2}hubs\[0\]\.meta\.businessId: expected a numeric Meta business id/m);
});

test('an unreadable store file exits 1 with a line naming it and is left untouched', async (t) => {
  const { path, dir } = await tempConfig(t, validConfig);
  const storePath = join(dir, 'store.json');
  await writeFile(storePath, '{"format":"hubwarden-store/1","seq":0,"collections":{');
  const run = start(['--config', path], { PORT: '0', TEST_SCIM_TOKEN: 'x' });
  assert.equal((await run.exited).code, 1);
  const { stderr } = run.output();
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.ok(stderr.includes(storePath), stderr);
  assert.match(stderr, /not valid JSON.*Nothing was touched/);
  assert.equal(await readFile(storePath, 'utf8'), '{"format":"hubwarden-store/1","seq":0,"collections":{');
});

test('a start that fails after audit.file is checked (here: the store cannot be opened) leaves no audit.file behind, and one already there as it was', async (t) => {
  for (const before of [undefined, '{"audit":{"seq":1},"level":"info","message":"kept"}\n']) {
    const { path, dir } = await tempConfig(t, (d) => validConfig(d, join(d, 'logs', 'audit.log')));
    const audit = join(dir, 'logs', 'audit.log');
    if (before !== undefined) {
      await mkdir(join(dir, 'logs'));
      await writeFile(audit, before);
    }
    await writeFile(join(dir, 'store.json'), '{"format":"hubwarden-store/1","seq":0,"collections":{');
    const run = start(['--config', path], { PORT: '0', TEST_SCIM_TOKEN: 'x' });
    t.after(() => run.kill('SIGKILL'));
    assert.equal((await run.exited).code, 1);
    assert.match(run.output().stderr, /store\.json.*not valid JSON/);
    if (before === undefined) assert.ok(!existsSync(audit), 'no empty audit.file created by a start that failed');
    else assert.equal(await readFile(audit, 'utf8'), before, 'an audit.file already there is left as it was');
  }
});

test('a port already in use exits 1 with one line naming host and port, and how to choose another', async (t) => {
  const { createServer } = await import('node:net');
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const port = (blocker.address() as import('node:net').AddressInfo).port;
  const { path } = await tempConfig(t, validConfig);
  const run = start(['--config', path], { PORT: String(port), TEST_SCIM_TOKEN: 'x' });
  assert.equal((await run.exited).code, 1);
  assert.equal(run.output().stderr.trim(), `hubwarden: cannot listen on 127.0.0.1:${port}: EADDRINUSE (another program is using that port: stop it, or choose another port with PORT=<port> or server.port)`);
});

/** The process's exit, or 'hung' after `ms` (a start-up that spins never exits by itself). */
const exitWithin = (run: ReturnType<typeof start>, ms: number) =>
  Promise.race([run.exited, new Promise<'hung'>((r) => setTimeout(r, ms, 'hung').unref())]);

test('an audit.file that cannot be written exits 1 at once with one line naming audit.file and the path (it hung, deaf to SIGTERM, under /proc)', { skip: !existsSync('/proc/self') && 'no /proc here' }, async (t) => {
  const cases = [
    // procfs answers ENOENT to any mkdir: node's recursive mkdir retried it forever, event loop stopped.
    { file: '/proc/nope/audit.log', why: /cannot create its folder \/proc\/nope \(ENOENT\)/ },
    { file: (dir: string) => dir, why: /cannot open it for appending \(it is a directory\)/ },
  ];
  for (const c of cases) {
    const { path, dir } = await tempConfig(t, (d) => validConfig(d, typeof c.file === 'string' ? c.file : c.file(d)));
    const run = start(['--config', path], { PORT: '0', TEST_SCIM_TOKEN: 'x' });
    t.after(() => run.kill('SIGKILL'));
    // The bug hung for good; 90 s leaves a loaded machine's start-up room (20 s was once too little).
    const exit = await exitWithin(run, 90_000);
    assert.notEqual(exit, 'hung', `still running after 90 s: ${JSON.stringify(run.output())}`);
    assert.equal(exit !== 'hung' && exit.code, 1);
    const { stderr } = run.output();
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.ok(stderr.startsWith(`hubwarden: audit.file ${typeof c.file === 'string' ? c.file : c.file(dir)}: `), stderr);
    assert.match(stderr, c.why);
    assert.ok(!existsSync(join(dir, 'store.json')), 'refused before the store was opened');
  }
});

test('a store.path that is a directory exits 1 saying so, without advising a repair', async (t) => {
  const { path, dir } = await tempConfig(t, (d) => validConfig(d).replace(join(d, 'store.json'), d));
  const run = start(['--config', path], { PORT: '0', TEST_SCIM_TOKEN: 'x' });
  t.after(() => run.kill('SIGKILL'));
  assert.equal((await run.exited).code, 1);
  const { stderr } = run.output();
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.ok(stderr.includes(`store: cannot open ${dir}: is a directory, not a store file: store.path names the file itself`), stderr);
  assert.ok(!/repair|accept-loss/.test(stderr), stderr);
});

test('SIGTERM while the first check reads the built-in TikTok sandbox: the agent stops before the listener closes, so no call meets a closed port (ECONNREFUSED warnings until the grace ran out)', async (t) => {
  const { path } = await tempConfig(t, (dir) => `
server: { port: 8080, publicUrl: "https://hubwarden.example.com" }
store: { kind: lowdb, path: ${join(dir, 'store.json')} }
secrets: { keyFile: ${join(dir, 'hubwarden.key')} }
audit: { file: ${join(dir, 'audit.log')} }
hubs:
  - id: tiktok-main
    connector: tiktok-business
    tiktok: { businessCenterId: "7000000000000000001", apiBaseUrl: sandbox }
    scim: { tokens: [env:TEST_SCIM_TOKEN] }
    partners:
      - { businessCenterId: "7000000000000000009" }
`);
  const run = start(['--config', path], { PORT: '0', TEST_SCIM_TOKEN: 'x', HUBWARDEN_LOG_LEVEL: 'warn' });
  t.after(() => run.kill('SIGKILL'));
  const url = await run.listening;
  while ((await fetch(`${url}/readyz`)).status !== 200) await new Promise((r) => setTimeout(r, 50));
  // The first import was queued at start; the TikTok client paces its calls (5 per second), so the
  // read is still going a moment later.
  await new Promise((r) => setTimeout(r, 300));
  run.kill('SIGTERM');
  assert.equal((await run.exited).code, 0);
  const { stdout, stderr } = run.output();
  assert.ok(!/ECONNREFUSED/.test(stdout + stderr), stdout + stderr);
});
