/**
 * The CLI needs only the server URL and an admin token from the config: an app credential or a
 * database URL that is not set in the admin's shell (it is the server's environment that has them)
 * must not stop `hubwarden hubs`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli-error.ts';
import { serverOf } from './connection.ts';

function configFile(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hubwarden-connection-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'hubwarden.yaml');
  writeFileSync(path, `
server: { publicUrl: "http://hubwarden.example:8080", adminTokens: [env:ADMIN_TOKEN] }
store: { kind: postgres, url: env:DATABASE_URL }
hubs:
  - id: acme-ads
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    scim: { tokens: [file:acme-scim-token] }
`);
  return path;
}

test('the admin token and URL come from the config without the server\'s other secrets being set', async (t) => {
  const config = configFile(t);
  assert.deepEqual(await serverOf({ config }, { ADMIN_TOKEN: 'adm-token' }), { url: 'http://hubwarden.example:8080', token: 'adm-token', urlFrom: `server.publicUrl in ${config}` });
  assert.equal((await serverOf({ config, url: 'http://127.0.0.1:18089' }, { ADMIN_TOKEN: 'adm-token' })).urlFrom, '--url');
  assert.equal((await serverOf({ config: '/nonexistent.yaml', token: 't' }, { HUBWARDEN_URL: 'http://127.0.0.1:18089' })).urlFrom, 'HUBWARDEN_URL');
});

test('an admin token that cannot be resolved is named, and nothing else is', async (t) => {
  const config = configFile(t);
  await assert.rejects(serverOf({ config }, {}), (e: unknown) => e instanceof CliError
    && /the config .*hubwarden\.yaml cannot be read: server\.adminTokens\[0\]: environment variable ADMIN_TOKEN is not set/.test(e.message)
    && !/META_TOKEN|DATABASE_URL|acme-scim-token/.test(e.message));
});

test('with --url and --token (or their variables) the config is not read: a missing file does not matter', async () => {
  assert.deepEqual(await serverOf({ url: 'http://h:1', token: 't', config: '/nonexistent/hubwarden.yaml' }, {}), { url: 'http://h:1', token: 't', urlFrom: '--url' });
  assert.deepEqual(await serverOf({ config: '/nonexistent/hubwarden.yaml' }, { HUBWARDEN_URL: 'http://h:2', HUBWARDEN_ADMIN_TOKEN: 'u' }), { url: 'http://h:2', token: 'u', urlFrom: 'HUBWARDEN_URL' });
});

test('the message says which of the URL and the token was not given, not both when one was', async (t) => {
  const config = configFile(t);
  const refused = (options: Parameters<typeof serverOf>[0], env: NodeJS.ProcessEnv, pattern: RegExp) => assert.rejects(serverOf(options, env), (e: unknown) => e instanceof CliError && pattern.test(e.message) && !e.message.includes('s3cret-token'));
  await refused({ config, url: 'http://h:1' }, {}, /^no --token given \(nor HUBWARDEN_ADMIN_TOKEN\) and the config .*hubwarden\.yaml cannot be read: server\.adminTokens\[0\]: environment variable ADMIN_TOKEN is not set$/);
  await refused({ config }, { HUBWARDEN_URL: 'http://h:1' }, /^no --token given \(nor HUBWARDEN_ADMIN_TOKEN\) and the config/);
  await refused({ config: '/nonexistent/hubwarden.yaml', token: 's3cret-token' }, {}, /^no --url given \(nor HUBWARDEN_URL\) and the config \/nonexistent\/hubwarden\.yaml cannot be read: cannot read the file: ENOENT$/);
  await refused({ config: '/nonexistent/hubwarden.yaml' }, {}, /^no --url\/--token given and the config/);
});

test('HUBWARDEN_URL, HUBWARDEN_CONFIG or HUBWARDEN_ADMIN_TOKEN set but empty (an unset shell variable expanded) is refused by name, not read as the working folder nor as the default config', async (t) => {
  const config = configFile(t);
  for (const [options, env, name] of [
    [{ token: 't' }, { HUBWARDEN_URL: '' }, 'HUBWARDEN_URL'],
    [{ token: 't' }, { HUBWARDEN_URL: ' ' }, 'HUBWARDEN_URL'],
    [{}, { HUBWARDEN_CONFIG: '', HUBWARDEN_URL: 'http://h:1' }, 'HUBWARDEN_CONFIG'],
    // Not the config's admin token (the local sandbox's) sent to the server HUBWARDEN_URL names.
    [{ config }, { HUBWARDEN_ADMIN_TOKEN: '', HUBWARDEN_URL: 'http://h:1', ADMIN_TOKEN: 'local-token' }, 'HUBWARDEN_ADMIN_TOKEN'],
    [{ url: 'http://h:1', config }, { HUBWARDEN_ADMIN_TOKEN: ' ', ADMIN_TOKEN: 'local-token' }, 'HUBWARDEN_ADMIN_TOKEN'],
  ] as const) {
    await assert.rejects(serverOf(options, env), (e: unknown) => e instanceof CliError && e.exitCode === 2 && e.message.startsWith(`${name} is set but empty`), name);
  }
  // What the command line says wins over an empty variable.
  assert.deepEqual(await serverOf({ url: 'http://h:1', config }, { HUBWARDEN_URL: '', HUBWARDEN_CONFIG: '', ADMIN_TOKEN: 'a' }), { url: 'http://h:1', token: 'a', urlFrom: '--url' });
  assert.deepEqual(await serverOf({ url: 'http://h:1', token: 't' }, { HUBWARDEN_ADMIN_TOKEN: '' }), { url: 'http://h:1', token: 't', urlFrom: '--url' });
});

test('without --token the CLI takes the config\'s first admin token of every hub, a scoped one only when all are (docs/operations.md)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hubwarden-connection-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const hubs = 'hubs:\n  - id: acme-ads\n    connector: meta-business\n    meta: { businessId: "1234567890" }\n';
  const config = (tokens: string) => {
    const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, `server: { publicUrl: "http://hubwarden.example:8080", adminTokens: ${tokens} }\n${hubs}`);
    return path;
  };
  const env = { PORTAL: 'portal-token', ALL: 'every-hub-token' };
  assert.equal((await serverOf({ config: config('[{ token: env:PORTAL, hubs: [acme-ads] }, env:ALL]') }, env)).token, 'every-hub-token');
  assert.equal((await serverOf({ config: config('[{ token: env:PORTAL, hubs: [acme-ads] }]') }, env)).token, 'portal-token');
});
