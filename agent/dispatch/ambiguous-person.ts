import type { HubConfigFile } from '../../config/schema.ts';
import { foldName, isActiveUser, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { emailKey } from '../matching/email-key.ts';
import type { ReadView } from '../store/store.ts';
import type { DepartedUserRecord } from './departed-user.ts';
import type { PersonRef } from './find-person.ts';

/**
 * A hub where the words naming a person name several directory users: one or more of them active,
 * or a directory user the IdP deleted and only users created after it was (`departed`).
 */
export interface AmbiguousPerson {
  hubId: string;
  /** Every directory user id the words name there, the deleted ones (`departed`) too. */
  directoryUserIds: string[];
  /** Of them, the users the IdP deleted (departed-user.ts), created before every current one (or when not known). */
  departed?: Array<{ id: string; at: string }>;
}

type Found = ReadonlyArray<{ hub: HubConfigFile; user?: DirectoryUserRecord }>;

/**
 * Where an offboarding's person is ambiguous: a hub on which it found several directory users,
 * one or more of them active. A rehire (a new directory user, active, with a leaver's email) holds
 * the seat (matching's SOLE_ACTIVE); offboarding "the person with this email" then took the
 * rehire's seat and held them too, though the workflow (an Okta Workflow run late for the
 * leaver's deactivation, an admin meaning the leaver) was about the leaver. Refused instead: the
 * caller names one directory user (`directoryUserId`). Several accounts all inactive (deactivated,
 * suspended, offboarded) hold no one's current access: offboarding them all is harmless.
 *
 * The same when the leaver was deleted, not deactivated (SCIM DELETE, RFC 7644 §3.6): their user
 * record is gone, so the words found the rehire alone, and offboarded the current employee. The
 * deletion's record (departedUsers) still has the leaver's emails, userName, when it was deleted
 * and when it was created: a hub where it matches the words and every user found was created
 * after the deleted user was (RFC 7643 §3.1 `meta.created`) is refused as well, naming both. Not
 * only after the deletion: an IdP may create the rehire's account before it deletes the old one
 * (the POST, RFC 7644 §3.3, ahead of the DELETE), and such a user cannot be told from a re-creation.
 * A user created no later than the deleted one (there already when it was created) is another
 * person: not refused for it. A record without the creation time (written before it was kept)
 * takes every user found as possibly the re-creation: refused (a retry naming the id costs less
 * than a current employee's access). The rule lasts while the record does: it is forgotten once
 * no seat of the leaver's is left (retire-departed.ts), after which the email names the current
 * user only.
 * Words naming one user (`directoryUserId`, or an `externalId` a user found carries) are not
 * ambiguous: that user is the one meant.
 */
export async function ambiguousPerson(view: ReadView, found: Found, person: PersonRef): Promise<AmbiguousPerson[]> {
  const byHub = new Map<string, { hub: HubConfigFile; users: DirectoryUserRecord[] }>();
  for (const f of found) if (f.user) byHub.set(f.hub.id, { hub: f.hub, users: [...(byHub.get(f.hub.id)?.users ?? []), f.user] });
  const out: AmbiguousPerson[] = [];
  for (const [hubId, { users }] of byHub) {
    const several = users.length > 1 && users.some(isActiveUser);
    const departed = await departedBefore(view, hubId, users, person);
    if (!several && departed.length === 0) continue;
    const ids = [...users.map((u) => u.id), ...departed.map((d) => d.directoryUserId)];
    out.push({ hubId, directoryUserIds: [...new Set(ids)].sort(), ...(departed.length > 0 ? { departed: departed.map((d) => ({ id: d.directoryUserId, at: deletedAt(d) })) } : {}) });
  }
  return out;
}

/** The deleted users of `hubId` the words name, created (so possibly re-created as) before every one of `users`. */
async function departedBefore(view: ReadView, hubId: string, users: readonly DirectoryUserRecord[], person: PersonRef): Promise<DepartedUserRecord[]> {
  if (person.directoryUserId !== undefined) return [];
  if (person.externalId !== undefined && users.some((u) => u.externalId === person.externalId)) return [];
  const email = person.email ? emailKey(person.email) : undefined;
  const userName = person.userName ? foldName(person.userName.trim()) : undefined;
  if (!email && !userName) return [];
  // Created after the deleted user was (its `created`, RFC 7643 §3.1), or after the deletion: a
  // time that does not parse, or a record without `created`, is not known to be before it. The
  // deletion counts from when the DELETE was accepted (`deletedAt`), not when it was dispatched.
  const notBefore = (u: DirectoryUserRecord, t: string | undefined) => !(Date.parse(u.created) <= Date.parse(t ?? ''));
  const after = (u: DirectoryUserRecord, d: DepartedUserRecord) => notBefore(u, d.created) || notBefore(u, deletedAt(d));
  const out: DepartedUserRecord[] = [];
  // Few records per hub: each is retired once the leaver holds no seat (retire-departed.ts), and whole-hub plans read them all too (plan-input.ts).
  for await (const d of view.list('departedUsers', hubId)) {
    const named = (email !== undefined && d.emails.some((e) => emailKey(e) === email)) || (userName !== undefined && foldName(d.userName) === userName);
    if (named && users.every((u) => after(u, d))) out.push(d);
  }
  return out;
}

/**
 * What a refusal says: the directory user ids (no emails or secrets) and how to name one of them.
 * A directory user id is one hub's (the SCIM server gives each hub's user its own id), so an
 * offboarding by id covers that hub only: the ids the words name on the other hubs (`found`) are
 * listed too, or a leaver on two hubs, rehired on one, kept the other hub's seat once the admin
 * offboarded the one id the refusal gave. How to name one comes first: the CLI shortens a long
 * answer (answer-body.ts shortDetail), which cuts the end of the list, not the way out.
 */
export function ambiguousText(label: string, ambiguous: readonly AmbiguousPerson[], found: Found = []): string {
  const deletion = (a: AmbiguousPerson) => (a.departed?.length
    ? ` (${a.departed.map((d) => `${d.id} deleted in the directory at ${d.at}`).join(', ')}, the others created after it was, possibly its re-creation: a deleted user's seats go with the deletion, not with an offboarding)`
    : '');
  const where = ambiguous.map((a) => `hub ${a.hubId}: directory users ${a.directoryUserIds.join(', ')}${deletion(a)}`).join('; ');
  const others = new Map<string, string[]>();
  for (const f of found) if (f.user && !ambiguous.some((a) => a.hubId === f.hub.id)) others.set(f.hub.id, [...(others.get(f.hub.id) ?? []), f.user.id]);
  const elsewhere = [...others].map(([hubId, ids]) => `hub ${hubId}: directory user ${ids.sort().join(', ')}`).join('; ');
  const kinds = [
    ...(ambiguous.some((a) => !a.departed || a.directoryUserIds.length - a.departed.length > 1) ? ['one or more of them active'] : []),
    ...(ambiguous.some((a) => a.departed) ? ['one deleted in the directory and one with its email or userName created after it was'] : []),
  ].join('; or ');
  return `agent: ${label} names several directory users, ${kinds}: nothing offboarded; name one by its directory user id (admin API body field "directoryUserId", CLI --directory-user), one offboarding per hub (an id is one hub's) (${where}${elsewhere ? `; also on ${elsewhere}` : ''})`;
}

/** When the IdP's DELETE was accepted: `deletedAt`, or `at` on a record written before it was kept. */
const deletedAt = (d: DepartedUserRecord): string => d.deletedAt ?? d.at;
