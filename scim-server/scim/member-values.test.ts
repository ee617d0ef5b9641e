import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memberValuesIn } from './groups.ts';

/** The users a group write's body adds, asked about with the group's read (groups.ts, group-turns.ts). */
test('the member ids a PATCH adds, and not those it removes or restates in a full list', () => {
  const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
  // A full list (a PUT, a replace) restates members the group has: not asked about (groups.ts).
  assert.deepEqual(memberValuesIn({ displayName: 'G', members: [{ value: 'a' }, { value: 'b' }] }), [], 'PUT');
  assert.deepEqual(memberValuesIn({
    schemas: [PATCH],
    Operations: [
      { op: 'add', path: 'members', value: [{ value: 'c' }] }, // Okta
      { op: 'Add', path: 'members', value: [{ value: 'd' }] }, // Entra
      { op: 'add', value: { members: [{ value: 'e' }] } }, // no path
      { op: 'replace', value: { members: [{ value: 'x' }] } }, // a full list
      { op: 'replace', path: 'members', value: [{ value: 'y' }] }, // Okta's full push
      { op: 'remove', path: 'members', value: [{ value: 'f' }] }, // Entra's remove with a value list
      { op: 'remove', path: 'members[value eq "g"]' },
      { op: 'replace', path: 'displayName', value: 'New name' },
    ],
  }), ['c', 'd', 'e']);
  assert.deepEqual(memberValuesIn(undefined), []);
  assert.deepEqual(memberValuesIn({ Operations: 'not a list', members: 'nor this' }), []);
});
