import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memberValuesIn } from './groups.ts';

/** The users a group write's body adds, asked about with the group's read (groups.ts, group-turns.ts). */
test('the member ids a PUT or PATCH adds or replaces, and not those it removes', () => {
  const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
  assert.deepEqual(memberValuesIn({ displayName: 'G', members: [{ value: 'a' }, { value: 'b' }] }), ['a', 'b'], 'PUT');
  assert.deepEqual(memberValuesIn({
    schemas: [PATCH],
    Operations: [
      { op: 'add', path: 'members', value: [{ value: 'c' }] }, // Okta
      { op: 'Add', path: 'members', value: [{ value: 'd' }] }, // Entra
      { op: 'replace', value: { members: [{ value: 'e' }] } }, // no path
      { op: 'remove', path: 'members', value: [{ value: 'f' }] }, // Entra's remove with a value list
      { op: 'remove', path: 'members[value eq "g"]' },
      { op: 'replace', path: 'displayName', value: 'New name' },
    ],
  }), ['c', 'd', 'e']);
  assert.deepEqual(memberValuesIn(undefined), []);
  assert.deepEqual(memberValuesIn({ Operations: 'not a list', members: 'nor this' }), []);
});
