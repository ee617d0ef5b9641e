/**
 * Leaver events arriving together (a bulk deactivation: Okta's event hook beside its SCIM
 * deactivations, offboardings from Okta Workflows over the admin API) write each person's
 * revocation marks without re-running one another on PostgreSQL. Each used to list every mark
 * to prune the expired ones inside its transaction, a read every other leaver's marks change:
 * concurrent ones ran again one after another. Expired marks are still pruned (after the commit).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import { collect } from '../../agent/store/store.ts';
import { postgresForTests, testSchema } from '../../test/postgres.ts';
import { endSessionsIn, endSessionsOf, SIGN_IN_MARK_TTL_MS, withdrawAdminGroup } from './session-revocation.ts';

const db = await postgresForTests();
const stores: PostgresStore[] = [];
const drops: Array<() => Promise<void>> = [];
after(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(drops.map((d) => d()));
});

async function replicas(): Promise<[PostgresStore, PostgresStore]> {
  const { schema, drop } = testSchema(db.url, 'leaver_marks');
  drops.push(drop);
  const pair = [new PostgresStore({ url: db.url, schema, poolSize: 4 }), new PostgresStore({ url: db.url, schema, poolSize: 4 })] as const;
  for (const s of pair) {
    await s.open();
    stores.push(s);
  }
  return [...pair];
}

const cause = { trigger: { type: 'okta-event-hook' as const, actor: 'okta' }, why: 'deactivated in Okta' };

describe('leaver events together on PostgreSQL', { skip: db.skip }, () => {
  test('concurrent offboardings, event-hook endings, group removals and SCIM pushes of different people do not re-run one another', async () => {
    const [a, b] = await replicas();
    const n = 8;
    await Promise.all([
      ...Array.from({ length: n }, (_, i) => endSessionsOf(a, { ids: [`00u-h${i}`], emails: [`h${i}@example.com`] }, cause)),
      ...Array.from({ length: n }, (_, i) => withdrawAdminGroup(a, { ids: [`00u-g${i}`], emails: [`g${i}@example.com`] }, { name: 'Hubwarden Admins' }, cause)),
      ...Array.from({ length: n }, (_, i) => b.transact((tx) => endSessionsIn(tx, { ids: [`00u-s${i}`], emails: [`s${i}@example.com`] }, cause, Date.now(), { pruneMarks: false }))),
    ]);
    assert.equal(a.stats().reRuns + b.stats().reRuns, 0, 'no leaver ran again because of another');
    assert.equal((await collect(a.list('dashboardSignInMarks', ''))).length, n * 6);
  });

  test('expired marks are still pruned by a leaver event', async () => {
    const [a] = await replicas();
    await a.transact((tx) => tx.put('dashboardSignInMarks', '', 'id:00u-old', { id: 'id:00u-old', revokedAt: Date.now() - SIGN_IN_MARK_TTL_MS - 60_000 }));
    await endSessionsOf(a, { ids: ['00u-new'] }, cause);
    assert.deepEqual((await collect(a.list('dashboardSignInMarks', ''))).map((m) => m.id), ['id:00u-new']);
  });
});
