import type { TestContext } from 'node:test';
import type { HubConfigFile } from '../../config/schema.ts';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { testGroup, testUser } from '../grants/grant-fixtures.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import { defineParentIndex } from '../tasks/parent-tasks.ts';
import { defineHeldIndexes } from './held-indexes.ts';

/**
 * Test fixtures for races over held removals (approvals, offboardings) on two PostgreSQL
 * connections: two replicas of one schema, and a hub of nine employees and an admin.
 */

/** Two open stores on `schema` (two replicas) with the indexes the agent defines that these races read; closed after the test. */
export async function twoReplicas(t: TestContext, url: string, schema: string): Promise<[PostgresStore, PostgresStore]> {
  const replica = async () => {
    const s = new PostgresStore({ url, schema, poolSize: 2 });
    defineDirectoryIndexes(s);
    definePersonIndexes(s);
    defineHeldIndexes(s);
    defineParentIndex(s);
    await s.open();
    return s;
  };
  const a = await replica();
  const b = await replica();
  t.after(() => Promise.all([a.close(), b.close()]));
  return [a, b];
}

/** Nine directory users (u-0…u-8) holding the seats m-0…m-8 through group g1, an admin seat, and a complete import. */
export async function seedNineSeats(store: PostgresStore, hub: HubConfigFile, at: string): Promise<void> {
  await store.transact((tx) => {
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    for (let i = 0; i < 9; i++) {
      tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`));
      tx.put('appMembers', hub.id, `m-${i}`, { hubId: hub.id, id: `m-${i}`, email: `p${i}@example.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    }
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', Array.from({ length: 9 }, (_, i) => `u-${i}`), at));
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
}
