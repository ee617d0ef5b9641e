/**
 * A directory seeded the way SCIM writes it, for the tests of who may manage what and who holds
 * what (hub roles, My access, own seats): the indexes those reads use, users and groups.
 */
import { defineDirectoryIndexes, type DirectoryGroupRecord, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { defineStandingIndexes } from '../standing/standing.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { Store } from '../store/store.ts';

/** When every seeded record was created and last modified. */
export const SEEDED_AT = '2026-11-01T00:00:00.000Z';

/** An active user with these emails, the first its primary email and userName unless `extra` says otherwise. */
export function directoryUser(hubId: string, id: string, emails: string[], extra: Partial<DirectoryUserRecord> = {}): DirectoryUserRecord {
  return { hubId, id, userName: emails[0]!, active: true, email: emails[0], emails, scim: {}, created: SEEDED_AT, lastModified: SEEDED_AT, version: 1, ...extra };
}

export function directoryGroup(hubId: string, id: string, displayName: string, members: string[]): DirectoryGroupRecord {
  return { hubId, id, displayName, members: members.map((value) => ({ value })), scim: {}, created: SEEDED_AT, lastModified: SEEDED_AT, version: 1 };
}

/** The indexes hub roles, My access and the own-seat rule read (directory, person, standing). */
export function defineAccessIndexes(store: Store): void {
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  defineStandingIndexes(store);
}

/** A memory store with those indexes, opened. */
export async function accessStore(): Promise<MemoryStore> {
  const store = new MemoryStore();
  defineAccessIndexes(store);
  await store.open();
  return store;
}

/** Puts the users and groups in one transaction. */
export function seedDirectory(store: Store, users: DirectoryUserRecord[], groups: DirectoryGroupRecord[] = []): Promise<void> {
  return store.transact((tx) => {
    for (const u of users) tx.put('directoryUsers', u.hubId, u.id, u);
    for (const g of groups) tx.put('directoryGroups', g.hubId, g.id, g);
  });
}
