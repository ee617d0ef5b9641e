import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { readApp } from '../../agent/check-for-updates/read-app.ts';
import { runCheckForUpdates } from '../../agent/check-for-updates/run-check.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { configSchema } from '../../config/schema.ts';
import '../../agent/app-state/records.ts';

// A token that sees only some business users (the emulator's opt-in `businessUsersSeen` fault,
// after a third-party report, undocumented by Meta, of a business_users listing that showed 2 of
// 7 people; README, `business_users` filtered by token visibility): the
// asset edges the connector already reads (assigned_users?business=) name the others, so the read
// says the member listing is filtered rather than passing it off as complete.
const log = { debug() {}, info() {}, warn() {}, error() {} };

describe('meta-business: a business_users listing filtered by token visibility', () => {
  const server = listeningEmulator();
  const { emulator } = server;
  const read = async (seen?: number) => {
    emulator.control.seed(sandboxFixture());
    emulator.control.setFaults(seen === undefined ? {} : { businessUsersSeen: seen });
    const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
    return readApp(c, { assetTypes: ['ad_account', 'page', 'catalog', 'pixel'], partnersWithToken: [] });
  };

  test('the full listing: no member is hidden', async () => {
    const reading = await read();
    assert.ok(reading.assignments.some((a) => a.userType === 'member'), 'the sandbox assigns members to assets');
    assert.equal(reading.hiddenMembers, undefined);
  });

  test('a token that sees only some people: the assigned people it does not list are named as hidden', async () => {
    const full = await read();
    const reading = await read(1);
    assert.equal(reading.members.length, 1);
    const listed = new Set(reading.members.map((m) => m.id));
    const expected = [...new Set(full.assignments.filter((a) => a.userType === 'member' && !listed.has(a.userId)).map((a) => a.userId))].sort();
    assert.ok(expected.length > 0, 'the fixture has assigned people beyond the first');
    assert.deepEqual([...(reading.hiddenMembers ?? [])].sort(), expected);
    // Every hidden id is a business user of the fixture (not a system user, not a partner's person).
    const everyone = new Set(full.members.map((m) => m.id));
    for (const id of reading.hiddenMembers ?? []) assert.ok(everyone.has(id), id);
  });

  test('through a check for updates: the people the token stops seeing are kept, and nothing is decided from the listing', async () => {
    emulator.control.seed(sandboxFixture());
    emulator.control.setFaults({});
    const hub = configSchema.parse({ hubs: [{ id: 'acme', connector: 'meta-business', meta: { businessId: SANDBOX.businessId } }] }).hubs[0];
    const connector = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
    const store = new MemoryStore();
    const check = (taskId: string) => runCheckForUpdates({ store, hub, connector, trigger: { type: 'admin', actor: 'test' }, taskId, now: () => new Date(), log: { info() {}, warn() {} } });
    await check('t1');
    const before = (await collect(store.list('appMembers', 'acme'))).map((m) => m.id).sort();
    emulator.control.setFaults({ businessUsersSeen: 1 });
    const run = await check('t2');
    assert.deepEqual(run.changes?.removedMembers ?? [], []);
    assert.deepEqual((await collect(store.list('appMembers', 'acme'))).map((m) => m.id).sort(), before);
    const imported = await store.get('appImports', 'acme', 'acme');
    assert.equal(imported?.complete, false);
    assert.ok(imported?.unavailable?.some((u) => u.section === 'members'));
    assert.ok(!JSON.stringify(imported).includes(SANDBOX.token), 'no credential in the report');
  });
});
