import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../config/load.ts';
import { createHubConnector } from './hub-connector.ts';
import { createMetaEmulator } from '../connectors/meta-business/emulator/index.ts';
import { ConnectorError } from '../connectors/sdk/connector-error.ts';

const log = { debug() {}, info() {}, warn() {}, error() {} };

function config(meta: string, extra = ''): ReturnType<typeof parseConfig> {
  const yaml = `hubs:\n  - id: meta-main\n    connector: meta-business\n    meta:\n${meta}${extra}`;
  return parseConfig(yaml, '/tmp/hubwarden-test.yaml', { META_TOKEN: 'sandbox-system-user-token', PARTNER_TOKEN: 'sandbox-partner-token' });
}

test('a sandbox hub without a token reads the emulator with the sandbox fixture token', async () => {
  const emulator = createMetaEmulator();
  const server = await emulator.listen(0, '127.0.0.1');
  try {
    const cfg = config('      businessId: "1000000000000001"\n      graphBaseUrl: sandbox\n', '    partners:\n      - businessId: "2000000000000002"\n');
    const calls: unknown[] = [];
    const c = createHubConnector(cfg.file.hubs[0], cfg, { sandboxUrls: { 'meta-business': server.url }, log, onCall: (x) => calls.push(x) });
    const page = await c.listMembers!();
    assert.ok(page.items.some((m) => m.role === 'ADMIN'));
    assert.equal(calls.length, 1);
    const partnerUsers = await c.listPartnerUsers!('2000000000000002');
    assert.ok(partnerUsers.length > 0, 'the sandbox partner token is used for the sandbox partner');
  } finally {
    await server.close();
  }
});

test('a hub with a secret reference uses the revealed token against its base URL', async () => {
  const emulator = createMetaEmulator();
  const server = await emulator.listen(0, '127.0.0.1');
  try {
    const cfg = config(`      businessId: "1000000000000001"\n      graphBaseUrl: ${server.url}\n      accessToken: env:META_TOKEN\n`);
    const c = createHubConnector(cfg.file.hubs[0], cfg, { log });
    const health = await c.checkCredential!();
    assert.equal(health.valid, true);
  } finally {
    await server.close();
  }
});

test('a sandbox hub with no emulator running, or a real hub with no token, is a clear error', () => {
  const sandbox = config('      businessId: "1000000000000001"\n      graphBaseUrl: sandbox\n');
  assert.throws(() => createHubConnector(sandbox.file.hubs[0], sandbox, { log }), (e: unknown) => e instanceof ConnectorError && /sandbox emulator is not running/.test(e.message));
  const real = config('      businessId: "1000000000000001"\n');
  assert.throws(() => createHubConnector(real.file.hubs[0], real, { log }), (e: unknown) => e instanceof ConnectorError && e.kind === 'unauthenticated' && /meta-main: meta.accessToken is not set/.test(e.message));
});
