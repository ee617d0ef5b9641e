import type { HubConfigFile } from '../../config/schema.ts';
import { isActiveUser, type DirectoryUserRecord } from '../desired-state/directory-records.ts';

/** A hub where the words naming a person name several directory users, one or more of them active. */
export interface AmbiguousPerson {
  hubId: string;
  directoryUserIds: string[];
}

/**
 * Where an offboarding's person is ambiguous: a hub on which it found several directory users,
 * one or more of them active. A rehire (a new directory user, active, with a leaver's email) holds
 * the seat (matching's SOLE_ACTIVE); offboarding "the person with this email" then took the
 * rehire's seat and held them too, though the workflow (an Okta Workflow run late for the
 * leaver's deactivation, an admin meaning the leaver) was about the leaver. Refused instead: the
 * caller names one directory user (`directoryUserId`). Several accounts all inactive (deactivated,
 * suspended, offboarded) hold no one's current access: offboarding them all is harmless.
 */
export function ambiguousPerson(found: ReadonlyArray<{ hub: HubConfigFile; user?: DirectoryUserRecord }>): AmbiguousPerson[] {
  const byHub = new Map<string, DirectoryUserRecord[]>();
  for (const f of found) if (f.user) byHub.set(f.hub.id, [...(byHub.get(f.hub.id) ?? []), f.user]);
  const out: AmbiguousPerson[] = [];
  for (const [hubId, users] of byHub) {
    if (users.length > 1 && users.some(isActiveUser)) out.push({ hubId, directoryUserIds: users.map((u) => u.id).sort() });
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
export function ambiguousText(label: string, ambiguous: readonly AmbiguousPerson[], found: ReadonlyArray<{ hub: HubConfigFile; user?: DirectoryUserRecord }> = []): string {
  const where = ambiguous.map((a) => `hub ${a.hubId}: directory users ${a.directoryUserIds.join(', ')}`).join('; ');
  const others = new Map<string, string[]>();
  for (const f of found) if (f.user && !ambiguous.some((a) => a.hubId === f.hub.id)) others.set(f.hub.id, [...(others.get(f.hub.id) ?? []), f.user.id]);
  const elsewhere = [...others].map(([hubId, ids]) => `hub ${hubId}: directory user ${ids.sort().join(', ')}`).join('; ');
  return `agent: ${label} names several directory users, one or more of them active: nothing offboarded; name one by its directory user id (admin API body field "directoryUserId", CLI --directory-user), one offboarding per hub (an id is one hub's) (${where}${elsewhere ? `; also on ${elsewhere}` : ''})`;
}
