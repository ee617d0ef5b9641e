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

test('an offboarding\'s hold (a leaver action) is kept across SCIM writes, and ended by a SCIM reactivation', () => {
  const at = '2026-12-05T00:00:00.000Z';
  const held = { ...toUserRecord('h', 'u1', { userName: 'leo@example.com', active: true }, undefined, at), offboarded: { at, by: 'entra-lifecycle' } };
  const rewritten = toUserRecord('h', 'u1', { userName: 'leo@example.com', active: true, displayName: 'Leo' }, held, at);
  assert.deepEqual(rewritten.offboarded, held.offboarded, 'a PUT or PATCH from the IdP that leaves the person active keeps it');
  const deactivated = toUserRecord('h', 'u1', { userName: 'leo@example.com', active: false }, rewritten, at);
  assert.deepEqual(deactivated.offboarded, held.offboarded);
  const reactivated = toUserRecord('h', 'u1', { userName: 'leo@example.com', active: true }, deactivated, at);
  assert.equal(reactivated.offboarded, undefined, 'deactivated then reactivated in the IdP (a rehire, the app re-assigned): held no more');
});

test('emails are kept trimmed on the record (what invites and matching use), as sent in the SCIM resource', () => {
  const at = '2026-12-05T00:00:00.000Z';
  const sent = [{ value: ' Kim@Example.com\t', primary: true }, { value: '  ' }, { value: 'kim.alt@example.com ' }];
  const r = toUserRecord('h', 'u1', { userName: 'kim@example.com', active: true, emails: sent }, undefined, at);
  assert.equal(r.email, 'Kim@Example.com');
  assert.deepEqual(r.emails, ['Kim@Example.com', 'kim.alt@example.com']);
  assert.deepEqual(r.scim.emails, sent, 'the resource echoes what the IdP sent');
});
