import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testConfig as adminTestConfig } from './test-server.ts';
import { testConfig as scimTestConfig } from '../../scim-server/scim/test-app.ts';

/**
 * The shared test configs keep their secrets key (made at the first token check) out of the
 * working folder: the default `data/hubwarden.key` is the checkout's own data/ when `npm test`
 * runs there, and `npm start` then found a key made by tests and took it for its own.
 */
test('the test configs\' secrets key is outside the working folder; a test that sets secrets keeps its own', () => {
  for (const config of [adminTestConfig(), scimTestConfig({ hubs: [{ id: 'alpha' }] })]) {
    const key = config.pathOf(config.file.secrets.keyFile);
    assert.ok(!key.startsWith(`${process.cwd()}/`), key);
  }
  const own = adminTestConfig('secrets: { keyFile: /tmp/own-test-dir/hubwarden.key }');
  assert.equal(own.pathOf(own.file.secrets.keyFile), '/tmp/own-test-dir/hubwarden.key');
});
