import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectSecretRefs, parseConfig } from './load.ts';
import { connectorBlock } from './schema.ts';
import { createHubConnector } from '../agent/hub-connector.ts';
import { configProblems } from './config-problems.ts';

/**
 * `hubs[].meta.appSecret`: the Meta app's secret for apps with "Require App Secret" on
 * (https://developers.facebook.com/docs/graph-api/securing-requests), given as the access token is:
 * a secret reference resolved at load, its problems named by the key's path, never by its value.
 */
const FILE = '/etc/hubwarden/hubwarden.yaml';
const hub = (meta: string) => `hubs:\n  - id: meta-main\n    connector: meta-business\n    meta: { businessId: "1234567890", accessToken: env:META_TOKEN${meta} }\n`;
const TOKEN = 'EAAB-meta-system-user-token';
const SECRET = 'meta-app-secret-0123456789abcdef';

const problemsOf = (text: string, env: NodeJS.ProcessEnv, file = FILE): string[] => configProblems(text, file, env);

describe('hubs[].meta.appSecret', () => {
  test('a secret reference, resolved at load and counted among the secrets (redacted from logs, fingerprinted for rotation)', async () => {
    const config = parseConfig(hub(', appSecret: env:META_APP_SECRET'), FILE, { META_TOKEN: TOKEN, META_APP_SECRET: SECRET });
    assert.equal(config.secret('env:META_APP_SECRET').reveal(), SECRET);
    assert.ok(config.secretRefs.includes('env:META_APP_SECRET'));
    const found: Array<{ ref: string; path: PropertyKey[] }> = [];
    collectSecretRefs(config.file, [], found);
    assert.deepEqual(found.find((f) => f.ref === 'env:META_APP_SECRET')?.path, ['hubs', 0, 'meta', 'appSecret']);
    // Optional: a hub without it loads as before.
    const without = parseConfig(hub(''), FILE, { META_TOKEN: TOKEN });
    assert.equal((connectorBlock(without.file.hubs[0]!) as { appSecret?: string }).appSecret, undefined);
    assert.deepEqual(without.secretRefs, ['env:META_TOKEN']);
    // The settings as shown (admin API, logs): the secret reference, never the value.
    assert.ok(!JSON.stringify(config.file).includes(SECRET));

    const dir = await mkdtemp(join(tmpdir(), 'hw-app-secret-'));
    try {
      await writeFile(join(dir, 'meta-app-secret'), `${SECRET}\n`, { mode: 0o600 });
      const fromFile = parseConfig(hub(', appSecret: file:meta-app-secret'), join(dir, 'hubwarden.yaml'), { META_TOKEN: TOKEN });
      assert.equal(fromFile.secret('file:meta-app-secret').reveal(), SECRET);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('its problems name hubs[0].meta.appSecret, never the value', () => {
    assert.deepEqual(problemsOf(hub(', appSecret: plain-app-secret'), { META_TOKEN: TOKEN }), [
      'hubs[0].meta.appSecret: expected a secret reference, env:NAME or file:PATH',
    ]);
    assert.deepEqual(problemsOf(hub(', appSecret: env:META_APP_SECRET'), { META_TOKEN: TOKEN }), [
      'hubs[0].meta.appSecret: environment variable META_APP_SECRET is not set',
    ]);
    const problems = problemsOf(hub(', appSecret: env:META_APP_SECRET'), { META_TOKEN: TOKEN, META_APP_SECRET: `${SECRET.slice(0, 8)}\n${SECRET.slice(8)}` });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^hubs\[0\]\.meta\.appSecret: env:META_APP_SECRET holds a line break \(U\+000A, character 9 of 33\)/);
    assert.ok(!problems.join('\n').includes(SECRET.slice(8, 16)));
  });

  test('the hub\'s connector sends appsecret_proof = HMAC-SHA256(token, app secret) beside the token', async () => {
    const config = parseConfig(hub(', appSecret: env:META_APP_SECRET'), FILE, { META_TOKEN: TOKEN, META_APP_SECRET: SECRET });
    const asked: URL[] = [];
    const fetchSpy = (async (input: URL | RequestInfo) => {
      asked.push(new URL(String(input)));
      return new Response(JSON.stringify({ data: [] }), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const connector = createHubConnector(config.file.hubs[0]!, config, { log: { debug() {}, info() {}, warn() {}, error() {} }, fetch: fetchSpy });
    await connector.listMembers!();
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.searchParams.get('access_token'), TOKEN);
    assert.equal(asked[0]!.searchParams.get('appsecret_proof'), createHmac('sha256', SECRET).update(TOKEN).digest('hex'));
  });
});
