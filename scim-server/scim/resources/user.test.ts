import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toUserRecord } from './user.ts';

test('a suspension (from the IdP event hook) is kept across SCIM writes, and ended by a SCIM reactivation', () => {
  const at = '2026-12-04T00:00:00.000Z';
  const suspended = { ...toUserRecord('h', 'u1', { userName: 'sam@example.com', active: true }, undefined, at), suspended: { at, by: 'okta-event-hook' } };
  const rewritten = toUserRecord('h', 'u1', { userName: 'sam@example.com', active: true, displayName: 'Sam' }, suspended, at);
  assert.deepEqual(rewritten.suspended, suspended.suspended, 'a PUT or PATCH from the IdP keeps it');
  const deactivated = toUserRecord('h', 'u1', { userName: 'sam@example.com', active: false }, rewritten, at);
  assert.deepEqual(deactivated.suspended, suspended.suspended);
  const reactivated = toUserRecord('h', 'u1', { userName: 'sam@example.com', active: true }, deactivated, at);
  assert.equal(reactivated.suspended, undefined, 'deactivated then reactivated in the IdP: active again');
});
