import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { hubHealth, DAY_MS } from './hub-health.ts';
import { checkHubCredential } from './credential-check.ts';
import { retireLapsedExemptions, startWatchdog } from './watchdog.ts';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import type { CredentialHealth } from '../../connectors/sdk/hub-model.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import '../app-state/records.ts';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const iso = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();
const connectorWith = (health: CredentialHealth | Error): HubConnector => ({
  id: 'fake', limits: { assetsPerAssignmentRead: 50 },
  async checkCredential() { if (health instanceof Error) throw health; return health; },
});

async function imported(store: MemoryStore, outcome: 'completed' | 'failed' = 'completed') {
  await store.transact((tx) => {
    tx.put('appImports', 'h', 'h', { hubId: 'h', id: 'h', complete: true, completedAt: iso(-3600_000) });
    tx.put('checkRuns', 'h', 'r1', { hubId: 'h', id: 'r1', trigger: { type: 'schedule' }, startedAt: iso(-3700_000), finishedAt: iso(-3600_000), durationMs: 1, outcome: 'completed', graphCalls: 3 });
    if (outcome === 'failed') tx.put('checkRuns', 'h', 'r2', { hubId: 'h', id: 'r2', trigger: { type: 'schedule' }, startedAt: iso(-60_000), finishedAt: iso(-50_000), durationMs: 1, outcome: 'failed', graphCalls: 1, error: { kind: 'unavailable', message: 'x' } });
  });
}

const task = (id: string, patch: Partial<TaskRecord>): TaskRecord => ({
  id, hubId: 'h', kind: 'invite', status: 'completed', idempotencyKey: id, payload: {}, summary: id, trigger: { type: 'scim' },
  attempts: 1, attemptsEnded: 1, createdAt: iso(-DAY_MS), updatedAt: iso(-60_000), ...patch,
});

describe('hub health', () => {
  test('never imported: unknown, says why', async () => {
    const health = await hubHealth(new MemoryStore(), 'h', NOW);
    assert.equal(health.status, 'unknown');
    assert.match(health.problems.join('\n'), /no complete check for updates yet/);
  });

  test('healthy hub: ok, no problems, last check reported', async () => {
    const store = new MemoryStore();
    await imported(store);
    await checkHubCredential(store, 'h', connectorWith({ valid: true, expiresAt: iso(60 * DAY_MS), scopes: ['business_management'], missingScopes: [] }), NOW);
    const health = await hubHealth(store, 'h', NOW);
    assert.deepEqual(health.problems, []);
    assert.equal(health.status, 'ok');
    assert.deepEqual(health.lastCheckForUpdates, { at: iso(-3600_000), outcome: 'completed', taskId: 'r1' });
    assert.equal(health.credential?.valid, true);
  });

  test('token expiring within 14 days, missing scopes, failed last check, failing tasks, invites near expiry', async () => {
    const store = new MemoryStore();
    await imported(store, 'failed');
    await checkHubCredential(store, 'h', connectorWith({ valid: true, expiresAt: iso(5 * DAY_MS), scopes: [], missingScopes: ['ads_management'] }), NOW);
    await store.transact((tx) => {
      tx.put('tasks', 'h', 'a', task('a', { status: 'failed', updatedAt: iso(-3600_000) }));
      tx.put('tasks', 'h', 'b', task('b', { status: 'failed', updatedAt: iso(-3 * DAY_MS) })); // too old to count
      tx.put('tasks', 'h', 'c', task('c', { status: 'waiting', attempts: 4, lastError: { kind: 'unavailable', message: '5xx' } }));
      tx.put('appInvites', 'h', 'i1', { hubId: 'h', id: 'i1', email: 'a@x.com', role: 'EMPLOYEE', status: 'pending', expiresAt: iso(DAY_MS), sentByHubwarden: true, resendCount: 0, lastSeenAt: iso(0) });
      tx.put('appInvites', 'h', 'i2', { hubId: 'h', id: 'i2', email: 'b@x.com', role: 'EMPLOYEE', status: 'pending', expiresAt: iso(20 * DAY_MS), sentByHubwarden: true, resendCount: 0, lastSeenAt: iso(0) });
    });
    const health = await hubHealth(store, 'h', NOW);
    assert.equal(health.status, 'degraded');
    assert.equal(health.failingTasks, 2);
    assert.equal(health.invitesNearExpiry, 1);
    const text = health.problems.join('\n');
    assert.match(text, /expires in 5 days/);
    assert.match(text, /lacks scopes: ads_management/);
    assert.match(text, /last check for updates failed .* last successful: 2026-11-23T11:00:00.000Z/);
    assert.match(text, /2 task\(s\) failing/);
  });

  test('paused hub (queue paused it on unauthenticated) and invalid token', async () => {
    const store = new MemoryStore();
    await imported(store);
    await store.transact((tx) => tx.put('hubStates', '', 'h', { id: 'h', hubId: 'h', paused: true, pausedReason: 'meta-business: token expired (unauthenticated)', pausedBy: 'unauthenticated' }));
    await checkHubCredential(store, 'h', connectorWith({ valid: false, scopes: [], missingScopes: [], problem: 'Session has expired' }), NOW);
    const health = await hubHealth(store, 'h', NOW);
    assert.equal(health.status, 'paused');
    assert.equal(health.pausedReason, 'meta-business: token expired (unauthenticated)');
    assert.match(health.problems.join('\n'), /not valid: Session has expired/);
  });

  test('a credential whose expiry the app did not tell is not shown as one that never expires', async () => {
    // The dashboard's hub card reads a credential without expiresAt as "valid, does not expire"
    // (static/hubs-page.js): right for a token that has no expiry, wrong for one whose expiry is
    // unknown (Meta's token check without debug_token, the sandbox emulator's default).
    const store = new MemoryStore();
    await imported(store);
    await checkHubCredential(store, 'h', connectorWith({ valid: true, expiryUnknown: true, scopes: [], missingScopes: [], problem: 'expiry and scopes unknown' }), NOW);
    const health = await hubHealth(store, 'h', NOW);
    assert.deepEqual(health.credential, { valid: true, missingScopes: [], expiryUnknown: true });
    assert.equal(health.status, 'ok', 'a working token of unknown expiry is no problem of its own');
    // Kept as the last answer when a later check cannot run.
    await checkHubCredential(store, 'h', connectorWith(new Error('connect ECONNREFUSED')), NOW);
    assert.equal((await hubHealth(store, 'h', NOW)).credential?.expiryUnknown, true);
    // A credential that does not expire keeps saying so.
    await checkHubCredential(store, 'h', connectorWith({ valid: true, scopes: [], missingScopes: [] }), NOW);
    assert.deepEqual((await hubHealth(store, 'h', NOW)).credential, { valid: true, missingScopes: [] });
  });

  test('a credential check that cannot run keeps the last answer and says so', async () => {
    const store = new MemoryStore();
    await checkHubCredential(store, 'h', connectorWith({ valid: true, expiresAt: iso(60 * DAY_MS), scopes: ['x'], missingScopes: [] }), NOW);
    const rec = await checkHubCredential(store, 'h', connectorWith(new Error('connect ECONNREFUSED')), NOW);
    assert.equal(rec?.valid, true);
    assert.equal(rec?.checkError, 'connect ECONNREFUSED');
    assert.match((await hubHealth(store, 'h', NOW)).problems.join('\n'), /credential check failed .*ECONNREFUSED/);
  });
});

describe('watchdog', () => {
  test('retires lapsed exemptions with an audit entry, and checks credentials', async () => {
    const store = new MemoryStore();
    await store.transact((tx) => {
      tx.put('appMembers', 'h', 'm1', { hubId: 'h', id: 'm1', email: 'a@x.com', role: 'EMPLOYEE', firstSeenAt: iso(0), lastSeenAt: iso(0) });
      tx.put('exemptions', 'h', 'm1', { hubId: 'h', memberId: 'm1', reason: 'trial', until: iso(-1000), by: 'owner', at: iso(-DAY_MS) });
      tx.put('exemptions', 'h', 'm2', { hubId: 'h', memberId: 'm2', reason: 'keep', by: 'owner', at: iso(-DAY_MS) });
    });
    assert.equal(await retireLapsedExemptions(store, 'h', NOW), 1);
    assert.equal(await store.get('exemptions', 'h', 'm1'), undefined);
    assert.ok(await store.get('exemptions', 'h', 'm2'));
    assert.equal((await store.get('memberMatches', 'h', 'm1'))?.outcome, 'unmatched');
    assert.deepEqual((await collect(store.list('audit', 'h'))).map((e) => e.action), ['exemption-lapsed']);
    assert.equal(await retireLapsedExemptions(store, 'h', NOW), 0);

    const hub = { id: 'h' } as never;
    const dog = startWatchdog({ store, hubs: [hub], connectorFor: () => connectorWith({ valid: true, scopes: [], missingScopes: [] }), log: { warn() {}, error() {} }, clock: () => NOW });
    await dog.runOnce();
    dog.stop();
    assert.equal((await store.get('credentialChecks', '', 'h'))?.valid, true);
  });
});
