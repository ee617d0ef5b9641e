import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GROUP_ATTRIBUTES } from '../attributes.ts';
import { applyPatch } from './apply.ts';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
type Op = { op: string; path: string; value?: unknown };
const patch = (stored: Record<string, unknown>, Operations: Op[]) => applyPatch(stored, { schemas: [PATCH], Operations }, { core: GROUP_ATTRIBUTES, resourceId: 'gid' });
/** The operations applied one PATCH each: what one PATCH carrying all of them must leave. */
const oneAtATime = (stored: Record<string, unknown>, ops: Op[]) => ops.reduce((g, op) => patch(g, [op]), stored);
const members = (g: Record<string, unknown>) => g.members as Array<{ value: string; display?: string }>;

describe('PATCH engine: adds and removes of members mixed in one PATCH', () => {
  test('alternating Add and Remove operations of one member each walk the member list once, not once per operation', () => {
    let reads = 0;
    const counted = (value: string) => Object.defineProperty({}, 'value', { get: () => { reads += 1; return value; }, enumerable: true });
    const stored = { displayName: 'Meta Big', members: Array.from({ length: 2000 }, (_, i) => counted(`u${i}`)) };
    // Entra's Add and Remove (value list) and Okta's remove by filter, interleaved: no two alike in a row.
    const ops: Op[] = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0
      ? { op: 'Add', path: 'members', value: [{ value: `n${i}` }] }
      : i % 3 === 1 ? { op: 'Remove', path: 'members', value: [{ value: `u${i}` }] } : { op: 'remove', path: `members[value eq "U${i}"]` }));
    const out = patch(stored, ops);
    assert.ok(reads < 20 * 2000, `${reads} reads of members' values for 1,000 operations on 2,000 members`);
    const plain = { displayName: 'Meta Big', members: Array.from({ length: 2000 }, (_, i) => ({ value: `u${i}` })) };
    assert.deepEqual(members(out), members(oneAtATime(plain, ops)));
    assert.equal(members(out).length, 2000 - 666 + 334);
  });

  test('the result is that of the operations one at a time: order, re-adds, case, duplicates, display updates', () => {
    const stored = { displayName: 'G', members: [{ value: 'u1', display: 'One' }, { value: 'u2' }, { value: 'u3' }] };
    const cases: Op[][] = [
      [{ op: 'remove', path: 'members[value eq "u1"]' }, { op: 'add', path: 'members', value: [{ value: 'u1' }] }],
      [{ op: 'add', path: 'members', value: [{ value: 'u2', display: 'Two' }] }, { op: 'remove', path: 'members', value: [{ value: 'U3' }] }],
      [{ op: 'add', path: 'members', value: [{ value: 'U1' }, { value: 'u9' }, { value: 'u9', display: 'Nine' }] }, { op: 'remove', path: 'members[value eq "u1"]' }, { op: 'add', path: 'members', value: 'u1' }],
      [{ op: 'remove', path: 'members', value: null }, { op: 'add', path: 'members', value: { value: 'u4' } }, { op: 'remove', path: 'members[Value EQ "U4"]' }, { op: 'add', path: 'members', value: [{ value: 'u4' }] }],
      [{ op: 'add', path: 'members', value: [{ value: 'u5' }] }, { op: 'remove', path: 'members[display eq "One"]' }, { op: 'remove', path: 'members', value: [{ value: 'u5' }] }],
      [{ op: 'replace', path: 'members[value eq "U2"].display', value: 'Two' }, { op: 'add', path: 'members[value eq "u7"].display', value: 'Seven' }, { op: 'remove', path: 'members[value eq "u1"]' }],
      [{ op: 'add', path: 'members', value: [{ value: 'U2' }] }, { op: 'replace', path: 'members[value eq "u2"].display', value: 'Both' }, { op: 'replace', path: 'members[Value eq "u3"].display', value: 'Three' }],
    ];
    for (const ops of cases) assert.deepEqual(members(patch(stored, ops)), members(oneAtATime(stored, ops)), JSON.stringify(ops));
  });

  test('display adds and replaces by a filter spelt `Value` (RFC 7643 §2.1) walk the list once, and create members under `value`', () => {
    let reads = 0;
    const counted = (value: string) => Object.defineProperty({}, 'value', { get: () => { reads += 1; return value; }, enumerable: true });
    const stored = { displayName: 'Meta Big', members: Array.from({ length: 2000 }, (_, i) => counted(`u${i}`)) };
    const ops: Op[] = Array.from({ length: 1000 }, (_, i) => ({ op: i % 2 ? 'replace' : 'add', path: `members[Value eq "${i % 4 === 0 ? 'n' : 'u'}${i}"].display`, value: `Person ${i}` }));
    const out = members(patch(stored, ops));
    assert.ok(reads < 20 * 2000, `${reads} reads of members' values for 1,000 display changes on 2,000 members`);
    assert.deepEqual([out.length, out[1], out[2000], out[2001]], [2250, { value: 'u1', display: 'Person 1' }, { value: 'n0', display: 'Person 0' }, { value: 'n4', display: 'Person 4' }]);
    const plain = { displayName: 'G', members: [{ value: 'u1' }, { value: 'u2' }] };
    const mixed: Op[] = [{ op: 'add', path: 'members[Value eq "u3"].display', value: 'Three' }, { op: 'remove', path: 'members', value: [{ value: 'U3' }] }, { op: 'replace', path: 'members[VALUE eq "u2"].display', value: 'Two' }];
    assert.deepEqual(members(patch(plain, mixed)), [{ value: 'u1' }, { value: 'u2', display: 'Two' }]);
    assert.deepEqual(members(patch(plain, mixed)), members(oneAtATime(plain, mixed)));
  });

  test('display replaces by member filter walk the list once, and one naming no member is still a 400 noTarget', () => {
    let reads = 0;
    const counted = (value: string) => Object.defineProperty({}, 'value', { get: () => { reads += 1; return value; }, enumerable: true });
    const stored = { displayName: 'Meta Big', members: Array.from({ length: 2000 }, (_, i) => counted(`u${i}`)) };
    const ops: Op[] = Array.from({ length: 1000 }, (_, i) => ({ op: 'replace', path: `members[value eq "u${i}"].display`, value: `Person ${i}` }));
    const out = members(patch(stored, ops));
    assert.ok(reads < 20 * 2000, `${reads} reads of members' values for 1,000 display replaces on 2,000 members`);
    assert.deepEqual([out.length, out[999], out[1000]], [2000, { value: 'u999', display: 'Person 999' }, { value: 'u1000' }]);
    assert.throws(() => patch({ displayName: 'G', members: [{ value: 'u1' }] }, [
      { op: 'replace', path: 'members[value eq "u1"].display', value: 'One' }, { op: 'replace', path: 'members[value eq "ghost"].display', value: 'Nobody' },
    ]), (e: unknown) => (e as { status?: number; scimType?: string; detail?: string }).status === 400 && (e as { scimType?: string }).scimType === 'noTarget' && /^PATCH Operations\[1\] /.test((e as { detail: string }).detail));
  });
});
