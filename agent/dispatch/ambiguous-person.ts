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

/** What a refusal says: the directory user ids (no emails or secrets) and how to name one of them. */
export function ambiguousText(label: string, ambiguous: readonly AmbiguousPerson[]): string {
  const where = ambiguous.map((a) => `hub ${a.hubId}: directory users ${a.directoryUserIds.join(', ')}`).join('; ');
  return `agent: ${label} names several directory users, one or more of them active (${where}): nothing offboarded; name one by its directory user id (admin API body field "directoryUserId", CLI --directory-user)`;
}
