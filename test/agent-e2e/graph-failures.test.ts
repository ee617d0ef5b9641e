import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { checkForUpdates, HUB, invitePosts, silent, startHarness, until, type Harness } from './harness.ts';
import { createMetaEmulator } from '../../connectors/meta-business/emulator/index.ts';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { startWatchdog } from '../../agent/health/watchdog.ts';
import { hubHealth } from '../../agent/health/hub-health.ts';
import '../../agent/app-state/records.ts';

/**
 * Graph failures users of Business Manager tools report, met by an invite the directory asks for:
 * the agent waits when Meta says "later", pauses the hub only for what an admin must fix, and
 * never invites anyone because of an answer it could not read.
 */
async function inviteTask(h: Harness, email: string, userId: string) {
  await h.directory.createUser(userId, email);
  await h.directory.patchGroup('Meta Advertisers', [userId]);
  const found = await until(`the invite of ${email} ended an attempt with an error`, async () => (await h.agent.api.tasks({ hubId: HUB, kind: 'invite' })).items.find((t) => t.lastError !== undefined && (t.status === 'waiting' || t.status === 'failed')));
  return (await h.store.get('tasks', HUB, found.id))!;
}

const paused = async (h: Harness) => (await h.store.get('hubStates', '', HUB))?.paused === true;
const invited = (h: Harness, email: string) => h.emulator.control.state().invites.some((i) => i.email === email);

describe('a plain HTTP 403 (quota exhaustion, social-core#859) on an invite', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); await checkForUpdates(h); });
  after(() => h.close());

  test('waits on the app scope like code 4; the hub is not paused; nothing is invited', async () => {
    h.emulator.control.setFaults({ plainForbidden: { match: `^/${SANDBOX.businessId}/business_users$`, calls: 100 } });
    const task = await inviteTask(h, 'quota@example.com', 'u-quota');
    assert.equal(task.status, 'waiting');
    assert.equal(task.lastError?.kind, 'rate-limited');
    assert.equal(task.waitReason, 'rate-limited app');
    assert.match(task.lastError!.message, /HTTP 403 without a Graph error code/);
    assert.ok(Date.parse(task.nextRunAt!) - Date.now() > 5 * 60_000, 'waits as for code 4 (10 min without X-App-Usage at 100 %)');
    assert.equal(await paused(h), false, 'a plain 403 is not read as a permission an admin must grant');
    assert.equal(invited(h, 'quota@example.com'), false);
    assert.equal(h.emulator.calls.filter((c) => c.status === 403).length, 1, 'one refused call; the app scope is not called again meanwhile');
  });
});

describe('10/2859030 "Please retry this action in a few minutes" on an invite (java-business-sdk#442)', () => {
  let h: Harness;
  before(async () => {
    const fixture = sandboxFixture();
    fixture.systemUsers[0].created_time = '-2d';
    h = await startHarness({ emulator: { fixture, guards: { newAdminRestrictionDays: 7 } } });
    await checkForUpdates(h);
  });
  after(() => h.close());

  test('waits a few minutes on the business, not failed, the hub not paused; no invite made', async () => {
    const task = await inviteTask(h, 'later@example.com', 'u-later');
    assert.equal(task.status, 'waiting');
    assert.equal(task.lastError?.kind, 'rate-limited');
    assert.equal(task.waitReason, `rate-limited business:${SANDBOX.businessId}`);
    const wait = Date.parse(task.nextRunAt!) - Date.now();
    assert.ok(wait > 4 * 60_000 && wait <= 5 * 60_000, `waits about 5 min (${wait} ms)`);
    assert.equal(await paused(h), false);
    assert.equal(invited(h, 'later@example.com'), false);
    assert.equal(invitePosts(h.emulator, 'later@example.com').length, 1, 'one refused POST, not retried while the business is blocked');
  });
});

describe('415/2859009 two-factor authentication required on an invite (java-business-sdk#438)', () => {
  let h: Harness;
  before(async () => {
    const fixture = sandboxFixture();
    fixture.businesses = fixture.businesses.map((b) => (b.id === SANDBOX.businessId ? { ...b, two_factor_type: 'admin_required' } : b));
    h = await startHarness({ emulator: { fixture, guards: { enforceTwoFactor: true } } });
    await checkForUpdates(h);
  });
  after(() => h.close());

  test('pauses the hub with the reason Meta gave and its code; no invite made', async () => {
    await inviteTask(h, 'tfa@example.com', 'u-tfa');
    await until('hub paused', () => paused(h));
    const state = (await h.store.get('hubStates', '', HUB))!;
    assert.match(state.pausedReason ?? '', /tfa@example\.com.*two-factor authentication.*\[415\/2859009\]/i);
    assert.equal(invited(h, 'tfa@example.com'), false);
  });
});

describe('200/2655040 "Permission Denied" on an invite (python-business-sdk#710): a system user that is not an admin', () => {
  let h: Harness;
  before(async () => {
    const fixture = sandboxFixture();
    fixture.systemUsers = fixture.systemUsers.map((u) => (u.id === SANDBOX.systemUserId ? { ...u, role: 'EMPLOYEE' } : u));
    h = await startHarness({ emulator: { fixture } });
    await checkForUpdates(h);
  });
  after(() => h.close());

  test('pauses the hub naming the call and the code; the task is not failed for good; no invite made', async () => {
    const task = await inviteTask(h, 'denied@example.com', 'u-denied');
    await until('hub paused', () => paused(h));
    const state = (await h.store.get('hubStates', '', HUB))!;
    assert.match(state.pausedReason ?? '', /invite denied@example\.com.*permission-denied.*\[200\/2655040\]/);
    assert.equal(task.status, 'waiting', 'runs again when an owner resumes the hub');
    assert.equal(task.waitReason, 'hub paused');
    assert.equal(invited(h, 'denied@example.com'), false);
  });
});

describe('system-user tokens that expire after 60 days (mureo#726): the watchdog reads the expiry from Meta', () => {
  const check = async (expiresAt: string) => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    const fixture = sandboxFixture();
    fixture.tokens = fixture.tokens.map((t) => (t.value === SANDBOX.token ? { ...t, expiresAt } : t));
    const emulator = createMetaEmulator({ fixture, now: () => now, debugToken: true });
    const server = await emulator.listen(0);
    try {
      const connector = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log: silent });
      const store = new MemoryStore();
      const warnings: string[] = [];
      const dog = startWatchdog({ store, hubs: [{ id: HUB } as never], connectorFor: () => connector, log: { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) }, clock: () => new Date(now) });
      await dog.runOnce();
      dog.stop();
      return { health: await hubHealth(store, HUB, new Date(now)), warnings };
    } finally {
      await server.close();
    }
  };

  test('ten days before expiry the hub health says when, before any task fails', async () => {
    const { health } = await check('+10d');
    assert.equal(health.credential?.valid, true);
    assert.match(health.problems.join('\n'), /app credential expires in 10 days \(2026-12-11/);
  });

  test('once expired the credential shows not valid and the watchdog warns', async () => {
    const { health, warnings } = await check('-1d');
    assert.equal(health.credential?.valid, false);
    assert.match(warnings.join('\n'), /app credential is not valid/);
  });
});
