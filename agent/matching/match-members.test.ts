import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEPARTED, EMAIL_CHANGED, SYSTEM_USER, matchMembers, type MatchingInput, type MemberRow } from './match-members.ts';
import type { ExemptionRecord, MemberMatchRecord } from '../app-state/records.ts';

const NOW = '2026-11-23T12:00:00.000Z';
const directoryUsers = [
  { id: 'u-jane', emails: ['Jane.Doe@Example.com', 'jd@example.org'] },
  { id: 'u-john', emails: ['john@example.com'] },
  { id: 'u-sam1', emails: ['sam@example.com'] },
  { id: 'u-sam2', emails: ['SAM@example.com'] },
];
const exemption = (memberId: string, until?: string): ExemptionRecord => ({ hubId: 'h', memberId, reason: 'agency owner', by: 'admin', at: NOW, ...(until ? { until } : {}) });
const decision = (memberId: string, outcome: MemberMatchRecord['outcome'], directoryUserId?: string, hubRole?: string): MemberMatchRecord => ({
  hubId: 'h', memberId, outcome, manual: true, at: NOW, ...(directoryUserId ? { directoryUserId } : {}), ...(hubRole ? { hubRole } : {}),
});

/** A match an earlier check made by email (stored in memberMatches). */
const auto = (memberId: string, directoryUserId: string): MemberMatchRecord => ({ hubId: 'h', memberId, outcome: 'onboarded', manual: false, directoryUserId, at: '2026-11-01T00:00:00.000Z' });

interface Case {
  name: string;
  row: MemberRow;
  extra?: Partial<MatchingInput>;
  expect: Partial<MemberMatchRecord>;
  lapsed?: number;
}

const cases: Case[] = [
  { name: 'exact email, different case → onboarded', row: { id: 'm1', kind: 'member', email: 'jane.doe@example.COM' }, expect: { outcome: 'onboarded', directoryUserId: 'u-jane', manual: false } },
  { name: 'secondary email of the directory user → onboarded', row: { id: 'm2', kind: 'member', email: 'JD@example.org' }, expect: { outcome: 'onboarded', directoryUserId: 'u-jane' } },
  { name: 'pending invite email → onboarded', row: { id: 'invite:9', kind: 'invite', email: 'john@example.com' }, expect: { outcome: 'onboarded', directoryUserId: 'u-john' } },
  { name: 'two directory users share the email → unmatched, disputed', row: { id: 'm3', kind: 'member', email: 'sam@example.com' }, expect: { outcome: 'unmatched', candidates: ['u-sam1', 'u-sam2'] } },
  { name: 'no directory user → unmatched', row: { id: 'm4', kind: 'member', email: 'contractor@agency.com' }, expect: { outcome: 'unmatched', candidates: undefined } },
  { name: 'no email at all → unmatched', row: { id: 'm5', kind: 'member' }, expect: { outcome: 'unmatched' } },
  { name: 'registered guest email → guest', row: { id: 'm6', kind: 'member', email: 'Guest@Partner.com' }, extra: { guests: [{ email: 'guest@partner.com' }] }, expect: { outcome: 'guest' } },
  { name: "partner's person → guest even with a directory email", row: { id: 'partner:2:7', kind: 'partner-user', email: 'john@example.com' }, expect: { outcome: 'guest', directoryUserId: undefined } },
  { name: 'exempted → exempted, keeps the directory user for write-back', row: { id: 'm1', kind: 'member', email: 'jane.doe@example.com' }, extra: { exemptions: [exemption('m1')] }, expect: { outcome: 'exempted', directoryUserId: 'u-jane' } },
  { name: 'exemption with future expiry → exempted', row: { id: 'm4', kind: 'member', email: 'contractor@agency.com' }, extra: { exemptions: [exemption('m4', '2027-01-01T00:00:00Z')] }, expect: { outcome: 'exempted' } },
  { name: 'a system user listed among the members → unmatched, whatever its email', row: { id: 'm1', kind: 'member', email: 'jane.doe@example.com' }, extra: { systemUserIds: new Set(['m1']) }, expect: { outcome: 'unmatched', directoryUserId: undefined, candidates: undefined, reason: SYSTEM_USER } },
  { name: 'a system user is unmatched over an earlier automatic match and an owner\'s match', row: { id: 'm1', kind: 'member', email: 'jane.doe@example.com' }, extra: { systemUserIds: new Set(['m1']), previous: [auto('m1', 'u-jane')], decisions: [decision('m1', 'onboarded', 'u-john')] }, expect: { outcome: 'unmatched', directoryUserId: undefined } },
  { name: 'lapsed exemption → back to matching, reported', row: { id: 'm1', kind: 'member', email: 'jane.doe@example.com' }, extra: { exemptions: [exemption('m1', '2026-11-01T00:00:00Z')] }, expect: { outcome: 'onboarded', directoryUserId: 'u-jane' }, lapsed: 1 },
  { name: 'manual match wins over email', row: { id: 'm4', kind: 'member', email: 'contractor@agency.com' }, extra: { decisions: [decision('m4', 'onboarded', 'u-john', 'manager')] }, expect: { outcome: 'onboarded', directoryUserId: 'u-john', hubRole: 'manager', manual: true } },
  { name: 'manual match resolves a dispute', row: { id: 'm3', kind: 'member', email: 'sam@example.com' }, extra: { decisions: [decision('m3', 'onboarded', 'u-sam2')] }, expect: { outcome: 'onboarded', directoryUserId: 'u-sam2', candidates: undefined } },
  { name: 'manual un-match wins over an email match', row: { id: 'm1', kind: 'member', email: 'jane.doe@example.com' }, extra: { decisions: [decision('m1', 'unmatched')] }, expect: { outcome: 'unmatched', directoryUserId: undefined, manual: true } },
  { name: 'manual match to a deleted directory user → email matching again', row: { id: 'm1', kind: 'member', email: 'jane.doe@example.com' }, extra: { decisions: [decision('m1', 'onboarded', 'u-gone')] }, expect: { outcome: 'onboarded', directoryUserId: 'u-jane', manual: false } },
  // An owner matched a personal address by hand to a user the IdP then deleted, the seat still to remove.
  { name: 'manual match to a deleted directory user, removal pending → stays theirs, no hub role', row: { id: 'm4', kind: 'member', email: 'contractor@agency.com' }, extra: { decisions: [decision('m4', 'onboarded', 'u-gone', 'manager')], departedUserIds: ['u-gone'] }, expect: { outcome: 'onboarded', directoryUserId: 'u-gone', manual: true, reason: DEPARTED, hubRole: undefined } },
  { name: 'manual match to a deleted user, removal pending, a live user has the email → that user', row: { id: 'm1', kind: 'member', email: 'jane.doe@example.com' }, extra: { decisions: [decision('m1', 'onboarded', 'u-gone')], departedUserIds: ['u-gone'] }, expect: { outcome: 'onboarded', directoryUserId: 'u-jane', manual: false } },
  { name: 'exemption wins over a manual match', row: { id: 'm4', kind: 'member' }, extra: { decisions: [decision('m4', 'onboarded', 'u-john')], exemptions: [exemption('m4')] }, expect: { outcome: 'exempted', directoryUserId: 'u-john' } },
  // Jane's email changed in the IdP from jane.old@example.com: her seat stays hers.
  { name: 'email changed in the IdP → stays matched to the same directory user', row: { id: 'm7', kind: 'member', email: 'jane.old@example.com' }, extra: { previous: [auto('m7', 'u-jane')] }, expect: { outcome: 'onboarded', directoryUserId: 'u-jane', manual: false, reason: EMAIL_CHANGED } },
  { name: 'email changed, pending invite → stays matched', row: { id: 'invite:8', kind: 'invite', email: 'jane.old@example.com' }, extra: { previous: [auto('invite:8', 'u-jane')] }, expect: { outcome: 'onboarded', directoryUserId: 'u-jane' } },
  { name: 'email changed, that directory user deleted, removal pending → stays theirs', row: { id: 'm7', kind: 'member', email: 'jane.old@example.com' }, extra: { previous: [auto('m7', 'u-gone')], departedUserIds: ['u-gone'] }, expect: { outcome: 'onboarded', directoryUserId: 'u-gone', manual: false, reason: DEPARTED } },
  { name: 'deleted user, removal pending, another user now has the email → that user', row: { id: 'm7', kind: 'member', email: 'john@example.com' }, extra: { previous: [auto('m7', 'u-gone')], departedUserIds: ['u-gone'] }, expect: { outcome: 'onboarded', directoryUserId: 'u-john', reason: undefined } },
  // Jane's seat was disputed by Bob (he took her old email); the IdP then deleted Bob, his seat
  // still to be removed. The seat is not Bob's to remove: the dispute's other side still stands.
  { name: 'disputed row, one candidate deleted with a seat to remove → never matched to them (no removal)', row: { id: 'm7', kind: 'member', email: 'bob.was.jane@example.com' }, extra: { previous: [{ ...auto('m7', 'u-jane'), outcome: 'unmatched', directoryUserId: undefined, candidates: ['u-bob', 'u-jane'] } as MemberMatchRecord], departedUserIds: ['u-bob'] }, expect: { outcome: 'onboarded', directoryUserId: 'u-jane', reason: EMAIL_CHANGED } },
  { name: 'email changed, that directory user deleted since → unmatched', row: { id: 'm7', kind: 'member', email: 'jane.old@example.com' }, extra: { previous: [auto('m7', 'u-gone')] }, expect: { outcome: 'unmatched', directoryUserId: undefined } },
  { name: "email changed and another user now has the old email → disputed", row: { id: 'm7', kind: 'member', email: 'john@example.com' }, extra: { previous: [auto('m7', 'u-jane')] }, expect: { outcome: 'unmatched', directoryUserId: undefined, candidates: ['u-jane', 'u-john'] } },
  { name: 'a dispute stays until an owner decides, even once one side has the email alone', row: { id: 'm7', kind: 'member', email: 'john@example.com' }, extra: { previous: [{ ...auto('m7', 'u-jane'), outcome: 'unmatched', directoryUserId: undefined, candidates: ['u-jane', 'u-john'] } as MemberMatchRecord] }, expect: { outcome: 'unmatched', candidates: ['u-jane', 'u-john'] } },
  { name: 'email changed, manual un-match still wins', row: { id: 'm7', kind: 'member', email: 'jane.old@example.com' }, extra: { previous: [auto('m7', 'u-jane')], decisions: [decision('m7', 'unmatched')] }, expect: { outcome: 'unmatched', directoryUserId: undefined, manual: true } },
  // A guest registration names an email, not a seat: it takes no seat from the directory user a
  // recorded email change keeps it with, as it takes none whose email names one (docs/security.md 187).
  { name: 'email changed, old email registered as guest → still the directory user', row: { id: 'm7', kind: 'member', email: 'jane.old@example.com' }, extra: { previous: [auto('m7', 'u-jane')], guests: [{ email: 'jane.old@example.com' }] }, expect: { outcome: 'onboarded', directoryUserId: 'u-jane', reason: EMAIL_CHANGED } },
  { name: 'email changed, old email registered as guest, another user has it → disputed, not a guest', row: { id: 'm7', kind: 'member', email: 'john@example.com' }, extra: { previous: [auto('m7', 'u-jane')], guests: [{ email: 'john@example.com' }] }, expect: { outcome: 'unmatched', directoryUserId: undefined, candidates: ['u-jane', 'u-john'] } },
  { name: 'email changed, that user deleted since, old email registered as guest → guest', row: { id: 'm7', kind: 'member', email: 'jane.old@example.com' }, extra: { previous: [auto('m7', 'u-gone')], guests: [{ email: 'jane.old@example.com' }] }, expect: { outcome: 'guest' } },
  { name: 'email changed, exempted → keeps the directory user', row: { id: 'm7', kind: 'member', email: 'jane.old@example.com' }, extra: { previous: [auto('m7', 'u-jane')], exemptions: [exemption('m7')] }, expect: { outcome: 'exempted', directoryUserId: 'u-jane' } },
  { name: "an owner's earlier manual match (since removed) is not kept as automatic", row: { id: 'm7', kind: 'member', email: 'jane.old@example.com' }, extra: { previous: [{ ...auto('m7', 'u-jane'), manual: true }] }, expect: { outcome: 'unmatched', directoryUserId: undefined } },
  // Plus-addressing is another address: a mailbox provider may route it to the same person, but
  // nothing says this one does (RFC 5321 §2.4: the local part is the receiving host's to interpret).
  { name: 'plus-addressed email is not its base address → unmatched', row: { id: 'm8', kind: 'member', email: 'john+meta@example.com' }, expect: { outcome: 'unmatched', directoryUserId: undefined } },
  { name: 'surrounding whitespace in the app email → still matched', row: { id: 'm9', kind: 'member', email: '  John@Example.com ' }, expect: { outcome: 'onboarded', directoryUserId: 'u-john' } },
  { name: "one user's secondary email is another's primary → disputed", row: { id: 'm10', kind: 'member', email: 'jd@example.org' }, extra: { directoryUsers: [...directoryUsers, { id: 'u-jd', emails: ['JD@example.org'] }] }, expect: { outcome: 'unmatched', candidates: ['u-jane', 'u-jd'] } },
  { name: 'the app hides the email of a seat matched earlier → stays with that user', row: { id: 'm11', kind: 'member' }, extra: { previous: [auto('m11', 'u-john')] }, expect: { outcome: 'onboarded', directoryUserId: 'u-john' } },
  { name: 'directory match wins over a guest registration', row: { id: 'm2', kind: 'member', email: 'john@example.com' }, extra: { guests: [{ email: 'john@example.com' }] }, expect: { outcome: 'onboarded', directoryUserId: 'u-john' } },
];

describe('matchMembers', () => {
  for (const c of cases) {
    test(c.name, () => {
      const input: MatchingInput = { hubId: 'h', now: NOW, rows: [c.row], directoryUsers, guests: [], exemptions: [], decisions: [], ...c.extra };
      const { matches, lapsedExemptions } = matchMembers(input);
      assert.equal(matches.length, 1);
      assert.equal(matches[0].memberId, c.row.id);
      for (const [key, value] of Object.entries(c.expect)) assert.deepEqual((matches[0] as any)[key], value, key);
      assert.equal(lapsedExemptions.length, c.lapsed ?? 0);
      // store records never carry undefined-valued keys
      for (const v of Object.values(matches[0])) assert.notEqual(v, undefined);
    });
  }

  test('one outcome per row, in row order', () => {
    const rows: MemberRow[] = [
      { id: 'a', kind: 'member', email: 'john@example.com' },
      { id: 'invite:b', kind: 'invite', email: 'nobody@example.com' },
      { id: 'partner:2:c', kind: 'partner-user' },
    ];
    const { matches } = matchMembers({ hubId: 'h', now: NOW, rows, directoryUsers, guests: [], exemptions: [], decisions: [] });
    assert.deepEqual(matches.map((m) => [m.memberId, m.outcome]), [['a', 'onboarded'], ['invite:b', 'unmatched'], ['partner:2:c', 'guest']]);
  });
});
