import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { foldName, INDEX, type DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { emailKey } from '../../agent/matching/email-key.ts';
import type { DirectoryChange } from '../../agent/desired-state/delta.ts';
import { recordDesiredChange } from '../../agent/outbox.ts';
import type { ReadView, Transaction } from '../../agent/store/store.ts';
import { ENTERPRISE_SCHEMA, USER_ATTRIBUTES } from './attributes.ts';
import { sendResource, sendScim, type HubRequest } from './context.ts';
import { notFound, uniqueness } from './errors.ts';
import { assertSchemas } from './input-checks.ts';
import { matches, requiredEquality, requiredValueIn } from './filter/evaluate.ts';
import { listResponse, parseListQuery, project, projectionOf, queryParams } from './list.ts';
import { applyPatch } from './patch/apply.ts';
import { hubStateOf, hubStateOfNewUser } from './resources/hub-state.ts';
import type { ScimObject } from './resources/normalize.ts';
import { visitListed } from './scan-turns.ts';
import { renderUser, toUserRecord, userChanges, userFromBody, userFromPut } from './resources/user.ts';
import { assertUserVersion, userVersion } from './resources/user-version.ts';
import { endSessionsOfDirectoryUser, pruneMarksAfterPush } from '../web/scim-leavers.ts';

/**
 * /Users (RFC 7644 §3): every write stages the directory change and its explicit delta in one
 * store transaction (the outbox) and answers only once it is durable. A no-op writes nothing.
 * Deactivated users stay readable and filterable (Okta re-POSTs otherwise: https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/); DELETE
 * hard-deletes and takes the user out of every group, with group-members deltas.
 */
export const USER_BY_EXTERNAL_ID = 'scim.directoryUsers.externalId';
export const USER_BY_DISPLAY_NAME = 'scim.directoryUsers.displayName';
/** `${hubId}\0${manager id}` → the users whose enterprise `manager.value` names that user (router.ts). */
export const USER_BY_MANAGER = 'scim.directoryUsers.manager';

const key = (hubId: string, value: string) => `${hubId}\u0000${value.toLowerCase()}`;
/** A userName's or displayName's index key: folded (NFC, lower-cased), as the indexes also file them (foldName). */
const nameKey = (hubId: string, value: string) => `${hubId}\u0000${foldName(value)}`;
/** An externalId's index key: as sent, externalId being caseExact (RFC 7643 §3.1; router.ts). */
const exactKey = (hubId: string, value: string) => `${hubId}\u0000${value}`;

/** Read through the write's `tx`, so two replicas cannot both take the same userName. */
async function assertUniqueUserName(tx: ReadView, hubId: string, userName: string, selfId?: string): Promise<void> {
  const clash = (await tx.lookup('directoryUsers', INDEX.userByUserName, nameKey(hubId, userName))).find((u) => u.hubId === hubId && u.id !== selfId);
  if (clash) throw uniqueness(`hub ${hubId}: userName "${userName}" is already taken by user ${clash.id} (userName is unique, case-insensitively and whatever its Unicode normalization form)`);
}

async function existing(view: ReadView, hubId: string, id: string): Promise<DirectoryUserRecord> {
  const user = await view.get('directoryUsers', hubId, id);
  if (!user) throw notFound(`hub ${hubId}: no user with id "${id}"`);
  return user as DirectoryUserRecord;
}

/** What a filter sees: the resource with id, active and meta (dates compare as instants). */
function filterView(u: Readonly<DirectoryUserRecord>): ScimObject {
  return { ...u.scim, id: u.id, active: u.active, meta: { resourceType: 'User', created: u.created, lastModified: u.lastModified } };
}

/**
 * The users a filter can match: one `get` for `id eq`, an index `lookup` for an equality on an
 * indexed attribute, else the whole partition (read page by page; the filter decides).
 */
async function candidates(h: HubRequest, filter: NonNullable<ReturnType<typeof parseListQuery>['filter']>): Promise<AsyncIterable<Readonly<DirectoryUserRecord>> | Iterable<Readonly<DirectoryUserRecord>>> {
  const { store, hubId } = h;
  const id = requiredEquality(filter, 'id');
  if (id !== undefined) {
    const u = await store.get('directoryUsers', hubId, id);
    return u ? [u] : [];
  }
  const lookups: Array<[string, string, typeof key]> = [['userName', INDEX.userByUserName, nameKey], ['externalId', USER_BY_EXTERNAL_ID, exactKey], ['displayName', USER_BY_DISPLAY_NAME, nameKey]];
  for (const [attr, index, keyOf] of lookups) {
    const value = requiredEquality(filter, attr);
    if (value !== undefined) return (await store.lookup('directoryUsers', index, keyOf(hubId, value))).filter((u) => u.hubId === hubId);
  }
  // Entra's lookup when an email is the matching attribute (`emails[type eq "work"].value eq "…"`,
  // one per user it provisions, and Test Connection's): the email index holds every email of a
  // user under emailKey (NFC, trimmed, lower-cased), a superset of what the filter matches (it
  // compares folded, foldName); the filter decides.
  const email = requiredValueIn(filter, 'emails');
  if (email !== undefined) return (await store.lookup('directoryUsers', INDEX.userByEmail, `${hubId}\u0000${emailKey(email)}`)).filter((u) => u.hubId === hubId);
  return store.list('directoryUsers', hubId);
}

/** The SCIM User with its hub extension (the user's standing, read now). */
async function rendered(h: HubRequest, user: DirectoryUserRecord): Promise<ScimObject> {
  return renderUser(user, { hubBaseUrl: h.hubBaseUrl }, await hubStateOf(h.store, h.hubId, user.id, Date.now(), user));
}

export async function listUsers(h: HubRequest, req: Request, res: Response): Promise<void> {
  const q = parseListQuery(queryParams(req), USER_ATTRIBUTES);
  const start = q.startIndex - 1;
  const users: Array<Readonly<DirectoryUserRecord>> = [];
  let total = 0;
  if (!q.filter) {
    // No filter: read only the requested page (RFC 7644 §3.4.2.4: startIndex is 1-based).
    total = await h.store.count('directoryUsers', h.hubId);
    if (q.count > 0 && start < total) for await (const u of h.store.list('directoryUsers', h.hubId, { offset: start, limit: q.count })) users.push(u);
  } else {
    const filter = q.filter;
    const source = await candidates(h, filter);
    // An index lookup is a list of a few; anything else reads the whole hub, in the hub's turn (scan-turns.ts).
    await visitListed(h.store, h.hubId, source, (u) => {
      if (!matches(filterView(u), filter)) return;
      if (total >= start && users.length < q.count) users.push(u);
      total++;
    });
  }
  // The page's hub extensions are read side by side (outside any transaction; at most MAX_COUNT).
  const page = await Promise.all(users.map(async (u) => project(await rendered(h, u as DirectoryUserRecord), q)));
  sendScim(res, 200, listResponse(total, q.startIndex, page));
}

export async function getUser(h: HubRequest, req: Request, res: Response): Promise<void> {
  const user = await existing(h.store, h.hubId, String(req.params.id));
  sendResource(res, 200, project(await rendered(h, user), projectionOf(queryParams(req))));
}

export async function createUser(h: HubRequest, req: Request, res: Response): Promise<void> {
  assertSchemas(req.body, 'user');
  const scim = userFromBody(req.body as ScimObject);
  const now = new Date().toISOString();
  const record = await h.store.transact(async (tx) => {
    const user = toUserRecord(h.hubId, randomUUID(), scim, undefined, now);
    await assertUniqueUserName(tx, h.hubId, user.userName);
    tx.put('directoryUsers', h.hubId, user.id, user);
    recordDesiredChange(tx, { hubId: h.hubId, trigger: h.trigger, changes: [{ kind: 'user-created', userId: user.id }] });
    return user;
  });
  sendResource(res, 201, renderUser(record, { hubBaseUrl: h.hubBaseUrl }, hubStateOfNewUser()));
}

/**
 * Shared by PUT and PATCH: compute the new record from the one read through `tx` (so a concurrent
 * write is never lost), write it with its delta unless nothing changed. `next` is pure: the
 * transaction may run more than once.
 */
async function update(h: HubRequest, req: Request, id: string, next: (current: DirectoryUserRecord) => ScimObject): Promise<DirectoryUserRecord> {
  const now = new Date().toISOString();
  let deactivated = false;
  const updated = await h.store.transact(async (tx) => {
    deactivated = false;
    const current = await existing(tx, h.hubId, id);
    await assertUserVersion(req.get('if-match'), current, () => hubStateOf(tx, h.hubId, id, Date.now(), current), `hub ${h.hubId} user ${id}`);
    const user = toUserRecord(h.hubId, id, next(current), current, now);
    const changes = userChanges(current, user);
    if (changes.length === 0) return current;
    if (foldName(user.userName) !== foldName(current.userName)) await assertUniqueUserName(tx, h.hubId, user.userName, id);
    tx.put('directoryUsers', h.hubId, id, user);
    recordDesiredChange(tx, { hubId: h.hubId, trigger: h.trigger, changes });
    // A deactivation is the IdP's deprovisioning: the person's dashboard sessions end with it.
    if (changes.some((c) => c.kind === 'user-deactivated')) {
      deactivated = true;
      await endSessionsOfDirectoryUser(tx, h, user, 'deactivated', Date.now(), current);
    }
    return user;
  });
  if (deactivated) await pruneMarksAfterPush(h.store);
  return updated;
}

export async function replaceUser(h: HubRequest, req: Request, res: Response): Promise<void> {
  // The body is read once the user is known to exist: an unknown id is a 404 whatever the body.
  // The answer's projection is read before anything is written: a query refused (a bad escape)
  // after the commit answered 400 for a change that was saved.
  let p: ReturnType<typeof projectionOf> | undefined;
  const user = await update(h, req, String(req.params.id), (current) => (p = projectionOf(queryParams(req)), assertSchemas(req.body, 'user'), userFromPut(req.body as ScimObject, current.scim)));
  sendResource(res, 200, project(await rendered(h, user), p!));
}

export async function patchUser(h: HubRequest, req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  // The projection is read before the write (replaceUser says why).
  let p: ReturnType<typeof projectionOf> | undefined;
  const user = await update(h, req, id, (current) => (p = projectionOf(queryParams(req)), assertSchemas(req.body, 'patch'), applyPatch(current.scim, req.body, { core: USER_ATTRIBUTES, resourceId: id })));
  if (!h.wantsPatchBody) {
    // The version a GET now answers (with the extension's tag), so an If-Match with it applies.
    res.status(204).set('ETag', userVersion(user, await hubStateOf(h.store, h.hubId, user.id, Date.now(), user))).end();
    return;
  }
  sendResource(res, 200, project(await rendered(h, user), p!));
}

/**
 * Stages the hard delete of a user: out of every group first (group-members deltas, from the
 * groups as `tx` reads them), no longer anyone's manager (user-updated deltas), then gone.
 */
export async function stageUserDeletion(tx: Transaction, hubId: string, user: DirectoryUserRecord, now: string): Promise<DirectoryChange[]> {
  const changes: DirectoryChange[] = [];
  for (const group of await tx.lookup('directoryGroups', INDEX.groupsByMember, `${hubId}\u0000${user.id}`)) {
    if (group.hubId !== hubId) continue;
    const members = group.members.filter((m) => m.value !== user.id);
    tx.put('directoryGroups', hubId, group.id, { ...group, members, lastModified: now, version: group.version + 1 });
    changes.push({ kind: 'group-members', groupId: group.id, displayName: group.displayName, added: [], removed: [user.id] });
  }
  // The enterprise `manager` is a reference to a User (RFC 7643 §4.3): left in place, it named a
  // resource that no longer exists (GET answered a manager whose $ref is a 404). Cleared as the
  // group memberships are, in the same transaction, each a new version with its own delta.
  for (const report of await tx.lookup('directoryUsers', USER_BY_MANAGER, `${hubId}\u0000${user.id}`)) {
    if (report.hubId !== hubId || report.id === user.id) continue;
    const { manager: _gone, ...enterprise } = report.scim[ENTERPRISE_SCHEMA] as ScimObject;
    const { [ENTERPRISE_SCHEMA]: _before, ...scim } = report.scim;
    const next = toUserRecord(hubId, report.id, Object.keys(enterprise).length ? { ...scim, [ENTERPRISE_SCHEMA]: enterprise } : scim, report as DirectoryUserRecord, now);
    tx.put('directoryUsers', hubId, report.id, next);
    changes.push(...userChanges(report as DirectoryUserRecord, next));
  }
  tx.delete('directoryUsers', hubId, user.id);
  changes.push({ kind: 'user-deleted', userId: user.id, userName: user.userName, emails: user.emails, created: user.created });
  return changes;
}

export async function deleteUser(h: HubRequest, req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  const now = new Date().toISOString();
  await h.store.transact(async (tx) => {
    const user = await existing(tx, h.hubId, id);
    await assertUserVersion(req.get('if-match'), user, () => hubStateOf(tx, h.hubId, id, Date.now(), user), `hub ${h.hubId} user ${id}`);
    recordDesiredChange(tx, { hubId: h.hubId, trigger: h.trigger, changes: await stageUserDeletion(tx, h.hubId, user, now) });
    await endSessionsOfDirectoryUser(tx, h, user, 'deleted');
  });
  await pruneMarksAfterPush(h.store);
  res.status(204).end();
}
