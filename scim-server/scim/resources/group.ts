import type { DirectoryGroupMember, DirectoryGroupRecord } from '../../../agent/desired-state/directory-records.ts';
import type { DirectoryChange } from '../../../agent/desired-state/delta.ts';
import { GROUP_ATTRIBUTES, GROUP_SCHEMA } from '../attributes.ts';
import { invalidValue } from '../errors.ts';
import { normalizeResource, type ScimObject } from './normalize.ts';
import { canonicalJson } from './same-json.ts';
import type { RenderContext } from './user.ts';

/** Pure mappers between a SCIM Group and the desired-state record (`directoryGroups`). */
export function groupFromBody(body: ScimObject): ScimObject {
  return normalizeResource(body, GROUP_ATTRIBUTES);
}

/** The record as a SCIM object, for the PATCH engine. */
export function groupAsScim(record: DirectoryGroupRecord): ScimObject {
  const out: ScimObject = { ...record.scim, displayName: record.displayName, members: record.members.map((m) => ({ ...m })) };
  if (record.externalId !== undefined) out.externalId = record.externalId;
  return out;
}

export function toGroupRecord(hubId: string, id: string, scim: ScimObject, previous: DirectoryGroupRecord | undefined, now: string): DirectoryGroupRecord {
  const { displayName, externalId, members, ...rest } = scim;
  if (typeof displayName !== 'string' || displayName.trim() === '') throw invalidValue('displayName: required (a non-empty string)');
  const list: DirectoryGroupMember[] = [];
  const seen = new Set<string>();
  for (const [i, m] of ((members as ScimObject[] | undefined) ?? []).entries()) {
    if (typeof m.value !== 'string' || m.value === '') throw invalidValue(`members[${i}].value: required (the member's id)`);
    if (seen.has(m.value)) continue;
    seen.add(m.value);
    const member: DirectoryGroupMember = { value: m.value };
    if (typeof m.display === 'string') member.display = m.display;
    list.push(member);
  }
  const record: DirectoryGroupRecord = {
    hubId,
    id,
    displayName,
    members: list,
    scim: rest,
    created: previous?.created ?? now,
    lastModified: now,
    version: (previous?.version ?? 0) + 1,
  };
  if (typeof externalId === 'string') record.externalId = externalId;
  return record;
}

/** Who joined, who left, and a rename: computed against the stored group, never trusted from the request. */
export function groupChanges(before: DirectoryGroupRecord, after: DirectoryGroupRecord): DirectoryChange[] {
  const changes: DirectoryChange[] = [];
  const ids = after.members.map((m) => m.value);
  if (before.displayName !== after.displayName) {
    changes.push({ kind: 'group-renamed', groupId: after.id, from: before.displayName, to: after.displayName, members: ids });
  }
  const old = new Set(before.members.map((m) => m.value));
  const now = new Set(ids);
  const added = ids.filter((v) => !old.has(v));
  const removed = before.members.map((m) => m.value).filter((v) => !now.has(v));
  if (added.length || removed.length) changes.push({ kind: 'group-members', groupId: after.id, displayName: after.displayName, added, removed });
  return changes;
}

/**
 * Whether anything a client can see changed (a no-op PATCH/PUT writes nothing). Members compare
 * as a set (each with its display): a multi-valued attribute has no order (RFC 7643 §2.4), and
 * Okta's full pushes (an AIW app's PUT, `replace members`) list the members in Okta's order, so
 * the same people in another order wrote a new version and lastModified that changed nothing.
 */
export function groupDiffers(before: DirectoryGroupRecord, after: DirectoryGroupRecord): boolean {
  if (before.displayName !== after.displayName || before.externalId !== after.externalId) return true;
  if (before.members.length !== after.members.length) return true;
  let ordered = true;
  for (let i = 0; i < before.members.length && ordered; i++) ordered = before.members[i]!.value === after.members[i]!.value;
  if (ordered) {
    for (let i = 0; i < before.members.length; i++) if (before.members[i]!.display !== after.members[i]!.display) return true;
  } else {
    // Members are unique by value (toGroupRecord), so equal lengths and every value found is the same set.
    const had = new Map(before.members.map((m) => [m.value, m.display]));
    for (const m of after.members) if (!had.has(m.value) || had.get(m.value) !== m.display) return true;
  }
  return canonicalJson(before.scim) !== canonicalJson(after.scim);
}

export function renderGroup(record: DirectoryGroupRecord, ctx: RenderContext, withMembers = true): ScimObject {
  const out: ScimObject = { schemas: [GROUP_SCHEMA], id: record.id };
  if (record.externalId !== undefined) out.externalId = record.externalId;
  Object.assign(out, record.scim, { displayName: record.displayName });
  if (withMembers) out.members = record.members.map((m) => ({ ...m, $ref: `${ctx.hubBaseUrl}/Users/${encodeURIComponent(m.value)}`, type: 'User' }));
  out.meta = {
    resourceType: 'Group',
    created: record.created,
    lastModified: record.lastModified,
    location: `${ctx.hubBaseUrl}/Groups/${encodeURIComponent(record.id)}`,
    version: `W/"${record.version}"`,
  };
  return out;
}
