/**
 * The Okta schema POST leaves what the admin made as it was: an attribute of one of our names
 * that exists with another type is not retyped, and the admin's required custom attributes stay
 * required. Both are [INF] readings an Okta emulator written from the same documentation might
 * take (docs/writeback.md), driven through the real @okta/okta-sdk-nodejs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOktaEmulator, type OktaEmulatorOptions } from '../../test/emulators/okta/okta-emulator.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, movableClock, OKTA_TOKEN, seededStore, writebackConfig } from './writeback-fixtures.ts';

const HUB = 'meta-main';
const attr = (field: string) => `hubwarden_meta_main_${field}`;
const SCHEMA_PATH = '/api/v1/meta/schemas/user/default';

async function setup(options: OktaEmulatorOptions) {
  const users = [{ id: '00uana00000000000001', login: 'ana@example.com' }];
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users, ...options });
  const server = await okta.listen();
  const store = await seededStore(HUB, users.map((u, i) => directoryUser(HUB, `u-${i}`, u.login, { externalId: u.id })), [{ id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' }]);
  const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { okta: { maxRetries: 0, resetMarginMs: 0 } } });
  return { okta, server, writeback };
}

const adminsRole = { title: 'Role (made by hand)', type: 'boolean' as const };

for (const schemaTypeChange of ['refused', 'replaced'] as const) {
  test(`okta: an attribute of our name with another type is not retyped, and the hub's setup names it (type change ${schemaTypeChange})`, async () => {
    const { okta, server, writeback } = await setup({ schema: { [attr('role')]: adminsRole }, readings: { schemaTypeChange } });
    try {
      await assert.rejects(writeback.run(HUB), (err: Error) => {
        assert.match(err.message, new RegExp(`${attr('role')} \\(type boolean\\)`));
        assert.match(err.message, /delete or rename it/);
        return true;
      });
      assert.deepEqual(okta.state().schema[attr('role')], adminsRole, 'the admin\'s property is as it was');
      assert.equal(okta.calls.filter((c) => c.method === 'POST' && c.path === SCHEMA_PATH).length, 0, 'no schema change was asked for');
      assert.equal(okta.calls.filter((c) => c.path.startsWith('/api/v1/users/')).length, 0, 'nobody written under the wrong type');
    } finally {
      await server.close();
    }
  });
}

test('okta: the admin\'s required custom attributes stay required when ours are added', async () => {
  const costCenter = { title: 'Cost center', type: 'string' as const };
  const { okta, server, writeback } = await setup({ schema: { costCenter }, customRequired: ['costCenter'] });
  try {
    const report = await writeback.run(HUB);
    assert.equal(report.written, 1, report.note);
    const state = okta.state();
    assert.deepEqual(state.customRequired, ['costCenter']);
    assert.deepEqual(state.schema.costCenter, costCenter);
    assert.equal(state.schema[attr('status')]?.type, 'string', 'ours were added');
    const post = okta.calls.find((c) => c.method === 'POST' && c.path === SCHEMA_PATH);
    assert.deepEqual((post?.body as any)?.definitions?.custom?.required, ['costCenter'], 'the list goes back as read');
  } finally {
    await server.close();
  }
});
