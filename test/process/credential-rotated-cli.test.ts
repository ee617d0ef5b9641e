import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, sandboxConfig, startProcess } from './server-process.ts';
import { serverRuns } from './sandbox-hub.ts';

/**
 * A secret rotated behind the same `env:` name, as an operator finds it: the real server started
 * twice on one store with another value in TEST_SCIM_TOKEN and TEST_ADMIN_TOKEN, then the real
 * `hubwarden audit --action credential-rotated` lists one line per slot (the hub's, and the
 * server's admin token, which belongs to no hub: an administrator's query reaches it too), as
 * does `audit.file`; no value of either secret appears in any of them.
 */
const FIRST = { scim: 'scim-token-before-rotation-1f3a', admin: 'admin-token-before-rotation-9c2e' };
const SECOND = { scim: 'scim-token-after-rotation-4b7d', admin: 'admin-token-after-rotation-6e8f' };
const SECRETS = [...Object.values(FIRST), ...Object.values(SECOND)];

test('a secret rotated behind the same env: name is listed by hubwarden audit --action credential-rotated, one line per slot, no secret', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-rotation-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'hubwarden.yaml');
  await writeFile(config, sandboxConfig({ store: join(dir, 'data/hubwarden.json'), keyFile: join(dir, 'data/hubwarden.key'), admin: true }));
  const lockPath = join(dir, 'data/hubwarden.json.lock');
  const envOf = (s: typeof FIRST) => ({ PORT: '0', TEST_SCIM_TOKEN: s.scim, TEST_ADMIN_TOKEN: s.admin });

  const first = serverRuns(t, config, envOf(FIRST), lockPath);
  await first.start();
  await first.stop();
  const second = serverRuns(t, config, envOf(SECOND), lockPath);
  const url = await second.start();

  const cli = async (args: string[]) => {
    const run = startProcess(process.execPath, ['bin/hubwarden.mjs', ...args, '--url', url], { env: { HUBWARDEN_ADMIN_TOKEN: SECOND.admin }, cwd: REPO_ROOT });
    const { code } = await run.exited;
    const { stdout, stderr } = run.output();
    assert.equal(code, 0, `hubwarden ${args.join(' ')}: ${stderr}`);
    for (const secret of SECRETS) assert.ok(!stdout.includes(secret) && !stderr.includes(secret), `hubwarden ${args.join(' ')} shows no secret`);
    return stdout.trimEnd().split('\n');
  };

  const all = await cli(['audit', '--action', 'credential-rotated']);
  assert.match(all[0]!, /^AT\s+HUB\s+ACTION/);
  const rows = all.slice(1);
  assert.equal(rows.length, 2, `one line per rotated slot:\n${all.join('\n')}`);
  const hub = rows.filter((r) => r.includes('hub sandbox: scim.tokens[0]'));
  const server = rows.filter((r) => r.includes('server: adminTokens[0]'));
  assert.equal(hub.length, 1, all.join('\n'));
  assert.equal(server.length, 1, all.join('\n'));
  assert.match(hub[0]!, /\ssandbox\s+credential-rotated\s+hub sandbox: scim\.tokens\[0\]\s+ok\s+config:config file .*the secret behind env:TEST_SCIM_TOKEN changed since the last start/);
  // The admin token's slot belongs to no hub (HUB `-`): listed to an administrator all the same.
  assert.match(server[0]!, /\s-\s+credential-rotated\s+server: adminTokens\[0\]\s+ok\s+.*the secret behind env:TEST_ADMIN_TOKEN changed/);

  const perHub = await cli(['audit', '--hub', 'sandbox', '--action', 'credential-rotated']);
  assert.equal(perHub.length, 2, perHub.join('\n'));
  assert.match(perHub[1]!, /hub sandbox: scim\.tokens\[0\]/);

  const json = JSON.parse((await cli(['audit', '--action', 'credential-rotated', '--format', 'json'])).join('\n')) as { items: Array<{ action: string; detail: Record<string, unknown> }> };
  assert.deepEqual(json.items.map((e) => e.action), ['credential-rotated', 'credential-rotated']);
  for (const e of json.items) {
    assert.match(String(e.detail.previous), /^fingerprint:[0-9a-f]{6}$/);
    assert.match(String(e.detail.now), /^fingerprint:[0-9a-f]{6}$/);
    assert.notEqual(e.detail.previous, e.detail.now);
  }
  await second.stop();

  // audit.file mirrors both entries (the mirror subscribes before they are written at start).
  const file = await readFile(join(dir, 'data/audit.log'), 'utf8');
  const mirrored = file.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { audit: { action: string; subject?: { label?: string } } }).filter((l) => l.audit.action === 'credential-rotated');
  assert.deepEqual(mirrored.map((l) => l.audit.subject?.label).sort(), ['hub sandbox: scim.tokens[0]', 'server: adminTokens[0]']);
  for (const secret of SECRETS) assert.ok(!file.includes(secret), 'audit.file holds no secret');
});
