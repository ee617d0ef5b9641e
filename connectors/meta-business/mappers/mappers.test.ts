import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { memberRole, toMember, toSystemUser } from './member.ts';
import { toInvite, inviteStatusOf } from './invite.ts';
import { toAsset, toAssignment } from './asset.ts';
import { toPartner } from './partner.ts';
import { ConnectorError } from '../../sdk/connector-error.ts';

const recorded = JSON.parse(readFileSync(new URL('../recorded/graph-responses.json', import.meta.url), 'utf8'));

describe('mappers on recorded Graph responses', () => {
  test('business_users → members', () => {
    const members = recorded.business_users.body.data.map(toMember);
    assert.deepEqual(members, [{ id: '1002003004005', email: 'some@email.com', name: 'Alpha MK', role: 'EMPLOYEE' }]);
  });
  test('pending_users → invites', () => {
    const [invite] = recorded.pending_users.body.data.map((r: never) => toInvite(r));
    assert.deepEqual(invite, { id: '5550001', email: 'some@email.com', role: 'EMPLOYEE', status: 'pending' });
  });
  test('assigned_users → assignments', () => {
    const [a] = recorded.assigned_users.body.data.map((r: never) => toAssignment({ type: 'ad_account', id: 'act_9' }, r, '555'));
    assert.deepEqual(a, { asset: { type: 'ad_account', id: 'act_9' }, userId: '100200300', userName: 'Jane', userType: 'member', businessId: '555', tasks: ['ADVERTISE', 'ANALYZE'] });
  });
  test('clients → partner with page permissions', () => {
    const [p] = recorded.clients.body.data.map((r: never) => toPartner(r, 'client'));
    assert.equal(p.businessId, '190137931178903');
    assert.equal(p.relation, 'client');
    assert.deepEqual(p.assets, [{ type: 'page', id: '1900952844321', permittedTasks: ['MANAGE', 'CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE'], accessStatus: 'CLIENT_RESPONSE_PENDING' }]);
  });
});

describe('mapper details', () => {
  test('an invite past expiration_time is expired even while PENDING', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    const inv = toInvite({ id: '1', email: 'A@X.com', role: 'admin', status: 'PENDING', expiration_time: '2026-01-09T00:00:00+0000' }, now);
    assert.equal(inv.status, 'expired');
    assert.equal(inv.email, 'a@x.com');
    assert.equal(inv.role, 'ADMIN');
    assert.equal(inv.expiresAt, '2026-01-09T00:00:00.000Z');
    assert.equal(inviteStatusOf('DECLINE', undefined), 'declined');
    assert.equal(inviteStatusOf('CANCELED', undefined), 'canceled');
  });
  test("a business user's email is trimmed and lower-cased as an invite's is; a blank one is no email", () => {
    assert.equal(toMember({ id: '1', role: 'EMPLOYEE', email: '  Eve.M@Sandbox.EXAMPLE \t' }).email, 'eve.m@sandbox.example');
    assert.equal(toInvite({ id: '2', role: 'EMPLOYEE', email: ' Eve.M@Sandbox.EXAMPLE ', status: 'PENDING' }).email, 'eve.m@sandbox.example');
    assert.equal('email' in toMember({ id: '3', role: 'EMPLOYEE', email: '   ' }), false);
  });
  test('invite times as unix seconds or other ISO forms are read; an unreadable one is left out, never a failed listing', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    const unix = toInvite({ id: '1', email: 'a@x.com', role: 'EMPLOYEE', status: 'PENDING', created_time: 1767225600, expiration_time: '1767916800' }, now);
    assert.deepEqual([unix.createdAt, unix.expiresAt, unix.status], ['2026-01-01T00:00:00.000Z', '2026-01-09T00:00:00.000Z', 'expired']);
    const iso = toInvite({ id: '2', email: 'a@x.com', role: 'EMPLOYEE', status: 'PENDING', expiration_time: '2026-02-01T00:00:00.000Z' }, now);
    assert.deepEqual([iso.expiresAt, iso.status], ['2026-02-01T00:00:00.000Z', 'pending']);
    const odd = toInvite({ id: '3', email: 'a@x.com', role: 'EMPLOYEE', status: 'PENDING', created_time: 'soon', expiration_time: '' }, now);
    assert.deepEqual([odd.createdAt, odd.expiresAt, odd.status], [undefined, undefined, 'pending']);
  });
  test('an invite with no expiry (absent, null, or 0 as Graph writes "never" in unix seconds) is pending with no expiresAt, never expired', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    const noExpiry: Array<string | number | null | undefined> = [undefined, null, 0, '0', -1, '1970-01-01T00:00:00+0000'];
    for (const expiration_time of noExpiry) {
      const inv = toInvite({ id: '1', email: 'a@x.com', role: 'EMPLOYEE', status: 'PENDING', expiration_time: expiration_time as string | undefined }, now);
      assert.deepEqual([inv.status, inv.expiresAt], ['pending', undefined], `expiration_time ${JSON.stringify(expiration_time)}`);
      assert.equal(inviteStatusOf('PENDING', expiration_time as string | undefined, now), 'pending');
    }
    // The API spec's other name for it is read when it is the one given.
    const spec = toInvite({ id: '2', email: 'a@x.com', role: 'EMPLOYEE', status: 'PENDING', expiry_time: '2026-01-09T00:00:00+0000' }, now);
    assert.deepEqual([spec.status, spec.expiresAt], ['expired', '2026-01-09T00:00:00.000Z']);
    // ... also when the other name comes as an unset default (0, '') beside it.
    for (const expiration_time of [0, '0', '']) {
      const both = toInvite({ id: '3', email: 'a@x.com', role: 'EMPLOYEE', status: 'PENDING', expiration_time, expiry_time: '2026-01-09T00:00:00+0000' }, now);
      assert.deepEqual([both.status, both.expiresAt], ['expired', '2026-01-09T00:00:00.000Z'], `expiration_time ${JSON.stringify(expiration_time)}`);
    }
  });
  test('ad account ids are act_ prefixed; client assets keep permitted tasks', () => {
    assert.deepEqual(toAsset('ad_account', { id: '123', name: 'A' }, 'owned'), { type: 'ad_account', id: 'act_123', name: 'A', ownership: 'owned' });
    assert.deepEqual(toAsset('page', { id: '9', permitted_tasks: ['analyze'] }, 'client'), { type: 'page', id: '9', ownership: 'client', permittedTasks: ['ANALYZE'] });
  });
  test('a member\'s role is the base role, or the highest add-on role its tasks hold', () => {
    assert.equal(memberRole({ role: 'EMPLOYEE', tasks: ['DEFAULT', 'FINANCE_EDITOR'] }), 'FINANCE_EDITOR');
    assert.equal(memberRole({ role: 'EMPLOYEE', tasks: ['DEFAULT', 'DEVELOPER', 'FINANCE_ANALYST'] }), 'FINANCE_ANALYST');
    assert.equal(memberRole({ role: 'EMPLOYEE', tasks: ['DEFAULT', 'ADS_RIGHTS_REVIEWER'] }), 'ADS_RIGHTS_REVIEWER');
    assert.equal(memberRole({ role: 'ADMIN', tasks: ['MANAGE', 'FINANCE_EDITOR'] }), 'ADMIN');
    assert.equal(memberRole({ role: 'FINANCE_ANALYST', tasks: ['DEFAULT', 'DEVELOPER'] }), 'FINANCE_ANALYST', 'an add-on in role counts with those in tasks');
    assert.equal(memberRole({ role: 'DEVELOPER', tasks: ['DEFAULT', 'FINANCE_EDITOR'] }), 'FINANCE_EDITOR');
    assert.equal(memberRole({ role: 'EMPLOYEE', tasks: ['DEFAULT', 'FINANCE_EDIT'] }), 'EMPLOYEE', 'undocumented tasks are not mapped');
    assert.equal(toMember({ id: '9', role: 'EMPLOYEE', tasks: ['DEFAULT', 'DEVELOPER'] }).role, 'DEVELOPER');
  });
  test('a finance role in finance_permission is held like one in tasks; ADMIN still wins, the highest counts', () => {
    assert.equal(memberRole({ role: 'EMPLOYEE', tasks: ['DEFAULT', 'FINANCE_EDIT'], finance_permission: 'EDITOR' }), 'FINANCE_EDITOR');
    assert.equal(memberRole({ role: 'EMPLOYEE', finance_permission: 'analyst' }), 'FINANCE_ANALYST');
    assert.equal(memberRole({ role: 'EMPLOYEE', tasks: ['DEFAULT', 'DEVELOPER'], finance_permission: 'ANALYST' }), 'FINANCE_ANALYST');
    assert.equal(memberRole({ role: 'EMPLOYEE', tasks: ['DEFAULT', 'FINANCE_EDITOR'], finance_permission: 'ANALYST' }), 'FINANCE_EDITOR');
    assert.equal(memberRole({ role: 'ADMIN', tasks: ['MANAGE'], finance_permission: 'EDITOR' }), 'ADMIN');
    assert.equal(memberRole({ role: 'EMPLOYEE', tasks: ['DEFAULT', 'DEVELOPER'], finance_permission: 'AUDITOR' }), 'DEVELOPER', 'unknown values are not mapped');
    assert.equal(toMember({ id: '9', role: 'EMPLOYEE', tasks: ['DEFAULT'], finance_permission: 'EDITOR' }).role, 'FINANCE_EDITOR');
  });
  test('system users and members upper-case roles; one (or an invite) answered without a role is refused, never taken for EMPLOYEE', () => {
    assert.deepEqual(toSystemUser({ id: '7', role: 'admin' }), { id: '7', role: 'ADMIN' });
    const unknownRole = (id: string) => (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable' && e.providerCode === 'role-missing' && e.message.includes(id);
    assert.throws(() => toMember({ id: '8' }), unknownRole('8'));
    assert.throws(() => toMember({ id: '8', role: '', tasks: ['DEFAULT', 'FINANCE_EDITOR'] }), unknownRole('8'));
    assert.throws(() => toSystemUser({ id: '9' }), unknownRole('9'));
    // An invite too: an ADMIN invite read as EMPLOYEE is "already" changed to EMPLOYEE, never downgraded.
    assert.throws(() => toInvite({ id: '10', email: 'a@x.com', status: 'PENDING' }), unknownRole('10'));
    assert.throws(() => toInvite({ id: '10', email: 'a@x.com', tasks: ['DEFAULT', 'FINANCE_EDITOR'], status: 'PENDING' }), unknownRole('10'));
    assert.equal(toAssignment({ type: 'page', id: '1' }, { id: '2', user_type: 'SYSTEM_USER', tasks: [] }).userType, 'system-user');
  });
});
