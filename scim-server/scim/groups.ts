import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { foldName, INDEX, type DirectoryGroupRecord } from '../../agent/desired-state/directory-records.ts';
import { recordDesiredChange } from '../../agent/outbox.ts';
import type { ReadView } from '../../agent/store/store.ts';
import { GROUP_ATTRIBUTES } from './attributes.ts';
import { assertVersion, sendResource, sendScim, type HubRequest } from './context.ts';
import { updateInTurn } from './group-turns.ts';
import { invalidValue, notFound, uniqueness } from './errors.ts';
import { assertSchemas } from './input-checks.ts';
import { matches, requiredEquality, requiredValueIn } from './filter/evaluate.ts';
import { excludes, listResponse, parseListQuery, project, projectionOf, queryParams } from './list.ts';
import { applyPatch } from './patch/apply.ts';
import { addedMembers } from './patch/member-adds.ts';
import { groupAsScim, groupChanges, groupDiffers, groupFromBody, renderGroup, toGroupRecord } from './resources/group.ts';
import { bareMembers, type ScimObject } from './resources/normalize.ts';
import { visitListed } from './scan-turns.ts';
import { pruneMarksAfterPush, withdrawAdminGroupOnPush } from '../web/scim-leavers.ts';

/**
 * /Groups (RFC 7644 §3; Okta Push Groups §1.7, Entra §2.5–2.7). Membership deltas are computed
 * against the stored group, whatever shape the request had (add+remove in one PATCH, full replace,
 * PUT with all members, Entra's legacy remove-with-value-list). displayName is unique per hub.
 */
/** A displayName's index key: folded (NFC, lower-cased; foldName), so "José" and "Jose\u0301" are one name. */
const key = (hubId: string, value: string) => `${hubId}\u0000${foldName(value)}`;

/** Read through the write's `tx`, so two replicas cannot both create the same name. */
async function assertUniqueName(tx: ReadView, hubId: string, displayName: string, selfId?: string): Promise<void> {
  const clash = (await tx.lookup('directoryGroups', INDEX.groupByDisplayName, key(hubId, displayName))).find((g) => g.hubId === hubId && g.id !== selfId);
  if (clash) throw uniqueness(`hub ${hubId}: a group named "${displayName}" already exists (id ${clash.id}); displayName is unique`);
}

/**
 * Members a write adds must be users of this hub (not another hub's, not a group: groups do not
 * nest here). One that is not is refused with 400 invalidValue (RFC 7644 §3.12: "not compatible
 * with the ... resource schema") and nothing is written, so no plan ever sees a member nobody can
 * resolve. The exception is a bare string member, the Microsoft validator's form
 * ("value": "string id 1", which it expects to succeed, in an `add`): naming no user, it is
 * dropped, but only from a write that removes nobody. In a replace or PUT that takes members
 * out, it is part of the new list: dropped, `{"op":"replace","path":"members","value":"ghost"}`
 * answered 204 and stored an empty group.
 * Whether each added member exists is asked through `tx` in one `hasMany` (a PATCH may add thousands): checked at commit, never fetched.
 */
async function knownMembers(tx: ReadView, hubId: string, group: DirectoryGroupRecord, incoming: ScimObject, before?: DirectoryGroupRecord): Promise<DirectoryGroupRecord> {
  const had = new Set(before?.members.map((m) => m.value));
  const bare = new Set(((incoming.members as ScimObject[] | undefined) ?? []).filter((m) => bareMembers.has(m)).map((m) => m.value));
  const added = group.members.filter((m) => !had.has(m.value));
  const exists = await tx.hasMany('directoryUsers', hubId, added.map((m) => m.value));
  const unknown = added.filter((_, n) => !exists[n]);
  if (unknown.length === 0) return group;
  const kept = new Set(group.members.map((m) => m.value));
  const removes = before?.members.some((m) => !kept.has(m.value)) ?? false;
  const refused = removes ? unknown : unknown.filter((m) => !bare.has(m.value));
  if (refused.length > 0) {
    const names = refused.slice(0, 5).map((m) => `"${m.value}"`).join(', ');
    throw invalidValue(`members: ${names}${refused.length > 5 ? ` and ${refused.length - 5} more` : ''} name no user of hub ${hubId}; create the user first`);
  }
  const dropped = new Set(unknown.map((m) => m.value));
  return { ...group, members: group.members.filter((m) => !dropped.has(m.value)) };
}

async function existing(view: ReadView, hubId: string, id: string): Promise<DirectoryGroupRecord> {
  const group = await view.get('directoryGroups', hubId, id);
  if (!group) throw notFound(`hub ${hubId}: no group with id "${id}"`);
  return group as DirectoryGroupRecord;
}

function filterView(g: Readonly<DirectoryGroupRecord>): ScimObject {
  return { ...groupAsScim(g), id: g.id, meta: { resourceType: 'Group', created: g.created, lastModified: g.lastModified } };
}

export async function listGroups(h: HubRequest, req: Request, res: Response): Promise<void> {
  const q = parseListQuery(queryParams(req), GROUP_ATTRIBUTES);
  const ctx = { hubBaseUrl: h.hubBaseUrl };
  const withMembers = !excludes(q, 'members');
  const start = q.startIndex - 1;
  const page: ScimObject[] = [];
  let total = 0;
  if (!q.filter) {
    // No filter: read only the requested page (RFC 7644 §3.4.2.4: startIndex is 1-based).
    total = await h.store.count('directoryGroups', h.hubId);
    if (q.count > 0 && start < total) {
      for await (const g of h.store.list('directoryGroups', h.hubId, { offset: start, limit: q.count })) page.push(project(renderGroup(g as DirectoryGroupRecord, ctx, withMembers), q));
    }
    sendScim(res, 200, listResponse(total, q.startIndex, page));
    return;
  }
  let source: AsyncIterable<Readonly<DirectoryGroupRecord>> | Iterable<Readonly<DirectoryGroupRecord>>;
  const id = requiredEquality(q.filter, 'id');
  const name = requiredEquality(q.filter, 'displayName');
  let member: string | undefined;
  if (id !== undefined) {
    const g = await h.store.get('directoryGroups', h.hubId, id);
    source = g ? [g] : [];
  } else if (name !== undefined) {
    source = (await h.store.lookup('directoryGroups', INDEX.groupByDisplayName, key(h.hubId, name))).filter((g) => g.hubId === h.hubId);
  } else if ((member = requiredValueIn(q.filter, 'members')) !== undefined) {
    source = await groupsOfMember(h, member);
  } else {
    source = h.store.list('directoryGroups', h.hubId);
  }
  const filter = q.filter;
  // A get or an index lookup is a list of a few; the whole hub is read in the hub's turn (scan-turns.ts).
  await visitListed(h.store, h.hubId, source, (g) => {
    if (!matches(filterView(g), filter)) return;
    if (total >= start && page.length < q.count) page.push(project(renderGroup(g as DirectoryGroupRecord, ctx, withMembers), q));
    total++;
  });
  sendScim(res, 200, listResponse(total, q.startIndex, page));
}

/**
 * The groups holding `member`, from the members index (filed by each member's value as stored:
 * the id of a user of the hub, a lower-case UUID, users.ts). `members.value` is caseExact false
 * (RFC 7643 §8.7.1), so the value is looked up as sent and lower-cased; the filter decides. Read
 * as a scan, the look-up went in the hub's scan turns (scan-turns.ts: two at a time, then 429).
 */
async function groupsOfMember(h: HubRequest, member: string): Promise<Array<Readonly<DirectoryGroupRecord>>> {
  const found = new Map<string, Readonly<DirectoryGroupRecord>>();
  for (const value of new Set([member, member.toLowerCase()])) {
    for (const g of await h.store.lookup('directoryGroups', INDEX.groupsByMember, `${h.hubId}\u0000${value}`)) if (g.hubId === h.hubId) found.set(g.id, g);
  }
  return [...found.values()];
}

export async function getGroup(h: HubRequest, req: Request, res: Response): Promise<void> {
  const group = await existing(h.store, h.hubId, String(req.params.id));
  const p = projectionOf(queryParams(req));
  sendResource(res, 200, project(renderGroup(group, { hubBaseUrl: h.hubBaseUrl }, !excludes(p, 'members')), p));
}

export async function createGroup(h: HubRequest, req: Request, res: Response): Promise<void> {
  assertSchemas(req.body, 'group');
  const scim = groupFromBody(req.body as ScimObject);
  const now = new Date().toISOString();
  const group = await h.store.transact(async (tx) => {
    const record = await knownMembers(tx, h.hubId, toGroupRecord(h.hubId, randomUUID(), scim, undefined, now), scim);
    await assertUniqueName(tx, h.hubId, record.displayName);
    tx.put('directoryGroups', h.hubId, record.id, record);
    recordDesiredChange(tx, {
      hubId: h.hubId,
      trigger: h.trigger,
      changes: [{ kind: 'group-created', groupId: record.id, displayName: record.displayName, members: record.members.map((m) => m.value) }],
    });
    return record;
  });
  sendResource(res, 201, renderGroup(group, { hubBaseUrl: h.hubBaseUrl }));
}

/** A group a PATCH of member adds led to, as toGroupRecord would have made it (patch/member-adds.ts). */
class AddedMembers {
  constructor(readonly record: DirectoryGroupRecord) {}
}

/**
 * Shared by PUT and PATCH: the PATCH or PUT is applied to the group as `tx` reads it (its current
 * members), so two concurrent member adds both survive (PostgreSQL re-runs the loser on the newer
 * group). `next` is pure: the transaction may run more than once.
 */
/**
 * A PUT or PATCH of a group: decided against the group as it stands, written with its outbox
 * entry; updates of one group arriving together go in turns (group-turns.ts).
 */
function update(h: HubRequest, req: Request, id: string, next: (current: DirectoryGroupRecord, now: string) => ScimObject | AddedMembers): Promise<DirectoryGroupRecord> {
  const now = new Date().toISOString();
  const named = memberValuesIn(req.body);
  return updateInTurn(h, id, (tx) => existing(tx, h.hubId, id), async (tx, current) => {
    assertVersion(req.get('if-match'), current.version, `hub ${h.hubId} group ${id}`);
    const out = next(current, now);
    // A PATCH that only adds members comes as its record (patch/member-adds.ts), naming no bare member.
    const [record, scim] = out instanceof AddedMembers ? [out.record, {}] : [toGroupRecord(h.hubId, id, out, current, now), out];
    const group = await knownMembers(tx, h.hubId, record, scim, current);
    if (!groupDiffers(current, group)) return current;
    if (foldName(group.displayName) !== foldName(current.displayName)) await assertUniqueName(tx, h.hubId, group.displayName, id);
    return group;
  }, async (tx, from, before, after) => {
    tx.put('directoryGroups', from.hubId, id, after);
    recordDesiredChange(tx, { hubId: from.hubId, trigger: from.trigger, changes: groupChanges(before, after) });
    // Out of an allowed group: out of the dashboard administrator rights it gave.
    await withdrawAdminGroupOnPush(tx, from, before, after);
  }, named.length > 0 ? (tx) => tx.hasMany('directoryUsers', h.hubId, named) : undefined)
    // Marks of a removal from an allowed group, written without pruning: pruned after the push.
    .then(async (group) => {
      if (h.adminGroups.length > 0) await pruneMarksAfterPush(h.store);
      return group;
    });
}

/**
 * The member ids a PATCH body adds (its `add` operations on `members`, with or without a path):
 * users knownMembers will likely ask about, asked for with the group's read.
 * Only a hint: what the request adds is decided against the stored group, and asked again.
 * A full list (a PUT's `members`, a `replace` of members: Okta's AIW PUT and full push,
 * https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/) is not a hint: it
 * restates mostly members the group has, whom knownMembers never asks about, and every user asked
 * about is checked and, on PostgreSQL, locked at commit (past 128 users of a hub, the hub's whole
 * directoryUsers partition, agent/store/postgres/key-locks.ts). A PUT adding one member to a
 * 10,000-member group asked about 10,000 users, so any of them updated meanwhile ran it again and
 * every user write of the hub waited for its commit. knownMembers asks about the ones it adds.
 */
export function memberValuesIn(body: unknown): string[] {
  const out: string[] = [];
  const take = (list: unknown) => {
    if (Array.isArray(list)) for (const m of list) if (m && typeof m === 'object' && typeof (m as ScimObject).value === 'string') out.push((m as ScimObject).value as string);
  };
  const ops = (body as ScimObject | undefined)?.Operations;
  if (Array.isArray(ops)) {
    for (const op of ops as ScimObject[]) {
      // Removed members are not checked (knownMembers asks only about those a write adds).
      if (typeof op?.op !== 'string' || !/^add$/i.test(op.op)) continue;
      if (typeof op.path === 'string' && /^members$/i.test(op.path)) take(op.value);
      else if (op.path === undefined && op.value && typeof op.value === 'object') take((op.value as ScimObject).members);
    }
  }
  return out;
}

export async function replaceGroup(h: HubRequest, req: Request, res: Response): Promise<void> {
  // Read once, outside the group's turn (a full push may carry thousands of members); a refusal is
  // answered only once the group is known to exist: an unknown id is a 404 whatever the body.
  let scim: ScimObject | undefined;
  let refused: unknown;
  try {
    scim = groupFromBody(req.body as ScimObject);
  } catch (err) {
    refused = err;
  }
  // A PUT without `members` (the MS suite's "group put") leaves membership as it is: an omitted
  // attribute "MAY be assumed to be not asserted" (RFC 7644 §3.5.1), and removing people takes an
  // explicit list (`members: []` empties the group, one audited change; group-put.test.ts).
  // The answer's projection is read before anything is written: a query refused (a bad escape)
  // after the commit answered 400 for a change that was saved.
  let p: ReturnType<typeof projectionOf> | undefined;
  const group = await update(h, req, String(req.params.id), (current) => {
    p = projectionOf(queryParams(req));
    assertSchemas(req.body, 'group');
    if (!scim) throw refused;
    return 'members' in scim ? scim : { ...scim, members: current.members };
  });
  // RFC 7644 §3.5.1: "Unless otherwise specified", the entire resource (subject to
  // `attributes`/`excludedAttributes`, §3.9). Okta says otherwise for a membership update, PATCH
  // or PUT: it "doesn't require the list of users to be returned"
  // (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/), and an AIW app sends
  // this PUT, with every member, for each membership change: echoing 10,000 members (1.3 MB,
  // built and serialized while nothing else runs) each time cost both sides. So Okta, as after a
  // PATCH, gets them only with `attributes=members`; every other client the whole group. Safe to
  // send back as read: a PUT without `members` leaves them as they are (above).
  const withMembers = !excludes(p!, 'members') && (!h.oktaClient || p!.attributes !== undefined);
  sendResource(res, 200, project(renderGroup(group, { hubBaseUrl: h.hubBaseUrl }, withMembers), p!));
}

export async function patchGroup(h: HubRequest, req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  // The projection is read before the write (replaceGroup says why).
  let p: ReturnType<typeof projectionOf> | undefined;
  const group = await update(h, req, id, (current, now) => {
    p = projectionOf(queryParams(req));
    assertSchemas(req.body, 'patch');
    const added = addedMembers(h.hubId, id, current, req.body, now);
    return added ? new AddedMembers(added) : applyPatch(groupAsScim(current), req.body, { core: GROUP_ATTRIBUTES, resourceId: id });
  });
  if (!h.wantsPatchBody) {
    res.status(204).set('ETag', `W/"${group.version}"`).end();
    return;
  }
  // Okta takes the group back; `members may be omitted` (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/), and echoing a
  // thousand members on every chunked membership PATCH only costs both sides, so they are left out
  // unless asked for with `attributes`. Any other client asked for a body with `attributes` or
  // `excludedAttributes` gets the resource those select (RFC 7644 §3.5.2, §3.9): excluding
  // `externalId` left the members out too. The same rule as a PUT's answer (replaceGroup).
  const withMembers = !excludes(p!, 'members') && (!h.oktaClient || p!.attributes !== undefined);
  sendResource(res, 200, project(renderGroup(group, { hubBaseUrl: h.hubBaseUrl }, withMembers), p!));
}

export async function deleteGroup(h: HubRequest, req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  await h.store.transact(async (tx) => {
    const group = await existing(tx, h.hubId, id);
    assertVersion(req.get('if-match'), group.version, `hub ${h.hubId} group ${id}`);
    tx.delete('directoryGroups', h.hubId, id);
    recordDesiredChange(tx, {
      hubId: h.hubId,
      trigger: h.trigger,
      changes: [{ kind: 'group-deleted', groupId: id, displayName: group.displayName, members: group.members.map((m) => m.value) }],
    });
    await withdrawAdminGroupOnPush(tx, h, group);
  });
  if (h.adminGroups.length > 0) await pruneMarksAfterPush(h.store);
  res.status(204).end();
}
