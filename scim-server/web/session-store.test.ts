import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import { collect, type Change, type Store } from '../../agent/store/store.ts';
import { postgresForTests, testSchema } from '../../test/postgres.ts';
import { FailureLimiter } from '../auth-failures.ts';
import { SessionStore } from './session-store.ts';

/**
 * Dashboard sessions, pending OIDC sign-ins and wrong-credential counts kept in the store, so any
 * replica serves any signed-in person and a guesser gets one budget across replicas. Each case
 * runs on one MemoryStore seen by two "replicas" (two SessionStore / FailureLimiter instances),
 * then on two PostgresStore instances on one schema.
 */
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** Counts the transactions committed through these stores (each reports its own commits at once). */
function watched(...stores: Store[]): { writes: () => number } {
  let n = 0;
  for (const store of new Set(stores)) store.subscribe((changes: readonly Change[]) => { if (changes.some((c) => !c.remote)) n++; });
  return { writes: () => n };
}

function cases(pair: () => Promise<[Store, Store]>): void {
  test('a session started on one replica is served by the other; signing out on either ends it', async () => {
    const [a, b] = await pair();
    const onA = new SessionStore(a);
    const onB = new SessionStore(b);
    const s = await onA.create('jane@example.com', 'oidc', { admin: false, email: 'Jane@Example.com' });
    const seen = await onB.get(s.id);
    assert.deepEqual(seen && { actor: seen.actor, email: seen.email, csrf: seen.csrf, admin: seen.admin }, { actor: 'jane@example.com', email: 'jane@example.com', csrf: s.csrf, admin: false });
    await onB.destroy(s.id);
    assert.equal(await onA.get(s.id), undefined);
  });

  test('the store keeps the SHA-256 of a session id, never the id itself', async () => {
    const [a] = await pair();
    const s = await new SessionStore(a).create('admin-token:abc', 'admin-token');
    const kept = await collect(a.list('dashboardSessions', ''));
    const mine = kept.find((r) => r.actor === 'admin-token:abc')!;
    assert.equal(mine.id, sha256(s.id));
    assert.ok(!JSON.stringify(kept).includes(s.id), 'the cookie value appears nowhere in the store');
    assert.equal(await new SessionStore(a).get(mine.id), undefined, 'the stored key is not a usable cookie');
  });

  test('use refreshes a session at most once a minute (no store write per request); expired sessions are swept', async () => {
    const [a, b] = await pair();
    let now = 1_000_000;
    const onA = new SessionStore(a, { idleMs: 2 * 3_600_000, absoluteMs: 12 * 3_600_000 }, () => now);
    const onB = new SessionStore(b, { idleMs: 2 * 3_600_000, absoluteMs: 12 * 3_600_000 }, () => now);
    const s = await onA.create('x@example.com', 'oidc');
    const w = watched(a, b);
    for (let i = 0; i < 20; i++) { now += 1_000; assert.ok(await onB.get(s.id)); }
    assert.equal(w.writes(), 0, '20 requests within a minute write nothing');
    now += 60_000;
    assert.ok(await onB.get(s.id));
    assert.equal(w.writes(), 1, 'then one refresh');
    now += 2 * 3_600_000 - 1;
    assert.ok(await onA.get(s.id), 'the refresh (made on the other replica) kept it alive');
    now += 2 * 3_600_000 + 1;
    assert.equal(await onA.sweep(), 1);
    assert.equal(await onA.count(), 0);
  });

  test('wrong credentials count once across replicas; past the budget nothing is written', async () => {
    const [a, b] = await pair();
    const now = 5_000_000;
    const budget = { admin: { maxFailures: 4, windowMs: 60_000 } };
    const onA = new FailureLimiter(budget, () => now, a);
    const onB = new FailureLimiter(budget, () => now, b);
    const w = watched(a, b);
    assert.deepEqual([await onA.fail('admin', '10.0.0.1'), await onB.fail('admin', '10.0.0.1'), await onA.fail('admin', '10.0.0.1'), await onB.fail('admin', '10.0.0.1')], [0, 0, 0, 0]);
    assert.equal(await onA.fail('admin', '10.0.0.1'), 60, 'the fifth, on either replica, waits out the window');
    assert.equal(await onB.fail('admin', '10.0.0.1'), 60);
    const before = w.writes();
    for (let i = 0; i < 50; i++) await onB.fail('admin', '10.0.0.1');
    // Replicas that have not seen this address yet read its spent budget from the store.
    for (let i = 0; i < 5; i++) assert.equal(await new FailureLimiter(budget, () => now, i % 2 ? a : b).fail('admin', '10.0.0.1'), 60);
    assert.equal(w.writes(), before, 'a flood past the budget writes nothing');
    assert.equal(await onA.fail('admin', '10.0.0.2'), 0, 'another address has its own budget');
  });
}

describe('sessions and failure limits on one shared store', () => {
  cases(async () => {
    const store = new MemoryStore();
    return [store, store];
  });
});

const db = await postgresForTests();

describe('sessions and failure limits across replicas on PostgreSQL', { skip: db.skip }, () => {
  const open: PostgresStore[] = [];
  const drops: Array<() => Promise<void>> = [];
  after(async () => {
    await Promise.all(open.map((s) => s.close()));
    await Promise.all(drops.map((d) => d()));
  });
  cases(async () => {
    // The previous case's replicas are done (cases run one after another): free their connections.
    await Promise.all(open.splice(0).map((s) => s.close()));
    const { schema, drop } = testSchema(db.url, 'sessions');
    drops.push(drop);
    const stores = [new PostgresStore({ url: db.url, schema, poolSize: 2 }), new PostgresStore({ url: db.url, schema, poolSize: 2 })];
    for (const s of stores) { await s.open(); open.push(s); }
    return [stores[0]!, stores[1]!];
  });
});
