import { holdsKept, type DirectoryUserRecord } from '../../../agent/desired-state/directory-records.ts';
import type { DirectoryChange } from '../../../agent/desired-state/delta.ts';
import { ENTERPRISE_SCHEMA, HUB_SCHEMA, USER_ATTRIBUTES, USER_SCHEMA } from '../attributes.ts';
import { invalidValue } from '../errors.ts';
import type { HubState } from './hub-state.ts';
import { normalizeResource, type ScimObject } from './normalize.ts';
import { assertOnePrimaryEach } from './primary.ts';
import { canonicalJson } from './same-json.ts';
import { userVersion } from './user-version.ts';

/** Pure mappers between a SCIM User and the desired-state record (`directoryUsers`). */
export function userFromBody(body: ScimObject): ScimObject {
  const user = normalizeResource(body, USER_ATTRIBUTES);
  assertOnePrimaryEach(user, USER_ATTRIBUTES);
  return user;
}

/**
 * A PUT body against the stored user: an attribute sent back exactly as stored is kept as stored,
 * not validated again; the rest is read as userFromBody reads it. Okta's AIW apps update, and
 * deactivate, with a PUT of the user they just read (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/):
 * a value stored before a limit that exists now (a 2,000-character title) made that PUT a 400,
 * so the user could not be deprovisioned. A value that changes is held to every limit. "Exactly"
 * ignores the order of object keys (canonicalJson): Okta builds objects in its own key order.
 */
export function userFromPut(body: ScimObject, stored: ScimObject): ScimObject {
  const sent: ScimObject = {};
  const kept: ScimObject = {};
  for (const [key, value] of Object.entries(body)) {
    if (Object.hasOwn(stored, key) && canonicalJson(value) === canonicalJson(stored[key])) kept[key] = stored[key];
    else sent[key] = value;
  }
  return { ...userFromBody(sent), ...kept };
}

function primaryEmail(emails: ScimObject[]): string | undefined {
  const pick = emails.find((e) => e.primary === true) ?? emails.find((e) => String(e.type).toLowerCase() === 'work') ?? emails[0];
  return typeof pick?.value === 'string' && pick.value.trim() !== '' ? pick.value.trim() : undefined;
}

export function toUserRecord(hubId: string, id: string, scim: ScimObject, previous: DirectoryUserRecord | undefined, now: string): DirectoryUserRecord {
  if (typeof scim.userName !== 'string' || scim.userName.trim() === '') throw invalidValue('userName: required (a non-empty string)');
  // userNames that differ only by surrounding whitespace name the same person (RFC 7643 §2.1 leaves
  // comparison to the attribute, §7 makes userName unique): stored trimmed, so " jane@x" finds
  // "jane@x" taken (409 uniqueness) instead of becoming a second Jane.
  const userName = scim.userName.trim();
  if (userName !== scim.userName) scim = { ...scim, userName };
  // An omitted `active` keeps the current state (a new user is active): a PUT that forgets the
  // attribute must not silently deprovision someone.
  if (scim.active === undefined) scim = { ...scim, active: previous?.active ?? true };
  const emails = Array.isArray(scim.emails) ? (scim.emails as ScimObject[]) : [];
  const record: DirectoryUserRecord = {
    hubId,
    id,
    userName,
    active: scim.active as boolean,
    // Trimmed, as userName is: the record's emails are what people are invited by and matched on,
    // and " kim@x" was invited as such while matching (which trims) found her. The SCIM resource
    // (`scim`) keeps what the IdP sent.
    emails: emails.map((e) => e.value).filter((v): v is string => typeof v === 'string').map((v) => v.trim()).filter((v) => v !== ''),
    scim,
    created: previous?.created ?? now,
    lastModified: now,
    version: (previous?.version ?? 0) + 1,
  };
  // A suspension (the IdP's event hook) and an offboarding's hold (agent/dispatch/offboard-hold.ts)
  // do not come from SCIM: kept unless this write reactivates the user.
  Object.assign(record, holdsKept(previous, record.active));
  if (typeof scim.externalId === 'string') record.externalId = scim.externalId;
  if (typeof scim.displayName === 'string') record.displayName = scim.displayName;
  const email = primaryEmail(emails);
  if (email !== undefined) record.email = email;
  return record;
}

/**
 * The attribute-level delta of a PUT or PATCH (extension attributes as `urn:…:attr`). Values are
 * compared whatever the order of their objects' keys: the same name or email sent back with its
 * keys reordered was a `user-updated` delta, a new version and an audited change that was none.
 */
export function userChanges(before: DirectoryUserRecord, after: DirectoryUserRecord): DirectoryChange[] {
  const changes: DirectoryChange[] = [];
  const attributes: string[] = [];
  const flat = (scim: ScimObject) => {
    const out = new Map<string, string>();
    for (const [k, v] of Object.entries(scim)) {
      if (k === 'active') continue;
      if (k.startsWith('urn:') && v && typeof v === 'object') for (const [sk, sv] of Object.entries(v)) out.set(`${k}:${sk}`, canonicalJson(sv));
      else out.set(k, canonicalJson(v));
    }
    return out;
  };
  const a = flat(before.scim);
  const b = flat(after.scim);
  for (const k of new Set([...a.keys(), ...b.keys()])) if (a.get(k) !== b.get(k)) attributes.push(k);
  if (attributes.length) changes.push({ kind: 'user-updated', userId: after.id, attributes: attributes.sort() });
  if (before.active !== after.active) changes.push({ kind: after.active ? 'user-activated' : 'user-deactivated', userId: after.id });
  return changes;
}

export interface RenderContext {
  /** Absolute URL of the hub's SCIM base, e.g. https://hw.example.com/scim/v2/hubs/meta-main. */
  hubBaseUrl: string;
}

/** Pure: the SCIM User, with the hub extension read beforehand (`hubStateOf`, async). */
export function renderUser(record: DirectoryUserRecord, ctx: RenderContext, hubState: HubState): ScimObject {
  const { externalId, [ENTERPRISE_SCHEMA]: enterprise, ...core } = record.scim;
  const schemas = [USER_SCHEMA];
  if (enterprise) schemas.push(ENTERPRISE_SCHEMA);
  schemas.push(HUB_SCHEMA);
  const out: ScimObject = { schemas, id: record.id };
  if (externalId !== undefined) out.externalId = externalId;
  Object.assign(out, core, { active: record.active });
  if (enterprise) out[ENTERPRISE_SCHEMA] = enterprise;
  out[HUB_SCHEMA] = hubState;
  out.meta = {
    resourceType: 'User',
    created: record.created,
    lastModified: record.lastModified,
    location: `${ctx.hubBaseUrl}/Users/${encodeURIComponent(record.id)}`,
    // The record's version and the extension's tag: the extension changes without a write (user-version.ts).
    version: userVersion(record, hubState),
  };
  return out;
}
