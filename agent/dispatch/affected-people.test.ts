import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testHub } from '../grants/grant-fixtures.ts';
import type { DirectoryChange } from '../desired-state/delta.ts';
import { affectedPeople } from './affected-people.ts';

describe('affected people', () => {
  const hub = testHub();
  hub.teams.push({ group: 'Caf\u00e9 Marketing', hubRole: 'collaborator', appRole: 'EMPLOYEE', assets: [] });
  const cases: Array<[string, DirectoryChange[], string[]]> = [
    ['user changes name their user', [{ kind: 'user-deactivated', userId: 'u1' }, { kind: 'user-created', userId: 'u2' }], ['u1', 'u2']],
    ['members added to and removed from a mapped group (any case)', [{ kind: 'group-members', groupId: 'g', displayName: 'meta advertisers', added: ['u1'], removed: ['u2'] }], ['u1', 'u2']],
    ['an unmapped group changes nobody', [{ kind: 'group-members', groupId: 'g', displayName: 'Everyone', added: ['u1'], removed: [] }], []],
    ['renaming into a mapped name affects its members', [{ kind: 'group-renamed', groupId: 'g', from: 'Old', to: 'Meta Admins', members: ['u3'] }], ['u3']],
    ['deleting a mapped group affects its members', [{ kind: 'group-deleted', groupId: 'g', displayName: 'Meta Admins', members: ['u4'] }], ['u4']],
    // Okta's AIW apps rename with a PUT carrying the full member list: one entry holds the rename and
    // the members it dropped, named by the group's new (here unmapped) name.
    ['renaming a mapped group away while removing members affects those removed too', [
      { kind: 'group-renamed', groupId: 'g', from: 'Meta Admins', to: 'Meta Admins (old)', members: ['u1', 'u3'] },
      { kind: 'group-members', groupId: 'g', displayName: 'Meta Admins (old)', added: ['u3'], removed: ['u2'] },
    ], ['u1', 'u2', 'u3']],
    // A group sent with a decomposed character ("e" + U+0301) is the team configured precomposed (groupKey).
    ['a mapped group sent in another Unicode form (NFD) is mapped', [{ kind: 'group-members', groupId: 'c', displayName: 'Cafe\u0301 Marketing', added: ['u5'], removed: ['u6'] }], ['u5', 'u6']],
    ['the same person twice is one reconcile', [{ kind: 'group-members', groupId: 'g', displayName: 'Meta Advertisers', added: [], removed: ['u1'] }, { kind: 'group-members', groupId: 'h', displayName: 'Meta Admins', added: ['u1'], removed: [] }], ['u1']],
  ];
  for (const [name, changes, want] of cases) test(name, () => assert.deepEqual([...affectedPeople(hub, changes).keys()].sort(), want));
  test('a deleted user keeps the emails that identify their seat', () => {
    const p = affectedPeople(hub, [{ kind: 'user-deleted', userId: 'u9', userName: 'Jane@Example.com', emails: ['jane@example.com'] }]);
    assert.deepEqual(p.get('u9')?.emails, ['jane@example.com']);
  });
  test('a deleted user\'s email-like userName counts only when they had no email, as matching counts it', () => {
    const p = affectedPeople(hub, [
      { kind: 'user-deleted', userId: 'u8', userName: 'jsmith@example.com', emails: ['john.smith@example.com'] },
      { kind: 'user-deleted', userId: 'u7', userName: 'Kim@Example.com', emails: [] },
    ]);
    assert.deepEqual(p.get('u8')?.emails, ['john.smith@example.com']);
    assert.deepEqual(p.get('u7')?.emails, ['kim@example.com']);
  });
});
