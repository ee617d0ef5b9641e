/**
 * Matching (match-members.ts) of the cases a security review asked about: spellings of one email
 * (case, Unicode form, whitespace) against spellings that are other addresses (a plus tag, a
 * trailing dot), an email two directory users share (the outcome the same whatever order the
 * directory lists them in), and an exemption laid over a disputed seat: the dispute stays through
 * the exemption, so ending it (or its lapse) leaves the seat for an owner to decide, as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchMembers, type DirectoryIdentity, type MatchingInput, type MemberRow } from './match-members.ts';
import type { ExemptionRecord, MemberMatchRecord } from '../app-state/records.ts';

const NOW = '2026-12-07T12:00:00.000Z';
const base = (rows: MemberRow[], directoryUsers: DirectoryIdentity[], extra: Partial<MatchingInput> = {}): MatchingInput => ({ hubId: 'h', now: NOW, rows, directoryUsers, guests: [], exemptions: [], decisions: [], ...extra });
const exemption = (memberId: string): ExemptionRecord => ({ hubId: 'h', memberId, reason: 'until the owners decide', by: 'boss@acme.example', at: NOW });
const brief = (m: MemberMatchRecord) => [m.outcome, m.directoryUserId, m.candidates];

test('an exemption over a disputed seat keeps the dispute: ended, the seat is disputed again, not given to the candidate left with its email', () => {
  // Jane's seat, under her old email john@example.com, which the IdP has since given to John.
  const users = [{ id: 'u-jane', emails: ['jane@example.com'] }, { id: 'u-john', emails: ['john@example.com'] }];
  const row: MemberRow = { id: 'm7', kind: 'member', email: 'john@example.com' };
  const disputed: MemberMatchRecord = { hubId: 'h', memberId: 'm7', outcome: 'unmatched', manual: false, candidates: ['u-jane', 'u-john'], at: NOW };
  const exempted = matchMembers(base([row], users, { previous: [disputed], exemptions: [exemption('m7')] })).matches[0]!;
  assert.deepEqual(brief(exempted), ['exempted', undefined, ['u-jane', 'u-john']], 'exempted, still disputed');
  // The exemption ended (or lapsed): matched again from the exempted record stored.
  const after = matchMembers(base([row], users, { previous: [exempted] })).matches[0]!;
  assert.deepEqual(brief(after), ['unmatched', undefined, ['u-jane', 'u-john']], 'an owner decides, as before the exemption');
  // A seat matched to one person keeps only that person through an exemption, as before.
  const johns = matchMembers(base([{ id: 'm8', kind: 'member', email: 'john@example.com' }], users, { exemptions: [exemption('m8')] })).matches[0]!;
  assert.deepEqual(brief(johns), ['exempted', 'u-john', undefined]);
});

test('one address however spelled (case, Unicode form, whitespace); a plus tag or a trailing dot is another address', () => {
  const users = [
    { id: 'u-ann', emails: ['ann@example.com'] },
    { id: 'u-ann-ads', emails: ['ann+ads@example.com'] },
    { id: 'u-ann-dot', emails: ['ann@example.com.'] },
    { id: 'u-jose', emails: ['Jose\u0301@Example.com'] },
  ];
  const rows: MemberRow[] = [
    { id: 'm1', kind: 'member', email: ' ANN@Example.COM\t' },
    { id: 'm2', kind: 'member', email: 'Ann+Ads@example.com' },
    { id: 'm3', kind: 'member', email: 'ann@example.com.' },
    { id: 'm4', kind: 'member', email: 'jos\u00e9@example.com' },
    { id: 'm5', kind: 'member', email: 'ann+other@example.com' },
  ];
  assert.deepEqual(matchMembers(base(rows, users)).matches.map(brief), [
    ['onboarded', 'u-ann', undefined],
    ['onboarded', 'u-ann-ads', undefined],
    ['onboarded', 'u-ann-dot', undefined],
    ['onboarded', 'u-jose', undefined],
    ['unmatched', undefined, undefined],
  ]);
});

test('an email two directory users share, spelled differently, is disputed between both, whatever order the directory lists them in', () => {
  const users = [{ id: 'u-sam2', emails: ['SAM@example.com'] }, { id: 'u-sam1', emails: ['sam@example.com '] }, { id: 'u-sam3', emails: ['other@example.com'] }];
  const row: MemberRow = { id: 'm1', kind: 'member', email: 'Sam@Example.com' };
  const outcomes = [users, [...users].reverse(), [users[1]!, users[2]!, users[0]!]].map((order) => brief(matchMembers(base([row], order)).matches[0]!));
  for (const o of outcomes) assert.deepEqual(o, ['unmatched', undefined, ['u-sam1', 'u-sam2']]);
  // One of them deactivated (a leaver and the rehire with the same address): the active one's, in any order.
  const rehire = users.map((u) => (u.id === 'u-sam2' ? { ...u, deactivated: true as const } : u));
  for (const order of [rehire, [...rehire].reverse()]) assert.deepEqual(brief(matchMembers(base([row], order)).matches[0]!), ['onboarded', 'u-sam1', undefined]);
});
