import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toInvite, toMember } from './rows.ts';

/** README [INF] #72: a row's `user_email` kept trimmed and lower-cased; a pending invitation lapses too. */
test("a member's and an invitation's user_email are kept trimmed and lower-cased; a blank one is no address", () => {
  assert.equal(toMember({ user_id: '7200000000000000103', user_role: 'STANDARD', user_email: '  Eve.M@Sandbox.EXAMPLE \t' }).email, 'eve.m@sandbox.example');
  assert.equal('email' in toMember({ user_id: '7200000000000000104', user_role: 'STANDARD', user_email: '   ' }), false);
  assert.equal('email' in toMember({ user_id: '7200000000000000105', user_role: 'ADMIN' }), false);
  const inv = toInvite({ user_role: 'STANDARD', relation_status: 'PENDING', user_email: ' New.Hire@Sandbox.Example  ' });
  assert.deepEqual([inv.id, inv.email], ['new.hire@sandbox.example', 'new.hire@sandbox.example']);
});

test('a PENDING invitation carries the assumed lifetime (TikTok gives none); a REJECTED one is declined, with none', () => {
  assert.equal(toInvite({ user_role: 'STANDARD', relation_status: 'PENDING', user_email: 'a@x.example' }).assumedLifetimeMs, 14 * 86_400_000);
  const declined = toInvite({ user_role: 'STANDARD', relation_status: 'REJECTED', user_email: 'b@x.example' });
  assert.equal(declined.status, 'declined');
  assert.equal(declined.assumedLifetimeMs, undefined);
});
