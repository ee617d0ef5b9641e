import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DirectoryGroupRecord } from '../../../agent/desired-state/directory-records.ts';
import { GROUP_ATTRIBUTES } from '../attributes.ts';
import { groupAsScim, toGroupRecord } from '../resources/group.ts';
import { applyPatch } from './apply.ts';
import { addedMembers } from './member-adds.ts';

const NOW = '2026-12-07T18:00:00.000Z';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const stored = (members: Array<{ value: string; display?: string }>, extra: Record<string, unknown> = {}): DirectoryGroupRecord =>
  deepFreeze(toGroupRecord('hub', 'g1', { displayName: 'Meta Advertisers', members, ...extra }, { created: '2026-12-01T00:00:00.000Z', version: 4 } as DirectoryGroupRecord, '2026-12-02T00:00:00.000Z'));

/** The general engine's answer: the record, or the error's text. */
function engine(current: DirectoryGroupRecord, body: unknown): DirectoryGroupRecord | string {
  try {
    return toGroupRecord('hub', 'g1', applyPatch(groupAsScim(current), body, { core: GROUP_ATTRIBUTES, resourceId: 'g1' }), current, NOW);
  } catch (err) {
    return String(err);
  }
}

describe('member adds applied to the record: the same group as the PATCH engine and toGroupRecord', () => {
  test("Okta's chunk (100 members added to a 900-member group) takes this way and gives the engine's record", () => {
    const current = stored(Array.from({ length: 900 }, (_, i) => ({ value: `u${i}`, ...(i % 3 ? {} : { display: `User ${i}` }) })), { externalId: 'okta-g1', 'urn:x:ext': { a: 1 } });
    const body = { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: Array.from({ length: 100 }, (_, i) => ({ value: `n${i}` })) }] };
    const fast = addedMembers('hub', 'g1', current, body, NOW);
    assert.ok(fast);
    assert.deepEqual(fast, engine(current, body));
    assert.equal(fast.members.length, 1000);
    assert.equal(current.members.length, 900, 'the stored record is left as it was');
  });

  test('random adds (repeats, display updates, other keys, several operations, any case of the path): always the engine record', () => {
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    let taken = 0;
    for (let n = 0; n < 400; n++) {
      const pool = Array.from({ length: 10 }, (_, i) => `u${i}`);
      const current = stored(pool.filter(() => random() < 0.5).map((value) => (random() < 0.4 ? { value, display: `D ${value}` } : { value })), random() < 0.5 ? { externalId: 'x' } : {});
      const element = () => {
        const value = pick(pool);
        const r = random();
        if (r < 0.5) return { value };
        if (r < 0.7) return { value, display: `New ${value}` };
        if (r < 0.85) return { value, type: 'User', $ref: `https://idp.example/Users/${value}` };
        return { value, display: `Other ${value}`, type: 'User' };
      };
      const ops = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({ op: pick(['add', 'Add', 'ADD']), path: pick(['members', 'Members', 'MEMBERS']), value: Array.from({ length: Math.floor(random() * 5) }, element) }));
      const body = { schemas: [PATCH], Operations: ops };
      const fast = addedMembers('hub', 'g1', current, body, NOW);
      if (fast === undefined) continue;
      taken++;
      assert.deepEqual(fast, engine(current, body), JSON.stringify({ current: current.members, ops }));
    }
    assert.ok(taken > 300, `taken ${taken} times of 400`);
  });

  test('anything else goes to the engine (undefined here), which answers it as before', () => {
    const current = stored([{ value: 'u1' }, { value: 'u2', display: 'Two' }]);
    const bodies: unknown[] = [
      { Operations: [{ op: 'remove', path: 'members', value: [{ value: 'u1' }] }] },
      { Operations: [{ op: 'replace', path: 'members', value: [{ value: 'u1' }] }] },
      { Operations: [{ op: 'add', path: 'members', value: [{ value: 'u3' }] }, { op: 'replace', path: 'displayName', value: 'X' }] },
      { Operations: [{ op: 'add', value: { members: [{ value: 'u3' }] } }] },
      { Operations: [{ op: 'add', path: 'members[value eq "u3"].display', value: 'x' }] },
      { Operations: [{ op: 'add', path: 'members', value: { value: 'u3' } }] },
      { Operations: [{ op: 'add', path: 'members', value: ['string id 1'] }] },
      { Operations: [{ op: 'add', path: 'members', value: [{ value: 7 }] }] },
      { Operations: [{ op: 'add', path: 'members', value: [{ display: 'no value' }] }] },
      { Operations: [{ op: 'add', path: 'members', value: [{ value: '' }] }] },
      { Operations: [{ op: 'add', path: 'members' }] },
      { Operations: [{ op: 'add', path: ' members ', value: [{ value: 'u3' }] }] },
      { Operations: [] },
      'not a PatchOp',
    ];
    for (const body of bodies) assert.equal(addedMembers('hub', 'g1', current, body, NOW), undefined, JSON.stringify(body));
    // A stored member the record would not keep as is (written before toGroupRecord kept only value and display).
    const odd = deepFreeze({ ...current, members: [{ value: 'u1', type: 'User' }] } as unknown as DirectoryGroupRecord);
    const add = { Operations: [{ op: 'add', path: 'members', value: [{ value: 'u3' }] }] };
    assert.equal(addedMembers('hub', 'g1', odd, add, NOW), undefined);
    assert.equal(addedMembers('hub', 'g1', deepFreeze({ ...current, scim: { externalId: 'in scim' } }), add, NOW), undefined);
  });
});
