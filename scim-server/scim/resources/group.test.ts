import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DirectoryGroupRecord } from '../../../agent/desired-state/directory-records.ts';
import { groupChanges, toGroupRecord } from './group.ts';

const group = (members: string[], displayName = 'Meta Advertisers'): DirectoryGroupRecord =>
  toGroupRecord('hub', 'g1', { displayName, members: members.map((value) => ({ value })) }, undefined, '2026-12-03T00:00:00.000Z');

/** What groupChanges must say, by sets (its fast path for appended members must agree). */
function expected(before: string[], after: string[]) {
  const b = new Set(before);
  const a = new Set(after);
  return { added: after.filter((v) => !b.has(v)), removed: before.filter((v) => !a.has(v)) };
}

describe('groupChanges: who joined and who left, against the stored group', () => {
  test('members appended (an Okta chunk): the new ones, in order, and no one left', () => {
    const [change] = groupChanges(group(['u1', 'u2']), group(['u1', 'u2', 'u3', 'u4']));
    assert.deepEqual(change, { kind: 'group-members', groupId: 'g1', displayName: 'Meta Advertisers', added: ['u3', 'u4'], removed: [] });
  });

  test('nothing changed: no change recorded', () => {
    assert.deepEqual(groupChanges(group(['u1', 'u2']), group(['u1', 'u2'])), []);
  });

  test('removals, replacements and reordering agree with the set difference', () => {
    const cases: Array<[string[], string[]]> = [
      [['u1', 'u2', 'u3'], ['u1', 'u3']],
      [['u1', 'u2'], ['u2', 'u1']],
      [['u1', 'u2'], ['u3']],
      [['u1', 'u2', 'u3'], ['u1', 'u2']],
      [[], ['u1']],
      [['u1'], []],
      [['u1', 'u2'], ['u1', 'u4', 'u2']],
    ];
    for (const [before, after] of cases) {
      const change = groupChanges(group(before), group(after)).find((c) => c.kind === 'group-members');
      const want = expected(before, after);
      if (want.added.length === 0 && want.removed.length === 0) assert.equal(change, undefined, `${before} → ${after}`);
      else assert.deepEqual(change && { added: change.added, removed: change.removed }, want, `${before} → ${after}`);
    }
  });

  test('random memberships: always the set difference', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let n = 0; n < 300; n++) {
      const pool = Array.from({ length: 12 }, (_, i) => `u${i}`);
      const before = pool.filter(() => random() < 0.5);
      // Half the cases append to `before` (the common chunked PATCH), half are any other list.
      const after = random() < 0.5 ? [...before, ...pool.filter((v) => !before.includes(v) && random() < 0.3)] : pool.filter(() => random() < 0.5).sort(() => random() - 0.5);
      const change = groupChanges(group(before), group(after)).find((c) => c.kind === 'group-members');
      const want = expected(before, after);
      assert.deepEqual(change ? { added: change.added, removed: change.removed } : { added: [], removed: [] }, want, `${before} → ${after}`);
    }
  });

  test('a rename carries the members the group has now', () => {
    const changes = groupChanges(group(['u1']), group(['u1', 'u2'], 'Meta Admins'));
    assert.deepEqual(changes.map((c) => c.kind), ['group-renamed', 'group-members']);
  });
});
