import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ENTERPRISE_SCHEMA, GROUP_ATTRIBUTES, USER_ATTRIBUTES } from '../attributes.ts';
import { ScimError } from '../errors.ts';
import { applyPatch } from './apply.ts';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const user = {
  userName: 'ada@example.com',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ type: 'work', value: 'ada@example.com', primary: true }],
  roles: [],
};
const group = { displayName: 'Meta Admins', members: [{ value: 'u1', display: 'one' }, { value: 'u2' }, { value: 'u3' }] };
const patchUser = (...Operations: unknown[]) => applyPatch(user, { schemas: [PATCH], Operations }, { core: USER_ATTRIBUTES, resourceId: 'uid' });
const patchGroup = (...Operations: unknown[]) => applyPatch(group, { schemas: [PATCH], Operations }, { core: GROUP_ATTRIBUTES, resourceId: 'gid' });
const memberIds = (g: Record<string, unknown>) => (g.members as Array<{ value: string }>).map((m) => m.value);

describe('PATCH engine: users', () => {
  test('Okta deactivation: lower-case replace, no path, value {active:false}', () => {
    assert.equal(patchUser({ op: 'replace', value: { active: false } }).active, false);
  });
  test('Entra: capitalised op and the string "False"', () => {
    assert.equal(patchUser({ op: 'Replace', path: 'active', value: 'False' }).active, false);
    assert.equal(patchUser({ op: 'REPLACE', path: 'active', value: 'True' }).active, true);
  });
  test('Entra flagged: path-less value with dotted and URN keys', () => {
    const out = patchUser({ op: 'replace', value: { displayName: 'Ada L', 'name.givenName': 'Augusta', [`${ENTERPRISE_SCHEMA}:employeeNumber`]: '7' } });
    assert.equal(out.displayName, 'Ada L');
    assert.deepEqual(out.name, { givenName: 'Augusta', familyName: 'Lovelace' });
    assert.deepEqual(out[ENTERPRISE_SCHEMA], { employeeNumber: '7' });
  });
  test('emails[type eq "work"].value replaces the work email; creates one when missing', () => {
    const out = patchUser({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'ada@new.example' });
    assert.deepEqual(out.emails, [{ type: 'work', value: 'ada@new.example', primary: true }]);
    const created = applyPatch({ userName: 'x' }, { Operations: [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'x@y.z' }] }, { core: USER_ATTRIBUTES, resourceId: 'uid' });
    assert.deepEqual(created.emails, [{ type: 'work', value: 'x@y.z' }]);
  });
  test('unqualified manager resolves to the enterprise extension (list or string value)', () => {
    const out = patchUser({ op: 'Add', path: 'manager', value: [{ $ref: 'http://x/Users/m1', value: 'm1' }] });
    assert.deepEqual(out[ENTERPRISE_SCHEMA], { manager: { value: 'm1', $ref: 'http://x/Users/m1' } });
    const urn = patchUser({ op: 'replace', path: `${ENTERPRISE_SCHEMA}:manager`, value: 'm2' });
    assert.deepEqual(urn[ENTERPRISE_SCHEMA], { manager: { value: 'm2' } });
  });
  test('a manager sent empty ({}, [{"value": ""}], a string "") clears it, by any path form, never stores a manager named ""', () => {
    const stored = { ...user, [ENTERPRISE_SCHEMA]: { department: 'Ads', manager: { value: 'm0' } } };
    const patch = (op: Record<string, unknown>) => applyPatch(stored, { Operations: [op] }, { core: USER_ATTRIBUTES, resourceId: 'uid' })[ENTERPRISE_SCHEMA];
    for (const value of [{}, [{ value: '' }], [{ $ref: null, value: '' }], { value: '' }, '', { displayName: 'Old Boss' }]) {
      assert.deepEqual(patch({ op: 'Replace', path: 'manager', value }), { department: 'Ads' }, JSON.stringify(value));
      assert.deepEqual(patch({ op: 'replace', path: `${ENTERPRISE_SCHEMA}:manager`, value }), { department: 'Ads' }, JSON.stringify(value));
      assert.deepEqual(patch({ op: 'replace', value: { [`${ENTERPRISE_SCHEMA}:manager`]: value } }), { department: 'Ads' }, JSON.stringify(value));
    }
    assert.deepEqual(patch({ op: 'Add', path: 'manager', value: [{ $ref: null, value: 'm1' }] }), { department: 'Ads', manager: { value: 'm1' } });
  });
  test('a new manager.value drops the $ref that named the previous manager; the same value keeps it', () => {
    const stored = { ...user, [ENTERPRISE_SCHEMA]: { manager: { value: 'm1', $ref: 'http://x/Users/m1' } } };
    const patch = (op: Record<string, unknown>) => applyPatch(stored, { Operations: [op] }, { core: USER_ATTRIBUTES, resourceId: 'uid' })[ENTERPRISE_SCHEMA];
    assert.deepEqual(patch({ op: 'Replace', path: 'manager.value', value: 'm2' }), { manager: { value: 'm2' } });
    assert.deepEqual(patch({ op: 'replace', path: `${ENTERPRISE_SCHEMA}:manager.value`, value: 'm2' }), { manager: { value: 'm2' } });
    assert.deepEqual(patch({ op: 'Replace', path: 'manager.value', value: 'm1' }), { manager: { value: 'm1', $ref: 'http://x/Users/m1' } });
  });
  test('the enterprise URN as Microsoft\'s sample misspells it (…:2.0User) names the enterprise extension in a path too', () => {
    const misspelt = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User';
    assert.deepEqual(patchUser({ op: 'Add', path: `${misspelt}:costCenter`, value: 'CC-1' })[ENTERPRISE_SCHEMA], { costCenter: 'CC-1' });
    assert.deepEqual(patchUser({ op: 'Replace', path: `${misspelt}:manager`, value: 'm3' })[ENTERPRISE_SCHEMA], { manager: { value: 'm3' } });
    assert.deepEqual(patchUser({ op: 'replace', value: { [`${misspelt}:department`]: 'Ads' } })[ENTERPRISE_SCHEMA], { department: 'Ads' });
  });
  test('roles sent as stringified JSON are unwrapped', () => {
    const out = patchUser({ op: 'Add', path: 'roles', value: [{ value: '{"id":"r-1","value":"25","displayName":"Role1234"}' }] });
    assert.deepEqual(out.roles, [{ value: '25', display: 'Role1234' }]);
  });
  test('externalId is replaced by path or path-less value, and removed', () => {
    assert.equal(patchUser({ op: 'Replace', path: 'externalId', value: 'guid-2' }).externalId, 'guid-2');
    assert.equal(patchUser({ op: 'replace', value: { externalId: 'guid-3' } }).externalId, 'guid-3');
    assert.equal(applyPatch({ ...user, externalId: 'x' }, { Operations: [{ op: 'remove', path: 'externalId' }] }, { core: USER_ATTRIBUTES, resourceId: 'uid' }).externalId, undefined);
    assert.equal(patchGroup({ op: 'Replace', path: 'externalId', value: 'g-ext' }).externalId, 'g-ext');
  });
  test('Add nickName; remove name.givenName; value.id equal to the resource id is ignored', () => {
    assert.equal(patchUser({ op: 'Add', path: 'nickName', value: 'Babs' }).nickName, 'Babs');
    assert.deepEqual(patchUser({ op: 'remove', path: 'name.givenName' }).name, { familyName: 'Lovelace' });
    assert.equal(patchUser({ op: 'replace', value: { id: 'uid', displayName: 'D' } }).displayName, 'D');
  });
  test('rejections: wrong types, another id, unknown op, remove without path', () => {
    const is400 = (scimType: string) => (e: unknown) => e instanceof ScimError && e.status === 400 && e.scimType === scimType;
    assert.throws(() => patchUser({ op: 'replace', path: 'active', value: 'maybe' }), is400('invalidValue'));
    assert.throws(() => patchUser({ op: 'replace', path: 'userName', value: 12 }), is400('invalidValue'));
    assert.throws(() => patchUser({ op: 'replace', value: { id: 'other' } }), is400('mutability'));
    assert.throws(() => patchUser({ op: 'move', path: 'userName', value: 'x' }), is400('invalidSyntax'));
    assert.throws(() => patchUser({ op: 'remove' }), is400('noTarget'));
    assert.throws(() => applyPatch(user, { Operations: [] }, { core: USER_ATTRIBUTES, resourceId: 'uid' }), is400('invalidSyntax'));
  });
  test('a read-only attribute is a 400 mutability by path as without one; the own id stays accepted (RFC 7644 §3.5.2)', () => {
    const mutability = (e: unknown) => e instanceof ScimError && e.status === 400 && e.scimType === 'mutability';
    const HUB = 'urn:hubwarden:params:scim:schemas:extension:hub:2.0:User';
    const byPath = [
      { op: 'replace', path: 'id', value: 'other' }, { op: 'remove', path: 'id' }, { op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:id', value: 'other' },
      { op: 'replace', path: 'meta', value: { resourceType: 'Group' } }, { op: 'replace', path: 'meta.version', value: 'W/"9"' }, { op: 'remove', path: 'meta.created' },
      { op: 'add', path: 'groups', value: [{ value: 'g1' }] }, { op: 'remove', path: 'groups[value eq "g1"]' }, { op: 'remove', path: 'groups[value eq "g1"]' },
      { op: 'replace', path: 'manager.displayName', value: 'Boss' }, { op: 'replace', path: `${HUB}:status`, value: 'onboarded' },
    ];
    for (const op of byPath) assert.throws(() => patchUser(op), mutability, JSON.stringify(op));
    assert.throws(() => patchUser(byPath[7], byPath[8]), mutability, 'a run of removals by filter');
    for (const value of [{ id: 'other' }, { meta: { version: 'W/"9"' } }, { groups: [{ value: 'g1' }] }, { [HUB]: { status: 'onboarded' } }, { 'meta.version': 'x' }]) {
      assert.throws(() => patchUser({ op: 'replace', value }), mutability, JSON.stringify(value));
    }
    assert.throws(() => patchGroup({ op: 'replace', path: 'id', value: 'other' }), mutability);
    // Okta's rename re-sends the group's own id (path-less); the same value by path is the same no-op.
    assert.equal(patchGroup({ op: 'replace', value: { id: 'gid', displayName: 'Renamed' } }).displayName, 'Renamed');
    assert.equal(patchGroup({ op: 'replace', path: 'id', value: 'gid' }, { op: 'replace', path: 'displayName', value: 'R2' }).displayName, 'R2');
    // Unknown attributes and the write-only password stay ignored.
    assert.deepEqual(patchUser({ op: 'replace', path: 'password', value: 'x' }, { op: 'add', path: 'favouriteColour', value: 'red' }), patchUser({ op: 'replace', path: 'active', value: true }));
  });
  test('a bad value written by one operation is caught even when a later one adds to the same list', () => {
    assert.throws(
      () => patchUser({ op: 'replace', path: 'emails[type eq "work"].value', value: 123 }, { op: 'add', path: 'emails', value: [{ type: 'home', value: 'h@example.com' }] }),
      (e: unknown) => e instanceof ScimError && e.status === 400 && e.scimType === 'invalidValue',
    );
    assert.throws(
      () => patchGroup({ op: 'add', path: 'members[value eq "u9"]', value: { value: 'u9', display: 42 } }, { op: 'add', path: 'members', value: [{ value: 'u10' }] }),
      (e: unknown) => e instanceof ScimError && e.status === 400,
    );
  });
  test('the stored object is not modified, however deep the change', () => {
    const stored = { ...user, [ENTERPRISE_SCHEMA]: { department: 'Ads', manager: { value: 'm0' } } };
    const before = JSON.stringify(stored);
    applyPatch(stored, { Operations: [
      { op: 'replace', value: { active: false, 'name.givenName': 'X' } },
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'new@example.com' },
      { op: 'remove', path: 'emails[type eq "work"].primary' },
      { op: 'add', path: 'manager', value: 'm1' },
      { op: 'replace', path: `${ENTERPRISE_SCHEMA}:department`, value: 'Legal' },
      { op: 'remove', path: 'name.familyName' },
    ] }, { core: USER_ATTRIBUTES, resourceId: 'uid' });
    assert.equal(JSON.stringify(stored), before);
    const groupBefore = JSON.stringify(group);
    patchGroup({ op: 'replace', path: 'members[value eq "u1"].display', value: 'changed' }, { op: 'remove', path: 'members[value eq "u2"]' }, { op: 'add', path: 'members', value: [{ value: 'u1', display: 'again' }] });
    assert.equal(JSON.stringify(group), groupBefore);
  });
});

describe('PATCH engine: one primary value (RFC 7644 §3.5.2, RFC 7643 §2.4)', () => {
  const primaries = (list: unknown) => (list as Array<{ value: string; primary?: boolean }>).filter((e) => e.primary === true).map((e) => e.value);
  const is400 = (e: unknown) => e instanceof ScimError && e.status === 400 && e.scimType === 'invalidValue';

  test('adding a primary email makes the old one non-primary', () => {
    const out = patchUser({ op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'home', primary: true }] });
    assert.deepEqual(out.emails, [{ type: 'work', value: 'ada@example.com', primary: false }, { value: 'new@example.com', type: 'home', primary: true }]);
  });
  test('Entra: emails[type eq "home"].primary set to "True" (by filter, created or existing) wins', () => {
    const created = patchUser({ op: 'Add', path: 'emails[type eq "home"].value', value: 'h@example.com' }, { op: 'Replace', path: 'emails[type eq "home"].primary', value: 'True' });
    assert.deepEqual(primaries(created.emails), ['h@example.com']);
    const byObject = patchUser({ op: 'replace', path: 'emails[type eq "home"]', value: { value: 'h@example.com', Primary: true } });
    assert.deepEqual(primaries(byObject.emails), ['h@example.com']);
  });
  test('the last operation to set a primary wins; other attributes are handled alike', () => {
    const out = patchUser(
      { op: 'add', path: 'emails', value: [{ value: 'a@example.com', primary: true }] },
      { op: 'add', path: 'emails', value: [{ value: 'ada@example.com', primary: true }] },
      { op: 'add', path: 'phoneNumbers', value: [{ value: '+1 555 0100', primary: true }] },
      { op: 'add', path: 'phoneNumbers', value: [{ value: '+1 555 0199', primary: true }] },
    );
    assert.deepEqual(primaries(out.emails), ['ada@example.com']);
    assert.deepEqual(primaries(out.phoneNumbers), ['+1 555 0199']);
  });
  test('an operation that sets no primary leaves the primary alone', () => {
    const out = patchUser({ op: 'add', path: 'emails', value: [{ value: 'h@example.com', type: 'home' }] }, { op: 'replace', path: 'emails[type eq "work"].value', value: 'ada@new.example' });
    assert.deepEqual(primaries(out.emails), ['ada@new.example']);
  });
  test('one operation setting primary on two values → 400 invalidValue', () => {
    assert.throws(() => patchUser({ op: 'replace', path: 'emails', value: [{ value: 'a@example.com', primary: true }, { value: 'b@example.com', primary: true }] }), is400);
    const twoWork = { ...user, emails: [{ type: 'work', value: 'a@example.com' }, { type: 'work', value: 'b@example.com' }] };
    assert.throws(() => applyPatch(twoWork, { Operations: [{ op: 'replace', path: 'emails[type eq "work"].primary', value: true }] }, { core: USER_ATTRIBUTES, resourceId: 'uid' }), is400);
  });
});

describe('PATCH engine: group members', () => {
  test('Okta: remove by filter + add in one PATCH', () => {
    const out = patchGroup({ op: 'remove', path: 'members[value eq "u2"]' }, { op: 'add', path: 'members', value: [{ value: 'u4', display: 'four' }] });
    assert.deepEqual(memberIds(out), ['u1', 'u3', 'u4']);
  });
  test('Entra legacy: Remove on members with a value list removes ONLY the listed members', () => {
    assert.deepEqual(memberIds(patchGroup({ op: 'Remove', path: 'members', value: [{ $ref: null, value: 'u1' }] })), ['u2', 'u3']);
  });
  test('members.value is caseExact false (RFC 7643 §8.7.1): a remove by value list matches it in any case, as the filter form does', () => {
    const upper = { displayName: 'G', members: [{ value: '6f1c2d3e-aaaa-4bbb-8ccc-0123456789ab' }, { value: 'u2' }] };
    const patch = (...Operations: unknown[]) => memberIds(applyPatch(upper, { schemas: [PATCH], Operations }, { core: GROUP_ATTRIBUTES, resourceId: 'gid' }));
    assert.deepEqual(patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: '6F1C2D3E-AAAA-4BBB-8CCC-0123456789AB' }] }), ['u2'], 'Entra value list');
    assert.deepEqual(patch({ op: 'remove', path: 'members[value eq "6F1C2D3E-AAAA-4BBB-8CCC-0123456789AB"]' }), ['u2'], 'filter');
    assert.deepEqual(patch({ op: 'Remove', path: 'members', value: [{ value: 'U2' }] }, { op: 'Remove', path: 'members', value: [{ value: 'nobody' }] }), ['6f1c2d3e-aaaa-4bbb-8ccc-0123456789ab'], 'merged run');
  });
  test('remove of a non-member is a no-op; remove without value clears (RFC 7644 §3.5.2.2)', () => {
    assert.deepEqual(memberIds(patchGroup({ op: 'Remove', path: 'members', value: [{ value: 'nobody' }] })), ['u1', 'u2', 'u3']);
    assert.deepEqual(memberIds(patchGroup({ op: 'remove', path: 'members[value eq "nobody"]' })), ['u1', 'u2', 'u3']);
    assert.deepEqual(patchGroup({ op: 'remove', path: 'members' }).members, undefined);
    // A value member that names nobody is Entra's shape with an empty list, not "all".
    assert.deepEqual(memberIds(patchGroup({ op: 'Remove', path: 'members', value: null })), ['u1', 'u2', 'u3']);
  });
  test('full replace of members; adding an existing member does not duplicate it', () => {
    assert.deepEqual(memberIds(patchGroup({ op: 'replace', path: 'members', value: [{ value: 'u9' }] })), ['u9']);
    assert.deepEqual(memberIds(patchGroup({ op: 'Add', path: 'members', value: [{ value: 'u1' }, { value: 'u5' }] })), ['u1', 'u2', 'u3', 'u5']);
  });
  test('Okta rename: path-less replace carrying the group id keeps members', () => {
    const out = patchGroup({ op: 'replace', value: { id: 'gid', displayName: 'Meta Owners' } });
    assert.equal(out.displayName, 'Meta Owners');
    assert.deepEqual(memberIds(out), ['u1', 'u2', 'u3']);
  });
  test('Okta: many removes by filter in one PATCH walk the member list once, with the result of applying them one at a time', () => {
    let reads = 0;
    const counted = (value: string) => Object.defineProperty({}, 'value', { get: () => { reads += 1; return value; }, enumerable: true });
    const stored = { displayName: 'Meta Big', members: Array.from({ length: 2000 }, (_, i) => counted(`u${i}`)) };
    // Ids compare case-insensitively, as the filter evaluator compares them.
    const leaving = Array.from({ length: 500 }, (_, i) => ({ op: 'remove', path: `members[value eq "U${i * 2}"]` }));
    const out = applyPatch(stored, { schemas: [PATCH], Operations: leaving }, { core: GROUP_ATTRIBUTES, resourceId: 'gid' });
    assert.deepEqual(memberIds(out).slice(0, 3), ['u1', 'u3', 'u5']);
    assert.equal(memberIds(out).length, 1500);
    assert.ok(reads < 10 * 2000, `${reads} reads of members' values for 500 removes from 2,000 members`);
    // Order still counts: an add between removes ends a run; a remove by another filter is applied on its own.
    assert.deepEqual(memberIds(patchGroup(
      { op: 'remove', path: 'members[value eq "u1"]' }, { op: 'remove', path: 'members[value eq "u2"]' },
      { op: 'add', path: 'members', value: [{ value: 'u1' }] },
      { op: 'remove', path: 'members[display eq "one"]' }, { op: 'remove', path: 'members[value eq "u3"]' }, { op: 'remove', path: 'members[value eq "nobody"]' },
    )), ['u1']);
    assert.deepEqual(memberIds(patchGroup({ op: 'remove', path: 'members[value eq "u1"]' }, { op: 'remove', path: 'members[value eq "u2" or value eq "u3"]' })), []);
  });
  test('Entra: many Add and many Remove operations of one member each rebuild the member list once per run, with the result of applying them one at a time', () => {
    let reads = 0;
    const counted = (value: string) => Object.defineProperty({}, 'value', { get: () => { reads += 1; return value; }, enumerable: true });
    const stored = { displayName: 'Meta Big', members: Array.from({ length: 2000 }, (_, i) => counted(`u${i}`)) };
    const joining = Array.from({ length: 500 }, (_, i) => ({ op: 'Add', path: 'members', value: [{ $ref: null, value: `n${i}` }] }));
    const leaving = Array.from({ length: 500 }, (_, i) => ({ op: 'Remove', path: 'members', value: [{ $ref: null, value: `u${i}` }] }));
    const out = applyPatch(stored, { schemas: [PATCH], Operations: [...joining, ...leaving] }, { core: GROUP_ATTRIBUTES, resourceId: 'gid' });
    const ids = memberIds(out);
    assert.deepEqual([ids.length, ids[0], ids[1499], ids[1500], ids[1999]], [2000, 'u500', 'u1999', 'n0', 'n499']);
    assert.ok(reads < 20 * 2000, `${reads} reads of members' values for 1,000 operations on 2,000 members`);
    // Adds and removes are never merged with each other: order still counts.
    assert.deepEqual(memberIds(patchGroup(
      { op: 'Add', path: 'members', value: [{ value: 'u4' }] }, { op: 'Add', path: 'members', value: { value: 'u5' } },
      { op: 'Remove', path: 'members', value: [{ value: 'u1' }] }, { op: 'Remove', path: 'members', value: null }, { op: 'Remove', path: 'members', value: [{ value: 'u4' }] },
      { op: 'Add', path: 'members', value: [{ value: 'u1' }] },
    )), ['u2', 'u3', 'u5', 'u1']);
    // A remove with no value (clear, RFC 7644 §3.5.2.2) is not merged into the removes beside it.
    assert.deepEqual(memberIds(patchGroup({ op: 'Remove', path: 'members', value: [{ value: 'u1' }] }, { op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: [{ value: 'u7' }] })), ['u7']);
  });
  test('an invalid operation inside a merged run is named as the client sent it: its index in Operations, its op and path (RFC 7644 §3.12)', () => {
    const refusal = (...Operations: unknown[]) => {
      try {
        patchGroup(...Operations);
      } catch (e) {
        assert.ok(e instanceof ScimError, String(e));
        return [e.status, e.scimType, e.detail];
      }
      assert.fail('the PATCH was applied');
    };
    // Entra: one-member Add operations, merged into one list; the 2nd operation's first value is bad.
    assert.deepEqual(refusal(
      { op: 'Add', path: 'members', value: [{ value: 'u4' }, { value: 'u5' }, { value: 'u6' }] },
      { op: 'Add', path: 'members', value: [{ value: 42 }] },
      { op: 'Add', path: 'members', value: [{ value: 'u7' }] },
    ), [400, 'invalidValue', 'PATCH Operations[1] (add "members"): members[0].value: expected a string, got 42']);
    // Entra's Remove with a value list, merged likewise; the run starts after a rename.
    assert.deepEqual(refusal(
      { op: 'replace', path: 'displayName', value: 'Renamed' },
      { op: 'Remove', path: 'members', value: [{ value: 'u1' }] },
      { op: 'Remove', path: 'members', value: [{ value: 'u2' }] },
      { op: 'Remove', path: 'members', value: [{ value: 'u3', display: { not: 'a string' } }] },
    ), [400, 'invalidValue', 'PATCH Operations[3] (remove "members"): members[0].display: expected a string, got {"not":"a string"}']);
    // Okta: removes by filter; the one whose path does not parse is applied on its own, named by its own index.
    assert.deepEqual(refusal(
      { op: 'remove', path: 'members[value eq "u1"]' }, { op: 'remove', path: 'members[value eq "u2"]' },
      { op: 'add', path: 'members', value: [{ value: 'u8' }] }, { op: 'add', path: 'members', value: [{ value: 'u9' }] },
      { op: 'remove', path: 'members[value eq "u3"' },
    ), [400, 'invalidPath', 'PATCH Operations[4] (remove "members[value eq \\"u3\\""): path "members[value eq \\"u3\\"": unbalanced "["']);
    // An operation on its own is named the same way, with or without a path.
    assert.deepEqual(refusal({ op: 'remove', path: 'members[value eq "u1"]' }, { op: 'remove' }), [400, 'noTarget', 'PATCH Operations[1] (remove without a path): a remove needs a path (RFC 7644 §3.5.2.2)']);
  });
  test('a bare string member value (MS suite) and displayName echoed as display', () => {
    const out = patchGroup({ op: 'add', path: 'members', value: 'string id 1' }, { op: 'add', path: 'members', value: [{ displayName: 'new User', value: 'u7' }] });
    assert.deepEqual((out.members as unknown[]).slice(-2), [{ value: 'string id 1' }, { value: 'u7', display: 'new User' }]);
  });
});

describe('PATCH engine: a filtered replace of members that matches nobody', () => {
  test('is 400 noTarget (RFC 7644 §3.5.2.3), not a new member', () => {
    for (const path of ['members[value eq "u9"].display', 'members[value eq "u9"]']) {
      assert.throws(() => patchGroup({ op: 'replace', path, value: path.endsWith('display') ? 'Nine' : { value: 'u9', display: 'Nine' } }), (err: unknown) => err instanceof ScimError && err.status === 400 && err.scimType === 'noTarget');
    }
    // A match still replaces, and an email is still created for Entra.
    assert.equal((patchGroup({ op: 'replace', path: 'members[value eq "u2"].display', value: 'Two' }).members as Array<{ display?: string }>)[1]!.display, 'Two');
    assert.equal((patchUser({ op: 'Replace', path: 'emails[type eq "home"].value', value: 'h@example.com' }).emails as unknown[]).length, 2);
  });
});


describe('PATCH engine: an element created by a filter in another case (RFC 7643 §2.1)', () => {
  test('members[Value eq …] creates a member under `value`, which later operations of the same PATCH see', () => {
    // Entra's remove by value list, after the member was made by a filter spelt `Value`.
    const removed = patchGroup({ op: 'add', path: 'members[Value eq "u9"].display', value: 'Nine' }, { op: 'remove', path: 'members', value: [{ value: 'u9' }] });
    assert.deepEqual(memberIds(removed), ['u1', 'u2', 'u3']);
    // Added again by the whole-list form: one member, not two with the same value.
    const again = patchGroup({ op: 'add', path: 'members[VALUE eq "u9"]', value: { Display: 'Nine' } }, { op: 'add', path: 'members', value: [{ value: 'u9' }] });
    assert.deepEqual(again.members, [...group.members, { value: 'u9', display: 'Nine' }]);
  });
  test('emails[Type eq "work"].value creates `type`, which a later remove of emails[…].type takes away', () => {
    const out = applyPatch({ userName: 'x' }, { Operations: [
      { op: 'add', path: 'emails[Type eq "work" and Primary eq true].Value', value: 'x@y.z' },
      { op: 'remove', path: 'emails[value eq "x@y.z"].type' },
      { op: 'add', path: 'roles[Value eq "r1"]', value: { Display: 'Role one', TYPE: 'app' } },
      { op: 'remove', path: 'roles[value eq "r1"].type' },
    ] }, { core: USER_ATTRIBUTES, resourceId: 'uid' });
    assert.deepEqual(out.emails, [{ primary: true, value: 'x@y.z' }]);
    assert.deepEqual(out.roles, [{ value: 'r1', display: 'Role one' }]);
  });
});
