/**
 * The Okta schema POST leaves what the admin made as it was: an attribute of one of our names
 * that exists with another type is not retyped, the admin's required custom attributes stay
 * required, and the status attribute's enum keeps every value it had (an older release's, an
 * admin's), with their `oneOf` display names. All are [INF] readings an Okta emulator written from the same documentation might
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
  const okta = createOktaEmulator({ token: OKTA_TOKEN, ...options, users: [...users, ...(options.users ?? [])] });
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

const OURS = ['pending', 'offered', 'invited', 'invite_failed', 'onboarded', 'exempted', 'removed', 'lapsed'];
const READ_ONLY = [{ principal: 'SELF', action: 'READ_ONLY' }];
/** Someone outside the hub who holds the old release's value. */
const bo = { id: '00ubob00000000000002', login: 'bo@example.com', profile: { [attr('status')]: 'matched' } };
const statusPosts = (okta: ReturnType<typeof createOktaEmulator>) =>
  okta.calls.filter((c) => c.method === 'POST' && c.path === SCHEMA_PATH && (c.body as any)?.definitions?.custom?.properties?.[attr('status')] !== undefined);

for (const held of [true, false]) {
  test(`okta: an existing status enum that lacks some of ours gets the union, its own values first, with its display names (old value ${held ? 'held by a user' : 'held by nobody'})`, async () => {
    // An older release's enum, in its order, with display names an admin gave in the Profile Editor.
    const old = ['onboarded', 'matched', 'pending'];
    const oneOf = old.map((v) => ({ const: v, title: `Shown as ${v}` }));
    const { okta, server, writeback } = await setup({
      schema: { [attr('status')]: { title: 'hubwarden meta-main status', type: 'string', enum: old, oneOf, permissions: READ_ONLY } },
      users: held ? [bo] : [],
    });
    try {
      const report = await writeback.run(HUB);
      assert.equal(report.written, 1, report.note);
      const union = [...old, 'offered', 'invited', 'invite_failed', 'exempted', 'removed', 'lapsed'];
      const status = okta.state().schema[attr('status')]!;
      assert.deepEqual(status.enum, union, 'no value dropped; ours that were missing come after');
      assert.deepEqual(status.oneOf, [...oneOf, ...union.slice(old.length).map((v) => ({ const: v, title: v }))], 'display names kept, one per value added');
      assert.equal(statusPosts(okta).length, 1, 'sent once, accepted at the first try');
      if (held) assert.equal(okta.state().users.find((u) => u.id === bo.id)?.profile[attr('status')], 'matched');
    } finally {
      await server.close();
    }
  });
}

test('okta: an existing status enum that has all of ours and more is left as it is', async () => {
  const enumWithMore = ['matched', ...OURS];
  const { okta, server, writeback } = await setup({ schema: { [attr('status')]: { title: 'Status', type: 'string', enum: enumWithMore, permissions: READ_ONLY } }, users: [bo] });
  try {
    const report = await writeback.run(HUB);
    assert.equal(report.written, 1, report.note);
    assert.equal(statusPosts(okta).length, 0, 'nothing to change on the status attribute');
    assert.deepEqual(okta.state().schema[attr('status')]!.enum, enumWithMore);
  } finally {
    await server.close();
  }
});

test('okta: a status attribute sent for another reason (people may edit it) keeps its extra enum values, and one with no enum gets none', async () => {
  // Both let SELF write, so both are sent as ours; neither may lose a value someone may hold.
  const selfWrites = [{ principal: 'SELF', action: 'READ_WRITE' }];
  const enumWithMore = [...OURS, 'matched'];
  const { okta, server, writeback } = await setup({
    schema: { [attr('status')]: { title: 'Status', type: 'string', enum: enumWithMore, permissions: selfWrites } },
  });
  const hub2 = await setup({ schema: { [attr('status')]: { title: 'Status (by hand)', type: 'string', permissions: selfWrites } } });
  try {
    assert.equal((await writeback.run(HUB)).written, 1);
    const status = okta.state().schema[attr('status')]!;
    assert.deepEqual(status.enum, enumWithMore);
    assert.deepEqual(status.permissions, READ_ONLY);
    assert.equal((await hub2.writeback.run(HUB)).written, 1);
    const plain = hub2.okta.state().schema[attr('status')]!;
    assert.equal(plain.enum, undefined, 'no enum added where any value may be held');
    assert.deepEqual(plain.permissions, READ_ONLY);
  } finally {
    await server.close();
    await hub2.server.close();
  }
});
