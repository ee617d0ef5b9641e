/**
 * Write-back under throttling, through the real SDKs against the emulators: Okta's 429 E0000047
 * and X-Rate-Limit-* (https://developer.okta.com/docs/reference/rl-best-practices/), Graph's 429
 * and 503 with Retry-After (https://learn.microsoft.com/en-us/graph/throttling,
 * https://learn.microsoft.com/graph/errors). A throttle is waited out or left to the next run; it
 * never multiplies the calls sent into it, and never counts a person as written who was not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.ts';
import { collect } from '../store/store.ts';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import { createGraphEmulator } from '../../test/emulators/graph/graph-emulator.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, ENTRA, EXT_PREFIX, movableClock, OKTA_TOKEN, seededStore, writebackConfig } from './writeback-fixtures.ts';

const HUB = 'meta-main';

function oktaPeople(n: number, tag: string) {
  return Array.from({ length: n }, (_, i) => ({ id: `00u${tag}${String(i).padStart(17 - tag.length, '0')}`, login: `${tag}${i}@example.com` }));
}

test('okta: hubs sharing a throttled IdP: their attributes are asked for once per run, not once more for each hub', async () => {
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users: [] });
  const server = await okta.listen();
  try {
    const hubs = ['meta-main', 'meta-eu', 'meta-us'];
    const config = parseConfig(JSON.stringify({
      identityProviders: { okta: { kind: 'okta', orgUrl: server.url, token: 'env:OKTA_TOKEN' } },
      hubs: hubs.map((id, n) => ({ id, connector: 'meta-business', identityProvider: 'okta', meta: { businessId: `100${n}` } })),
    }), '/tmp/hubwarden-writeback-test.yaml', { OKTA_TOKEN });
    const store = await seededStore(HUB, [], []);
    const log = capturingLog();
    const writeback = createWriteback({ config, store, log, clock: movableClock(), tuning: { okta: { maxRetries: 1, resetMarginMs: 0 } } });
    okta.control.throttleNext(1000, 0);
    await assert.rejects(writeback.run(HUB), /E0000047/);
    const reads = okta.calls.filter((c) => c.path === '/api/v1/meta/schemas/user/default');
    assert.deepEqual(reads.map((c) => [c.method, c.status]), [['GET', 429], ['GET', 429]], 'one read and the SDK\'s one retry; no read per hub after it');
    assert.ok(!JSON.stringify(log.lines).includes('refused the hub\'s attributes'), 'a throttle is not logged as a refusal');
    okta.control.throttleNext(0, 0);
    await writeback.run(HUB);
    assert.ok(hubs.every((h) => okta.state().schema[`hubwarden_${h.replace(/-/g, '_')}_status`]), 'every hub\'s attributes once the IdP answers');
  } finally {
    await server.close();
  }
});

test('okta: the schema sent again without description and master, throttled: the run fails as throttled, not as the hub\'s attributes refused', async () => {
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users: [], readings: { schemaPropertyFields: 'reference-example' } });
  const server = await okta.listen();
  try {
    const clock = movableClock();
    // The schema read and the first POST (refused 400 for its fields) fit the window; the POST sent
    // again does not. Okta's window runs on real time: the bucket's wait for the reset, on the
    // movable clock, ends before it.
    okta.control.setRateLimit({ limit: 2, windowSeconds: 60 });
    const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store: await seededStore(HUB, [], []), log: capturingLog(), clock, tuning: { okta: { maxRetries: 0, resetMarginMs: 0 } } });
    await assert.rejects(writeback.run(HUB), (err: Error) => /E0000047/.test(err.message) && !/E0000001/.test(err.message));
    assert.deepEqual(okta.calls.map((c) => c.status), [200, 400, 429]);
  } finally {
    await server.close();
  }
});

test('okta: an org whose clock is behind ours: the wait for X-Rate-Limit-Reset is read against the answer\'s Date, and nothing is sent into the window before it resets', async () => {
  const people = oktaPeople(6, 'skew');
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users: people });
  const server = await okta.listen();
  try {
    const store = await seededStore(HUB, people.map((p, i) => directoryUser(HUB, `u-${i}`, p.login, { externalId: p.id })), []);
    const clock = movableClock();
    const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock, tuning: { okta: { maxRetries: 2, resetMarginMs: 1000 }, concurrency: 1 } });
    await writeback.ensureSchema();
    // Two calls a minute, by an Okta clock 30 s behind ours (its Date header and its resets alike).
    okta.control.setRateLimit({ limit: 2, windowSeconds: 60, now: () => clock.now() - 30_000 });
    okta.control.clearCalls();
    const report = await writeback.run(HUB);
    assert.equal(report.written, 6, JSON.stringify(report.problems));
    assert.deepEqual(okta.calls.map((c) => c.status).filter((s) => s === 429), [], 'no update went out before Okta\'s window reset');
    assert.ok(report.waitedMs >= 2 * 60_000, `waited for Okta's two resets (${report.waitedMs} ms)`);
  } finally {
    await server.close();
  }
});

test('entra: a 503 with Retry-After is retried by the SDK\'s RetryHandler; one past the retries leaves the person unwritten, sent once on the next run', async () => {
  const ids = ['0a0a0a0a-1111-2222-3333-000000000001', '0a0a0a0a-1111-2222-3333-000000000002'];
  const graph = createGraphEmulator({ ...ENTRA, applications: [{ appId: ENTRA.extensionAppId }], users: ids.map((id, i) => ({ id, userPrincipalName: `p${i}@contoso.com` })) });
  const server = await graph.listen();
  try {
    const hub = 'ads-eu';
    const store = await seededStore(hub, ids.map((id, i) => directoryUser(hub, `u-${i}`, `p${i}@contoso.com`, { externalId: id })), []);
    const writeback = createWriteback({ config: writebackConfig({ graph: server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { concurrency: 1, entra: { maxRetries: 1, delaySeconds: 0 } } });
    await writeback.ensureSchema();
    graph.control.clearCalls();
    graph.control.unavailableNext(1, { retryAfterSeconds: 0 });
    const first = await writeback.run(hub);
    assert.deepEqual([first.written, first.failed], [2, 0], 'the 503 was retried and landed');
    assert.deepEqual(graph.calls.filter((c) => c.method === 'PATCH').map((c) => c.status), [503, 204, 204]);

    // Changed values, then 503s past the SDK's retry for the first person sent.
    const at = '2026-11-20T10:00:00.000Z';
    await store.transact((tx) => { for (let i = 0; i < ids.length; i++) tx.put('appMembers', hub, `m-${i}`, { hubId: hub, id: `m-${i}`, email: `p${i}@contoso.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at }); });
    graph.control.clearCalls();
    graph.control.unavailableNext(2, { status: 504 });
    const second = await writeback.run(hub);
    assert.deepEqual([second.written, second.failed], [1, 1]);
    const statuses = (await collect(store.list('writebackState', hub))).map((s) => s.written?.status).sort();
    assert.deepEqual(statuses, ['onboarded', 'pending'], 'the person the 504s kept from Graph is not recorded as written');
    const failed = (await collect(store.list('audit', hub))).filter((a) => a.action === 'writeback.update' && a.outcome === 'failed');
    assert.equal(failed.length, 1);
    assert.match(failed[0]!.why, /sent again on the next run$/);

    graph.control.clearCalls();
    const third = await writeback.run(hub);
    assert.deepEqual([third.written, third.unchanged, third.failed], [1, 1, 0]);
    assert.deepEqual(graph.calls.filter((c) => c.method === 'PATCH').map((c) => c.status), [204], 'only the person left unwritten is sent, once');
    assert.ok(graph.state().users.every((u) => u[`${EXT_PREFIX}hubwarden_ads_eu_status`] === 'onboarded'));
  } finally {
    await server.close();
  }
});

test('okta: write-back leaves half of each rate-limit window to the org\'s other consumers, pausing at X-Rate-Limit-Remaining half of X-Rate-Limit-Limit, not at 0', async () => {
  // Okta's limits are org-wide and shared (https://developer.okta.com/docs/reference/rl-best-practices/);
  // a bulk sync that spends them to 0 starves other integrations with 429 E0000047
  // (https://github.com/redhat-cop/group-sync-operator/issues/167).
  const people = oktaPeople(8, 'share');
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users: people });
  const server = await okta.listen();
  try {
    const store = await seededStore(HUB, people.map((p, i) => directoryUser(HUB, `u-${i}`, p.login, { externalId: p.id })), []);
    const clock = movableClock();
    const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock, tuning: { okta: { maxRetries: 2, resetMarginMs: 1000 }, concurrency: 1 } });
    await writeback.ensureSchema();
    // Four calls a minute, on write-back's clock.
    okta.control.setRateLimit({ limit: 4, windowSeconds: 60, now: () => clock.now() });
    okta.control.clearCalls();
    const report = await writeback.run(HUB);
    assert.equal(report.written, 8, JSON.stringify(report.problems));
    assert.deepEqual(okta.calls.map((c) => c.status).filter((s) => s === 429), [], 'nothing sent into an exhausted window');
    // Two updates a window (half of four), so three resets waited for, not one.
    assert.ok(report.waitedMs >= 3 * 60_000, `waited for three resets, two updates a window (${report.waitedMs} ms)`);
  } finally {
    await server.close();
  }
});

test('okta: the reserve is read from X-Rate-Limit-Limit and -Remaining; headers that are no counts pause nothing but a 0', async () => {
  const { atReserve } = await import('./okta-rate-window.ts');
  assert.equal(atReserve('0', '600', 0.5), true);
  assert.equal(atReserve('300', '600', 0.5), true);
  assert.equal(atReserve('301', '600', 0.5), false);
  assert.equal(atReserve('5', undefined, 0.5), false, 'no limit header: only a 0 pauses');
  assert.equal(atReserve('0', undefined, 0.5), true);
  assert.equal(atReserve('', '600', 0.5), false);
  assert.equal(atReserve('many', '600', 0.5), false);
  assert.equal(atReserve('1', '600', 0), false, 'share 0: spend the window');
});
