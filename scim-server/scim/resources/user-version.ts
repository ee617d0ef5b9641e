import { createHash } from 'node:crypto';
import type { DirectoryUserRecord } from '../../../agent/desired-state/directory-records.ts';
import { ScimError } from '../errors.ts';
import type { HubState } from './hub-state.ts';
import { canonicalJson } from './same-json.ts';

/**
 * A SCIM User's version (its ETag and `meta.version`): `W/"<record version>-<hub tag>"`.
 *
 * The record's version counts the IdP's writes, but the User also carries the read-only hub
 * extension (the person's standing in the hub app: status, role, exemption), which the agent's
 * work and the clock change without any SCIM write. RFC 7644 §3.14 has the version change when
 * the resource does, and an If-None-Match naming an older one must not answer 304 (RFC 9110
 * §13.1.2): a version of the record alone kept an IdP on a status that was no longer true
 * (`pending_invite` after the invite lapsed). The tag is a digest of the extension as rendered;
 * the record's version stays the store's concurrency guard.
 */
export function hubTag(state: HubState): string {
  return createHash('sha256').update(canonicalJson(state)).digest('base64url').slice(0, 12);
}

export function userVersion(record: Pick<DirectoryUserRecord, 'version'>, state: HubState): string {
  return `W/"${record.version}-${hubTag(state)}"`;
}

interface NamedVersion {
  version: number;
  /** Absent in an ETag issued before the hub tag existed (`W/"3"`). */
  tag?: string;
}

/** The versions an If-Match names (`W/"3-abc"`, `"3"`, a comma-separated list); what is not one names none. */
function namedVersions(ifMatch: string): NamedVersion[] {
  const out: NamedVersion[] = [];
  for (const token of ifMatch.split(',')) {
    const m = /^(?:W\/)?"(\d{1,15})(?:-([A-Za-z0-9_-]{1,64}))?"$/.exec(token.trim());
    if (m) out.push(m[2] === undefined ? { version: Number(m[1]) } : { version: Number(m[1]), tag: m[2] });
  }
  return out;
}

/**
 * RFC 7644 §3.14 / RFC 9110 §13.1.1: a write carrying If-Match applies only to the User as the
 * client last saw it; otherwise 412 and nothing changes. `currentState` reads the extension
 * (through the write's transaction) only when an If-Match names the record's version with a tag.
 *
 * An ETag of the record's version alone (`W/"3"`, as issued before the tag) still applies when
 * the record is at that version: it names everything a write can change (the extension is
 * read-only: a PUT ignores it, a PATCH naming it is a 400), so a write guarded by it cannot undo
 * a change its client did not see, and refusing it made every IdP write in flight across an
 * upgrade a 412. A tagged ETag is held to the whole User: a standing changed since it was issued
 * is a 412, as any conditional request on a changed representation.
 */
export async function assertUserVersion(ifMatch: string | undefined, record: Pick<DirectoryUserRecord, 'version'>, currentState: () => Promise<HubState>, what: string): Promise<void> {
  if (!ifMatch || ifMatch.trim() === '*') return;
  const named = namedVersions(ifMatch).filter((v) => v.version === record.version);
  if (named.some((v) => v.tag === undefined)) return;
  if (named.length > 0) {
    const tag = hubTag(await currentState());
    if (named.some((v) => v.tag === tag)) return;
    throw new ScimError(412, undefined, `${what} changed since ${ifMatch.trim().slice(0, 200)} (If-Match; it is now W/"${record.version}-${tag}"); fetch it again and retry`);
  }
  throw new ScimError(412, undefined, `${what} is at version ${record.version}, not ${ifMatch.trim().slice(0, 200)} (If-Match); fetch it again and retry`);
}
