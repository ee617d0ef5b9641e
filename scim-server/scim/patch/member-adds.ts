import type { DirectoryGroupMember, DirectoryGroupRecord } from '../../../agent/desired-state/directory-records.ts';
import { findAttribute, GROUP_ATTRIBUTES } from '../attributes.ts';
import { bareMembers, normalizeValue, type ScimObject } from '../resources/normalize.ts';
import { parseOperations } from './apply.ts';

/**
 * A group PATCH that only adds members (`{"op":"add","path":"members","value":[…]}`, one or more:
 * Okta Push Groups sends a group's membership so, in chunks of 100,
 * https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/), applied to the record
 * directly: the group as `groupFromBody`'s record would be after `applyPatch(groupAsScim(current))`
 * and `toGroupRecord`, without copying every stored member into a SCIM object, keying each by a
 * built string, and copying it back. Those copies of a 1,000-member group, once per 100-member
 * chunk, were most of the SCIM layer's CPU in the import's member-PATCH phase.
 *
 * Undefined (the caller takes the general engine, which gives the same group or the same error)
 * for anything else: another operation or path (`members` spelt with spaces too, which the engine reads differently alone and in a run), a value that is not a list, a value the engine
 * would refuse or name in an error (normalizeValue throws, a member without a string `value`), a
 * bare string member (its group write may drop it, groups.ts knownMembers), a stored member the
 * record would not hold as is (another key, a `display` not a string, a repeated value), a stored
 * group the engine would read otherwise (`displayName`, `externalId` or `members` among its other
 * attributes), and a group past MAX_MEMBERS, whose PATCH the engine's work budget may refuse
 * (work-budget.ts).
 */
const MAX_MEMBERS = 100_000;
const MEMBERS = findAttribute(GROUP_ATTRIBUTES, 'members')!;
const MEMBERS_PATH = /^members$/i;

const isObject = (v: unknown): v is ScimObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A member as toGroupRecord keeps it: `value`, and `display` when it is a string. */
function kept(m: ScimObject): DirectoryGroupMember {
  const member: DirectoryGroupMember = { value: m.value as string };
  if (typeof m.display === 'string') member.display = m.display;
  return member;
}

/** Whether a stored member is already as toGroupRecord would keep it (then it is kept, not copied). */
function asKept(m: unknown): m is DirectoryGroupMember {
  if (!isObject(m) || typeof m.value !== 'string' || m.value === '') return false;
  for (const k in m) if (k !== 'value' && !(k === 'display' && typeof m.display === 'string')) return false;
  return true;
}

export function addedMembers(hubId: string, id: string, current: Readonly<DirectoryGroupRecord>, body: unknown, now: string): DirectoryGroupRecord | undefined {
  let ops: ReturnType<typeof parseOperations>;
  try {
    ops = parseOperations(body);
  } catch {
    return undefined;
  }
  for (const op of ops) if (op.op !== 'add' || op.path === undefined || !MEMBERS_PATH.test(op.path) || !Array.isArray(op.value)) return undefined;
  if (typeof current.displayName !== 'string' || current.displayName.trim() === '' || !Array.isArray(current.members)) return undefined;
  const scim = current.scim as unknown;
  if (!isObject(scim) || 'displayName' in scim || 'externalId' in scim || 'members' in scim) return undefined;
  const incoming: ScimObject[] = [];
  let count = current.members.length;
  for (const op of ops) {
    let values: unknown[];
    try {
      values = (normalizeValue(MEMBERS, op.value, op.path!) as unknown[] | undefined) ?? [];
    } catch {
      return undefined;
    }
    for (const e of values) {
      if (!isObject(e) || typeof e.value !== 'string' || e.value === '' || bareMembers.has(e)) return undefined;
      incoming.push(e);
    }
    count += values.length;
  }
  if (count > MAX_MEMBERS) return undefined;
  // The engine's merge (apply.ts dedupe, member-run.ts): a value seen again updates the member in
  // place ({...earlier, ...later}); the first appearance keeps its place.
  const members: DirectoryGroupMember[] = current.members.slice();
  const at = new Map<string, number>();
  for (let i = 0; i < members.length; i++) {
    const m = members[i];
    if (!asKept(m) || at.has(m.value)) return undefined;
    at.set(m.value, i);
  }
  const merged = new Map<number, ScimObject>();
  for (const e of incoming) {
    const i = at.get(e.value as string);
    if (i === undefined) {
      at.set(e.value as string, members.length);
      members.push(e as unknown as DirectoryGroupMember);
      merged.set(members.length - 1, e);
    } else merged.set(i, { ...(merged.get(i) ?? members[i]!), ...e });
  }
  for (const [i, m] of merged) members[i] = kept(m);
  // toGroupRecord's record, field for field (the other attributes copied as applyPatch's writableCopy copies them).
  const rest: ScimObject = { ...scim };
  for (const [k, v] of Object.entries(rest)) if (k.startsWith('urn:') && isObject(v)) rest[k] = { ...v };
  const record: DirectoryGroupRecord = {
    hubId,
    id,
    displayName: current.displayName,
    members,
    scim: rest,
    created: current.created ?? now,
    lastModified: now,
    version: (current.version ?? 0) + 1,
  };
  if (typeof current.externalId === 'string') record.externalId = current.externalId;
  return record;
}
