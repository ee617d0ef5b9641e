import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import { servedEmulator, type Reading } from './alternative-fetch.test-double.ts';

/**
 * AssignedUser `user_type`: Meta documents the field, not its values
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users);
 * `BUSINESS_USER` and `SYSTEM_USER` are only observed. A Graph written separately may leave it out
 * or answer another value: who holds an asset is decided by the id against the people listings
 * (README [INF] "AssignedUser user_type"), never by the hint against them. How a check for updates
 * types the holders of `listAssignments` (by its listings) is held in `system-user-holder.test.ts`.
 */
const employee = SANDBOX.employees[0]; // holds act_111 in the sandbox fixture

/** Every `assigned_users` row answered with `user_type` set to `value`, or without it. */
const userTypeAs = (value: string | undefined): Reading => async (op, forward) => {
  const a = await forward();
  if (op.method === 'GET' && op.path.endsWith('/assigned_users') && Array.isArray(a.body?.data)) {
    for (const row of a.body.data) {
      if (value === undefined) delete row.user_type;
      else row.user_type = value;
    }
  }
  return a;
};

describe('meta-business connector: who holds an asset when user_type says otherwise', () => {
  const served = servedEmulator();

  test('a person\'s re-read: their row answered SYSTEM_USER is still their member grant', async () => {
    const c = served.connector(userTypeAs('SYSTEM_USER'));
    const person = await c.readPerson!({ memberId: employee, assets: [{ type: 'ad_account', id: 'act_111' }] });
    assert.deepEqual(person.members.map((m) => m.id), [employee]);
    assert.deepEqual(person.assignments.map((a) => [a.userId, a.userType]), [[employee, 'member']]);
  });

  test('a person\'s re-read: a row without user_type is their member grant', async () => {
    const c = served.connector(userTypeAs(undefined));
    const person = await c.readPerson!({ memberId: employee, assets: [{ type: 'ad_account', id: 'act_111' }] });
    assert.deepEqual(person.assignments.map((a) => [a.userId, a.userType, a.tasks]), [[employee, 'member', ['ADVERTISE', 'ANALYZE']]]);
  });
});
