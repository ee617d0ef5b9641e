import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';

/**
 * A person's re-read by email (after an invite or removal of unknown outcome) compares the
 * addresses Graph lists as the agent compares emails (emailKey: Unicode NFC, lower-cased): the
 * agent holds "josé" decomposed ("e" + U+0301) as the IdP sent it, business_users lists the seat
 * precomposed (U+00E9). Compared code unit by code unit, the seat was not found and the person
 * read as holding nothing, so a new invite could follow.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };
const server = listeningEmulator();

test('readPerson by a decomposed email finds the member business_users lists precomposed', async () => {
  const fixture = sandboxFixture();
  fixture.businessUsers.push({ id: '900000000000778', businessId: SANDBOX.businessId, name: 'José Núñez', email: 'jos\u00e9@example.com', role: 'EMPLOYEE' });
  server.emulator.control.seed(fixture);
  const connector = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
  const reading = await connector.readPerson!({ email: 'jose\u0301@example.com' });
  assert.deepEqual(reading.members.map((m) => m.id), ['900000000000778']);
});
