import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import { servedEmulator, type Reading } from './alternative-fetch.test-double.ts';

/**
 * AssignedUser `user_type` values are only observed, not documented by Meta. A Graph that leaves
 * the field out (or uses another value) made the sandbox system user's catalog and ad-account
 * assignments read as a member's. Who is a system user now comes from `system_users`.
 */
const withoutUserType: Reading = async (op, forward) => {
  const a = await forward();
  if (op.method === 'GET' && op.path.endsWith('/assigned_users') && Array.isArray(a.body?.data)) {
    for (const row of a.body.data) delete row.user_type;
  }
  return a;
};

describe('meta-business connector: system users among an asset\'s holders', () => {
  const served = servedEmulator();

  test('a Graph that gives no user_type: the system user\'s assignment is still a system user\'s', async () => {
    const c = served.connector(withoutUserType);
    const found = await c.listAssignments!([{ type: 'catalog', id: SANDBOX.catalogId }, { type: 'ad_account', id: 'act_111' }]);
    const systemUser = found.filter((a) => a.userId === SANDBOX.systemUserId);
    assert.ok(systemUser.length > 0, 'the sandbox system user holds the catalog');
    assert.deepEqual([...new Set(systemUser.map((a) => a.userType))], ['system-user']);
    assert.ok(found.some((a) => a.userType === 'member'), 'business users stay members');
  });

  test('with user_type given, business users stay members and the system user is one', async () => {
    const c = served.connector();
    const found = await c.listAssignments!([{ type: 'catalog', id: SANDBOX.catalogId }]);
    assert.deepEqual(found.filter((a) => a.userId === SANDBOX.systemUserId).map((a) => a.userType), ['system-user']);
  });
});
