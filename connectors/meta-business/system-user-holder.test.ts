import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import { graphError, servedEmulator, type Reading } from './alternative-fetch.test-double.ts';
import { runCheckForUpdates } from '../../agent/check-for-updates/run-check.ts';
import { actualOf } from '../../agent/plan/plan-input.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { configSchema } from '../../config/schema.ts';
import type { HubConnector } from '../sdk/connector.ts';
import '../../agent/app-state/records.ts';

/**
 * AssignedUser `user_type` values are only observed, not documented by Meta
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users).
 * The connector passes the field on as a hint; a check for updates types each holder by the
 * listings it read (agent/check-for-updates/read-app.ts holdersByListing): an id `system_users`
 * lists is a system user's grant, one only `business_users` lists is a person's. Held here end to
 * end, the connector's check over the emulator, to Graphs that leave the field out or misuse it.
 */
const HUB = 'acme-meta';
const hub = configSchema.parse({ hubs: [{ id: HUB, connector: 'meta-business', meta: { businessId: SANDBOX.businessId } }] }).hubs[0];
const silent = { info() {}, warn() {} };
let clock = Date.parse('2026-12-01T10:00:00.000Z');
const now = () => new Date((clock += 1000));
const employee = SANDBOX.employees[0]; // holds act_111 in the sandbox fixture

/** Every `assigned_users` row answered with `user_type` set to `value`, or without it; `systemUsers` answers that edge. */
const userTypeAs = (value: string | undefined, systemUsers?: Reading): Reading => async (op, forward) => {
  if (systemUsers && op.path.endsWith('/system_users')) return systemUsers(op, forward);
  const a = await forward();
  if (op.method === 'GET' && op.path.endsWith('/assigned_users') && Array.isArray(a.body?.data)) {
    for (const row of a.body.data) {
      if (value === undefined) delete row.user_type;
      else row.user_type = value;
    }
  }
  return a;
};
const refused: Reading = async () => graphError(200, '(#200) Requires business_management permission to manage the object');

async function check(store: MemoryStore, connector: HubConnector, taskId: string) {
  const run = await runCheckForUpdates({ store, hub, connector, trigger: { type: 'admin', actor: 'test' }, taskId, now, log: silent });
  assert.equal(run.outcome, 'completed');
  const actual = await actualOf(store, HUB);
  const typeOf = (userId: string) => [...new Set(actual.assignments.filter((a) => a.userId === userId).map((a) => a.userType))];
  return { run, actual, typeOf };
}

describe('meta-business: system users among an asset\'s holders, as a check for updates types them', () => {
  const served = servedEmulator();

  test('a Graph that gives no user_type: the system user\'s grants are a system user\'s, business users\' a member\'s', async () => {
    const { actual, typeOf } = await check(new MemoryStore(), served.connector(userTypeAs(undefined)), 't1');
    assert.ok(actual.assignments.filter((a) => a.userId === SANDBOX.systemUserId).length >= 5, 'the sandbox system user holds every asset');
    assert.deepEqual(typeOf(SANDBOX.systemUserId), ['system-user']);
    assert.deepEqual(typeOf(employee), ['member']);
    // Not counted as a person the member listing lacks: the import is complete.
    assert.equal(actual.complete, true);
    assert.equal(actual.membersHidden, false);
  });

  test('with user_type given, business users stay members and the system user is one', async () => {
    const { actual, typeOf } = await check(new MemoryStore(), served.connector(), 't1');
    assert.deepEqual(typeOf(SANDBOX.systemUserId), ['system-user']);
    assert.deepEqual(typeOf(employee), ['member']);
    assert.equal(actual.complete, true);
  });

  test('every row answered SYSTEM_USER: a listed person\'s grant is still theirs (security 87)', async () => {
    const { typeOf } = await check(new MemoryStore(), served.connector(userTypeAs('SYSTEM_USER')), 't1');
    assert.deepEqual(typeOf(employee), ['member']);
    assert.deepEqual(typeOf(SANDBOX.systemUserId), ['system-user']);
  });

  test('no user_type and system_users refused on a first check: the holder counts as a person the member listing lacks, nothing is removed', async () => {
    const { run, actual, typeOf } = await check(new MemoryStore(), served.connector(userTypeAs(undefined, refused)), 't1');
    assert.deepEqual(typeOf(SANDBOX.systemUserId), ['member']);
    assert.equal(actual.complete, false);
    assert.ok(run.unavailable?.some((u) => u.section === 'system users'));
  });

  test('no user_type and system_users refused after a check that listed them: the system user known then is still one', async () => {
    const store = new MemoryStore();
    await check(store, served.connector(), 't1');
    const { actual, typeOf } = await check(store, served.connector(userTypeAs(undefined, refused)), 't2');
    assert.deepEqual(typeOf(SANDBOX.systemUserId), ['system-user']);
    assert.deepEqual(typeOf(employee), ['member']);
    assert.deepEqual(actual.systemUsers.map((s) => s.id), [SANDBOX.systemUserId]);
  });
});
