import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import { collect, type Change, type Store, type Transaction } from '../../agent/store/store.ts';
import { postgresForTests, testSchema } from '../../test/postgres.ts';
import { FailureLimiter } from '../auth-failures.ts';
import { endSessionsIn, endSessionsOf, SIGN_IN_MARK_TTL_MS, withdrawAdminGroup } from './session-revocation.ts';
import { DEFAULT_SESSION_LIMITS, SessionStore, SignInRevoked, type SessionHolder } from './session-store.ts';
import { refusedAudit, signedInAudit } from './sign-in-audit.ts';

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

  test('the store keeps the SHA-256 of a session id, never the id itself, nor its CSRF token', async () => {
    const [a, b] = await pair();
    const s = await new SessionStore(a).create('admin-token:abc', 'admin-token');
    const kept = await collect(a.list('dashboardSessions', ''));
    const mine = kept.find((r) => r.actor === 'admin-token:abc')!;
    assert.equal(mine.id, sha256(s.id));
    assert.ok(!JSON.stringify(kept).includes(s.id), 'the cookie value appears nowhere in the store');
    assert.equal(await new SessionStore(a).get(mine.id), undefined, 'the stored key is not a usable cookie');
    // The CSRF token is a secret of the session too: with it from a copy of the store, a page on
    // another site could make a signed-in browser's forged request pass the CSRF check.
    assert.ok(s.csrf.length >= 43, 'a 256-bit token');
    assert.ok(!JSON.stringify(kept).includes(s.csrf), 'the CSRF token appears nowhere in the store');
    assert.equal((await new SessionStore(b).get(s.id))?.csrf, s.csrf, 'every replica hands out the same token for the session');
    const other = await new SessionStore(a).create('admin-token:abc', 'admin-token');
    assert.notEqual(other.csrf, s.csrf, 'each session has its own');
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

  test('by default a session ends after 30 minutes unused (ASVS V3.3.2 level 2), and 12 hours after sign-in however used', async () => {
    const [a, b] = await pair();
    let now = 5_000_000;
    const onA = new SessionStore(a, DEFAULT_SESSION_LIMITS, () => now);
    const onB = new SessionStore(b, DEFAULT_SESSION_LIMITS, () => now);
    const edge = await onA.create('edge@example.com', 'oidc');
    const idle = await onA.create('idle@example.com', 'oidc');
    const busy = await onA.create('busy@example.com', 'oidc');
    now += 29 * 60_000;
    assert.ok(await onB.get(edge.id), 'kept at 29 minutes unused');
    assert.ok(await onB.get(busy.id));
    now += 2 * 60_000;
    assert.equal(await onB.get(idle.id), undefined, 'ended at 31 minutes unused');
    for (let m = 0; m < 12 * 60 - 31 - 1; m += 20) {
      now += 20 * 60_000;
      if (now - 5_000_000 < 12 * 3_600_000) assert.ok(await onA.get(busy.id), 'used every 20 minutes: kept');
    }
    now = 5_000_000 + 12 * 3_600_000 + 1;
    assert.equal(await onA.get(busy.id), undefined, 'ended 12 hours after sign-in, though used');
  });

  const jane: SessionHolder = { admin: true, email: 'jane@example.com', idpUserIds: ['00u-jane'] };
  const leaver = { trigger: { type: 'okta-event-hook' as const, idp: 'okta' }, why: 'Okta event user.lifecycle.deactivate: jane was deactivated' };
  /** A sign-in as the callback makes it: its proof's instant, its audit entry, and its refusal's. */
  const signIn = (issuedAt: number) => ({
    issuedAt,
    audit: signedInAudit({ actor: 'jane@example.com', via: 'oidc', email: 'jane@example.com', sub: '00u-jane', admin: true }),
    refusedAudit: (revokedAt: number) => refusedAudit({ actor: 'jane@example.com', via: 'oidc', reason: 'revoked', email: 'jane@example.com', detail: { revokedAt } }),
  });
  const signInAudits = async (s: Store) => (await collect(s.newestFirst('audit'))).filter((e) => e.action === 'dashboard-sign-in');

  test("a leaver's email in the other Unicode form ends their session and marks their sign-in (compared under emailKey, NFC)", async () => {
    const [a, b] = await pair();
    // Signed in as José, precomposed (U+00E9); the IdP's leaver event spells the address decomposed ("e" + U+0301).
    const jose: SessionHolder = { admin: false, email: 'jos\u00e9@example.com', idpUserIds: ['00u-jose'] };
    const at = Date.now();
    const session = await new SessionStore(a).create('jos\u00e9@example.com', 'oidc', jose, { issuedAt: at - 1_000 });
    assert.equal(await endSessionsOf(b, { ids: ['other-issuer-id'], emails: ['Jose\u0301@Example.com'] }, leaver, () => at), 1, 'the session is ended');
    assert.equal(await new SessionStore(a).get(session.id), undefined);
    await assert.rejects(new SessionStore(a).create('jos\u00e9@example.com', 'oidc', { ...jose, idpUserIds: ['another-sub'] }, { issuedAt: at - 1 }), SignInRevoked, 'the mark refuses a sign-in issued before it');
  });

  test("a leaver's mark, made on one replica, refuses on the other a sign-in issued at or before it (no session, audited); one issued after is accepted", async () => {
    const [a, b] = await pair();
    const at = Date.now();
    await endSessionsOf(a, { ids: ['00u-jane'], emails: ['Jane@Example.com'] }, leaver, () => at);
    const onB = new SessionStore(b);
    const before = await onB.count();
    for (const issuedAt of [at - 60_000, at]) {
      await assert.rejects(onB.create('jane@example.com', 'oidc', jane, signIn(issuedAt)), (err) => err instanceof SignInRevoked && err.revokedAt === at);
    }
    // Found by the email alone (a sign-in through another issuer has another sub) and by the id alone.
    await assert.rejects(onB.create('jane@example.com', 'oidc', { admin: false, email: 'jane@example.com', idpUserIds: ['other-sub'] }, signIn(at - 1)), SignInRevoked);
    await assert.rejects(onB.create('oidc:00u-jane', 'oidc', { admin: false, idpUserIds: ['00u-jane'] }, signIn(at - 1)), SignInRevoked);
    assert.equal(await onB.count(), before, 'no session was created');
    const refused = await signInAudits(a);
    assert.equal(refused.filter((e) => e.outcome === 'failed' && e.detail?.reason === 'revoked').length, 4);
    // Re-activated and signed in again: the new ID token is from after the mark.
    const back = await onB.create('jane@example.com', 'oidc', jane, signIn(at + 1_000));
    assert.ok(await new SessionStore(a).get(back.id));
    assert.equal((await signInAudits(a)).filter((e) => e.outcome === 'ok').length, 1, 'the sign-in is audited with its session');
    // Someone else is not concerned.
    assert.ok(await onB.create('lee@example.com', 'oidc', { admin: false, email: 'lee@example.com', idpUserIds: ['00u-lee'] }, { issuedAt: at - 1 }));
  });

  test("a sign-in racing the person's removal from an allowed group, with that group in its token, is refused; one without it, or issued after, is not", async () => {
    const [a, b] = await pair();
    const at = Date.now();
    await withdrawAdminGroup(a, { ids: ['00u-jane'], emails: ['Jane@Example.com'] }, { id: '00g-admins', name: 'Hubwarden Admins' }, leaver);
    const onB = new SessionStore(b);
    const admin: SessionHolder = { ...jane, adminGroups: ['Hubwarden Admins'] };
    // The token's groups name the group by name or id; the person by id or email.
    await assert.rejects(onB.create('jane@example.com', 'oidc', admin, signIn(at - 1_000)), SignInRevoked);
    await assert.rejects(onB.create('jane@example.com', 'oidc', { admin: true, email: 'jane@example.com', adminGroups: ['00g-admins'] }, signIn(at - 1_000)), SignInRevoked);
    // Her hub roles stay hers: the same racing sign-in without the group is let in.
    assert.ok(await onB.create('jane@example.com', 'oidc', { admin: false, email: 'jane@example.com', idpUserIds: ['00u-jane'] }, signIn(at - 1_000)));
    // Put back in the group: a newer token.
    assert.ok(await onB.create('jane@example.com', 'oidc', admin, signIn(Date.now() + 1_000)));
    // Another administrator of the group is not concerned.
    assert.ok(await onB.create('lee@example.com', 'oidc', { admin: true, email: 'lee@example.com', idpUserIds: ['00u-lee'], adminGroups: ['Hubwarden Admins'] }, signIn(at - 1_000)));
  });

  test('marks older than SIGN_IN_MARK_TTL_MS are pruned by the next leaver event; younger ones stay', async () => {
    const [a] = await pair();
    const t0 = 50_000_000;
    await endSessionsOf(a, { ids: ['00u-old'], emails: ['old@example.com'] }, leaver, () => t0);
    await endSessionsOf(a, { ids: ['00u-mid'] }, leaver, () => t0 + 10 * 60_000);
    await endSessionsOf(a, { ids: ['00u-new'] }, leaver, () => t0 + SIGN_IN_MARK_TTL_MS + 1);
    const ids = (await collect(a.list('dashboardSignInMarks', ''))).map((m) => m.id).sort();
    assert.deepEqual(ids, ['id:00u-mid', 'id:00u-new']);
  });

  test('marks a SCIM push wrote without pruning are pruned by the sessions\' sweep at the next sign-in; younger ones stay', async () => {
    const [a, b] = await pair();
    const t0 = 50_000_000;
    const mark = (id: string, at: number) => a.transact((tx) => endSessionsIn(tx, { ids: [id] }, leaver, at, { pruneMarks: false }));
    await mark('00u-old', t0);
    await mark('00u-mid', t0 + 10 * 60_000);
    await mark('00u-new', t0 + SIGN_IN_MARK_TTL_MS + 1);
    const marks = async () => (await collect(a.list('dashboardSignInMarks', ''))).map((m) => m.id).sort();
    assert.deepEqual(await marks(), ['id:00u-mid', 'id:00u-new', 'id:00u-old'], 'the pushes pruned nothing');
    await new SessionStore(b, DEFAULT_SESSION_LIMITS, () => t0 + SIGN_IN_MARK_TTL_MS + 1).create('raj@example.com', 'oidc', { admin: false, email: 'raj@example.com' });
    assert.deepEqual(await marks(), ['id:00u-mid', 'id:00u-new']);
  });

  test("a sign-in committing while a leaver's sessions are being listed is not missed: ended, or refused by the mark", async () => {
    const [a, b] = await pair();
    const at = Date.now();
    const onB = new SessionStore(b);
    const old = await onB.create('jane@example.com', 'oidc', jane);
    // Right after the leaver's sessions are listed (outside or inside the ending transaction), a
    // sign-in whose ID token is from before the event commits on the other replica.
    // (Started here, not inside the ending transaction's code: a store refuses a nested transaction.)
    let listed!: () => void;
    let started = false;
    const racing = new Promise<void>((r) => { listed = r; })
      .then(() => onB.create('jane@example.com', 'oidc', jane, { issuedAt: at - 30_000 }))
      .then((s) => s.id, (err: Error) => err);
    const raceAfterListing = <T>(listing: AsyncIterable<T>): AsyncIterable<T> => (async function* () {
      yield* listing;
      if (started) return;
      started = true;
      listed();
      // Time for it to commit where transactions run side by side (PostgreSQL); where they run one
      // at a time it waits for the ending transaction.
      await Promise.race([racing, sleep(300)]);
    })();
    const list = a.list.bind(a);
    const transact = a.transact.bind(a);
    a.list = ((c: 'dashboardSessions', p: string) => (c === 'dashboardSessions' ? raceAfterListing(list(c, p)) : list(c, p))) as typeof a.list;
    a.transact = ((fn: (tx: Transaction) => unknown) => transact((tx) => {
      const txList = tx.list.bind(tx);
      tx.list = ((c: 'dashboardSessions', p: string) => (c === 'dashboardSessions' ? raceAfterListing(txList(c, p)) : txList(c, p))) as typeof tx.list;
      return fn(tx);
    })) as typeof a.transact;
    try {
      await endSessionsOf(a, { ids: ['00u-jane'], emails: ['jane@example.com'] }, leaver, () => at);
    } finally {
      a.list = list;
      a.transact = transact;
    }
    assert.ok(started, 'the sign-in raced the listing');
    const raced = await racing;
    assert.equal(await onB.get(old.id), undefined);
    if (typeof raced === 'string') assert.equal(await onB.get(raced), undefined, 'the racing session was ended with the others');
    else assert.ok(raced instanceof SignInRevoked, `the racing sign-in was refused by the mark: ${String(raced)}`);
  });

  test('a session\'s binding and followed email (session-identity.ts) are written once, on whichever replica comes first, audited once', async () => {
    const [a, b] = await pair();
    const onA = new SessionStore(a);
    const onB = new SessionStore(b);
    const s = await onA.create('max@example.com', 'oidc', { admin: false, email: 'max@example.com' });
    const moved = { actor: 'maxwell@example.com', email: 'Maxwell@Example.com' };
    const audit = { trigger: { type: 'dashboard' as const }, action: 'move-dashboard-session', outcome: 'ok' as const, why: 'test', subject: { email: 'maxwell@example.com' } };
    // Two requests of the same session, on two replicas, both saw the old email.
    assert.equal((await onA.rebind(s, moved, audit))?.email, 'maxwell@example.com', 'lower-cased as a sign-in keeps it');
    assert.equal((await onB.rebind(s, moved, audit))?.email, 'maxwell@example.com');
    assert.equal((await collect(b.newestFirst('audit'))).filter((e) => e.action === 'move-dashboard-session').length, 1);
    await onA.rebind(s, { directoryUsers: { 'hub-a': ['u-1'] } });
    await onB.rebind(s, { directoryUsers: { 'hub-a': ['u-2'] } });
    assert.deepEqual((await onB.get(s.id))?.directoryUsers, { 'hub-a': ['u-1'] }, 'the first binding stays');
    await onA.destroy(s.id);
    assert.equal(await onB.rebind(s, { directoryUsers: {} }), undefined, 'an ended session is not written back');
    assert.equal(await onB.get(s.id), undefined);
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

describe('sessions and failure limits on a lowdb store', () => {
  const open: LowdbStore[] = [];
  after(async () => { await Promise.all(open.map((s) => s.close())); });
  cases(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    const store = new LowdbStore(join(mkdtempSync(join(tmpdir(), 'hubwarden-sessions-')), 'store.json'));
    await store.open();
    open.push(store);
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
