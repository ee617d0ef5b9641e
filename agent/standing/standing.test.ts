import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppInviteRecord, AppMemberRecord, ExemptionRecord } from '../app-state/records.ts';
import { exemptionInForce } from './exemption.ts';
import { inviteIdOf, inviteRowId, partnerRowId, rowKindOf } from './row-ids.ts';
import { decideStanding, toScimStatus, type MatchedRow, type Standing } from './standing.ts';

const at = '2026-01-01T00:00:00Z';
const member = (role: string): AppMemberRecord => ({ hubId: 'h', id: 'm1', role, firstSeenAt: at, lastSeenAt: at });
const invite = (status: AppInviteRecord['status'], resendCount = 0): AppInviteRecord => ({ hubId: 'h', id: 'i1', email: 'a@b.c', role: 'STAFF', status, sentByHubwarden: true, resendCount, lastSeenAt: at });
const exemption: ExemptionRecord = { hubId: 'h', memberId: 'm1', reason: 'agency', by: 'owner', at };

describe('standing: one decision for the members view, write-back and the SCIM extension', () => {
  const cases: Array<{ name: string; rows: MatchedRow[]; standing: Standing; scim: string; appRole?: string }> = [
    { name: 'no row', rows: [], standing: 'none', scim: 'not_in_hub' },
    { name: 'a matched member', rows: [{ rowId: 'm1', outcome: 'onboarded', member: member('BOSS') }], standing: 'onboarded', scim: 'onboarded', appRole: 'BOSS' },
    { name: 'a matched pending invite', rows: [{ rowId: 'invite:i1', outcome: 'onboarded', invite: invite('pending') }], standing: 'invited', scim: 'pending_invite', appRole: 'STAFF' },
    { name: 'an expired invite', rows: [{ rowId: 'invite:i1', outcome: 'onboarded', invite: invite('expired') }], standing: 'invite-lapsed', scim: 'pending_invite', appRole: 'STAFF' },
    { name: 'the member wins over an old invite', rows: [{ rowId: 'invite:i1', outcome: 'onboarded', invite: invite('pending') }, { rowId: 'm1', outcome: 'onboarded', member: member('BOSS') }], standing: 'onboarded', scim: 'onboarded', appRole: 'BOSS' },
    { name: 'an exemption in force wins, keeping the held role', rows: [{ rowId: 'm1', outcome: 'onboarded', member: member('BOSS'), exemption }], standing: 'exempted', scim: 'exempted', appRole: 'BOSS' },
    { name: 'matching said exempted', rows: [{ rowId: 'm1', outcome: 'exempted', member: member('BOSS') }], standing: 'exempted', scim: 'exempted', appRole: 'BOSS' },
    { name: 'an owner matched a guest', rows: [{ rowId: 'm1', outcome: 'guest', member: member('BOSS') }], standing: 'guest', scim: 'guest', appRole: 'BOSS' },
    { name: 'an invite still unmatched', rows: [{ rowId: 'invite:i1', outcome: 'unmatched', invite: invite('pending') }], standing: 'invited', scim: 'pending_invite', appRole: 'STAFF' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const s = decideStanding(c.rows);
      assert.equal(s.standing, c.standing);
      assert.equal(toScimStatus(s.standing), c.scim);
      assert.equal(s.appRole, c.appRole);
      assert.deepEqual(s.rows, c.rows.map((r) => r.rowId));
    });
  }
});

describe('exemption in force: dates parsed, never compared as strings', () => {
  const cases: Array<{ until?: string; now: string; inForce: boolean }> = [
    { now: '2026-06-01T00:00:00Z', inForce: true },
    { until: '2026-03-01T00:00:00Z', now: '2026-02-28T23:59:59Z', inForce: true },
    { until: '2026-03-01T00:00:00Z', now: '2026-03-01T00:00:00Z', inForce: false },
    // As strings, '2026-03-01' < '2026-03-01T00:00:00.000Z' would call it lapsed a whole day early or never.
    { until: '2026-03-01', now: '2026-02-28T12:00:00.000Z', inForce: true },
    { until: '2026-03-01T01:00:00+02:00', now: '2026-02-28T23:30:00Z', inForce: false },
    { until: 'not a date', now: '2026-02-28T12:00:00Z', inForce: true },
  ];
  for (const c of cases) {
    test(`until ${c.until ?? '(none)'} at ${c.now}: ${c.inForce ? 'in force' : 'lapsed'}`, () => {
      assert.equal(exemptionInForce(c.until === undefined ? {} : { until: c.until }, c.now), c.inForce);
      assert.equal(exemptionInForce(c.until === undefined ? {} : { until: c.until }, new Date(c.now)), c.inForce);
    });
  }
  test('no exemption is never in force', () => assert.equal(exemptionInForce(undefined, Date.now()), false));
});

test('row ids: one spelling, read back', () => {
  assert.equal(inviteIdOf(inviteRowId('77')), '77');
  assert.equal(inviteIdOf('77'), undefined);
  assert.equal(rowKindOf(partnerRowId('2000', 'u1')), 'partner-user');
  assert.equal(rowKindOf(inviteRowId('7')), 'invite');
  assert.equal(rowKindOf('1234'), 'member');
});
