import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { roundTrips } from '../../agent/store/round-trips.test-double.ts';
import { createOktaHookRouter, type HookRouter } from '../../scim-server/hooks/okta.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from './test-server.ts';

/** Yesterday's date (`YYYY-MM-DDT`): events' `published` relative to the test's clock, since one older than a week is not acted on (okta-event.ts outOfWindow). */
const DAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 11);

let seq = 0;
function event(eventType: string, login: string, published: string, uuid = `evt-${++seq}`) {
  return {
    uuid, published, eventType, version: '0', displayMessage: eventType, severity: 'INFO',
    actor: { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' },
    outcome: { result: 'SUCCESS', reason: null },
    target: [
      { id: `00u-${login}`, type: 'User', alternateId: login, displayName: login },
      { id: '00gsales', type: 'UserGroup', alternateId: 'unknown', displayName: 'Sales' },
    ],
  };
}
const delivery = (...events: unknown[]) => ({
  eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', cloudEventsVersion: '0.1', contentType: 'application/json',
  eventId: 'b5a188b9', eventTime: `${DAY}10:00:00.000Z`, source: 'https://acme.okta.example/api/v1/eventHooks/who123', data: { events },
});

describe('Okta event hook /hooks/okta', () => {
  let server: TestServer;
  let agent: FakeAgent;
  let store: MemoryStore;
  let hook: HookRouter;
  beforeEach(async () => {
    agent = new FakeAgent();
    store = new MemoryStore();
    hook = createOktaHookRouter({ config: testConfig(), agent, store });
    server = await serveRouters([['/hooks', hook]]);
  });
  afterEach(() => server.close());

  const send = (body: unknown, secret: string | null = TEST_ENV.OKTA_HOOK_SECRET) =>
    fetch(`${server.url}/hooks/okta`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret === null ? {} : { authorization: secret }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  test('verification challenge is echoed', async () => {
    const res = await fetch(`${server.url}/hooks/okta`, { headers: { 'X-Okta-Verification-Challenge': 'abc-123' } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { verification: 'abc-123' });
    const missing = await fetch(`${server.url}/hooks/okta`);
    assert.equal(missing.status, 400);
    // Okta's docs do not say whether Verify carries the hook's secret: the right one, or none, is
    // answered; a wrong one fails Verify, since every delivery with it would be refused 401 (never retried).
    const verify = (authorization: string) => fetch(`${server.url}/hooks/okta`, { headers: { 'X-Okta-Verification-Challenge': 'abc-456', authorization } });
    const right = await verify(TEST_ENV.OKTA_HOOK_SECRET);
    assert.equal(right.status, 200);
    assert.deepEqual(await right.json(), { verification: 'abc-456' });
    const wrong = await verify('okta-hook-secret-mai');
    assert.equal(wrong.status, 401);
    assert.doesNotMatch(await wrong.text(), /abc-456/, 'the challenge is not echoed');
  });

  test('the documented delivery in full (client, transaction, debugContext, an app instance target) is accepted, with Okta\'s headers', async () => {
    // Every LogEvent field Okta sends (https://developer.okta.com/docs/concepts/event-hooks/): the ones
    // hubwarden does not read must pass, not fail the delivery (a 4xx is never retried).
    const full = (eventType: string, uuid: string, published: string, extraTarget: object) => ({
      ...event(eventType, 'lee@example.com', published, uuid),
      client: { zone: 'null', device: 'Computer', userAgent: { rawUserAgent: 'Mozilla/5.0', os: 'Mac OS X', browser: 'CHROME' }, ipAddress: '203.0.113.9', geographicalContext: null },
      transaction: { type: 'WEB', id: 'Xabc', detail: {} },
      debugContext: { debugData: { requestUri: '/api/v1/apps/0oa1/users', threatSuspected: 'false' } },
      legacyEventType: 'app.generic.provision.assign_user_to_app', authenticationContext: { authenticationStep: 0, externalSessionId: 'trs1' },
      securityContext: { asNumber: null, asOrg: null, isp: null, domain: null, isProxy: null },
      target: [extraTarget, { id: '00u-lee', type: 'User', alternateId: 'lee@example.com', displayName: 'Lee', detailEntry: null }],
    });
    const res = await fetch(`${server.url}/hooks/okta`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET },
      body: JSON.stringify(delivery(
        full('application.user_membership.add', 'full-2', `${DAY}10:01:00Z`, { id: '0oa1', type: 'AppInstance', alternateId: 'Meta', displayName: 'Meta', detailEntry: { signOnModeType: 'SAML_2_0' } }),
        full('user.lifecycle.deactivate', 'full-1', `${DAY}10:02:00Z`, { id: '00gsales', type: 'UserGroup', alternateId: 'unknown', displayName: 'Sales', detailEntry: null }),
      )),
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    await hook.settled();
    assert.deepEqual(agent.writes().map((c) => [c.method, c.args[0]]), [
      ['reevaluatePerson', { userName: 'lee@example.com', email: 'lee@example.com', externalId: '00u-lee' }],
      ['offboard', { userName: 'lee@example.com', email: 'lee@example.com', externalId: '00u-lee' }],
    ]);
  });

  test('an app assignment whose person is an AppUser target (no User target) re-checks that person by their app username; the AppUser id is not taken for the Okta user id', async () => {
    const assigned = {
      ...event('application.user_membership.add', 'ignored@example.com', `${DAY}10:03:00Z`, 'app-user-1'),
      target: [
        { id: '0ua-assignment-1', type: 'AppUser', alternateId: 'mo@example.com', displayName: 'Mo' },
        { id: '0oa1', type: 'AppInstance', alternateId: 'Meta', displayName: 'Meta' },
      ],
    };
    assert.equal((await send(delivery(assigned))).status, 200);
    await hook.settled();
    assert.deepEqual(agent.writes().map((c) => [c.method, c.args[0]]), [['reevaluatePerson', { userName: 'mo@example.com', email: 'mo@example.com' }]]);
    // A deactivation is keyed on the User target only: an AppUser target alone removes no one.
    const deactivated = { ...event('user.lifecycle.deactivate', 'x@example.com', `${DAY}10:04:00Z`, 'app-user-2'), target: [assigned.target[0]] };
    assert.equal((await send(delivery(deactivated))).status, 200);
    await hook.settled();
    assert.equal(agent.writes().filter((c) => c.method === 'offboard').length, 0);
  });

  test('missing or wrong secret: 401 and nothing processed', async () => {
    const body = delivery(event('user.lifecycle.deactivate', 'jane@example.com', `${DAY}10:00:00Z`));
    assert.equal((await send(body, null)).status, 401);
    assert.equal((await send(body, 'okta-hook-secret-mai')).status, 401);
    assert.equal((await send(body, `Basic ${TEST_ENV.OKTA_HOOK_SECRET}`)).status, 401);
    await hook.settled();
    assert.equal(agent.writes().length, 0);
    assert.equal(await store.count('hookEvents', 'okta'), 0);
  });

  test('deactivate: 200 at once, then offboard with the hook trigger of the matching org', async () => {
    const res = await send(delivery(event('user.lifecycle.deactivate', 'jane@example.com', `${DAY}10:00:00Z`, 'u-1')), TEST_ENV.OKTA_EU_HOOK_SECRET);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    await hook.settled();
    const [call] = agent.writes();
    assert.equal(call.method, 'offboard');
    assert.deepEqual(call.args[0], { userName: 'jane@example.com', email: 'jane@example.com', externalId: '00u-jane@example.com' });
    assert.deepEqual(call.args[1], { type: 'okta-event-hook', idp: 'okta-eu', actor: 'admin@example.com', detail: 'user.lifecycle.deactivate u-1' });
    assert.equal((await store.get('hookEvents', 'okta', 'u-1'))?.state, 'done');
  });

  test('an event whose outcome is not SUCCESS changes nothing', async () => {
    const failedDeactivation = { ...event('user.lifecycle.deactivate', 'jane@example.com', `${DAY}10:00:00Z`, 'f-1'), outcome: { result: 'FAILURE', reason: 'INSUFFICIENT_PERMISSIONS' } };
    assert.equal((await send(delivery(failedDeactivation))).status, 200);
    await hook.settled();
    assert.equal(agent.writes().length, 0);
    assert.match((await store.get('hookEvents', 'okta', 'f-1'))?.outcome ?? '', /outcome.result is not SUCCESS/);
  });

  test('a replayed event is processed once', async () => {
    const body = delivery(event('user.lifecycle.suspend', 'raj@example.com', `${DAY}10:00:00Z`, 'dup-1'));
    assert.equal((await send(body)).status, 200);
    assert.equal((await send(body)).status, 200);
    await hook.settled();
    assert.equal((await send(body)).status, 200);
    await hook.settled();
    assert.equal(agent.writes().filter((c) => c.method === 'suspendPerson').length, 1);
  });

  test('suspend and unsuspend: the person is marked suspended, then not (SCIM says nothing of either)', async () => {
    const body = delivery(
      event('user.lifecycle.suspend', 'raj@example.com', `${DAY}11:00:00Z`, 'sus-1'),
      event('user.lifecycle.unsuspend', 'raj@example.com', `${DAY}11:05:00Z`, 'sus-2'),
    );
    assert.equal((await send(body)).status, 200);
    await hook.settled();
    const calls = agent.writes().filter((c) => c.method === 'suspendPerson');
    assert.deepEqual(calls.map((c) => [c.args[1], (c.args[2] as { detail: string }).detail]), [[true, 'user.lifecycle.suspend sus-1'], [false, 'user.lifecycle.unsuspend sus-2']], 'in published order');
    assert.equal(agent.writes().filter((c) => c.method === 'offboard').length, 0, 'a suspension is not an offboarding');
  });

  test('out-of-order events are handled in published order; membership changes of one person collapse', async () => {
    const body = delivery(
      event('user.lifecycle.deactivate', 'raj@example.com', `${DAY}10:05:00Z`, 'late'),
      event('group.user_membership.remove', 'jane@example.com', `${DAY}10:03:00Z`, 'mid'),
      event('group.user_membership.add', 'raj@example.com', `${DAY}10:01:00Z`, 'early'),
      event('application.user_membership.add', 'jane@example.com', `${DAY}10:02:00Z`, 'mid-early'),
      event('user.session.start', 'jane@example.com', `${DAY}10:00:00Z`, 'ignored'),
    );
    assert.equal((await send(body)).status, 200);
    await hook.settled();
    const writes = agent.writes().map((c) => `${c.method}:${(c.args[0] as { userName: string }).userName}:${(c.args[1] as { detail: string }).detail.split(' ')[1]}`);
    assert.deepEqual(writes, ['reevaluatePerson:raj@example.com:early', 'reevaluatePerson:jane@example.com:mid', 'offboard:raj@example.com:late']);
    assert.equal((await store.get('hookEvents', 'okta', 'ignored'))?.outcome, 'event type user.session.start not handled');
    assert.match((await store.get('hookEvents', 'okta', 'mid-early'))?.outcome ?? '', /covered by a later re-evaluation/);
  });

  test('out of order across deliveries: a suspension change older than one already received is not applied over it', async () => {
    // Okta delivers at least once and possibly out of order, one delivery at a time
    // (https://developer.okta.com/docs/concepts/event-hooks/): order is by `published`, not arrival.
    const suspended = (c: { method: string }) => c.method === 'suspendPerson';
    // Unsuspended at 12:05, but the suspension of 12:00 arrives after it: raj stays unsuspended.
    assert.equal((await send(delivery(event('user.lifecycle.unsuspend', 'raj@example.com', `${DAY}12:05:00Z`, 'x-unsus')))).status, 200);
    await hook.settled();
    assert.equal((await send(delivery(event('user.lifecycle.suspend', 'raj@example.com', `${DAY}12:00:00Z`, 'x-sus')))).status, 200);
    await hook.settled();
    // Suspended at 13:05, but the unsuspension of 13:00 arrives after it: raj stays suspended.
    assert.equal((await send(delivery(event('user.lifecycle.suspend', 'raj@example.com', `${DAY}13:05:00Z`, 'y-sus')))).status, 200);
    await hook.settled();
    assert.equal((await send(delivery(event('user.lifecycle.unsuspend', 'raj@example.com', `${DAY}13:00:00Z`, 'y-unsus')))).status, 200);
    await hook.settled();
    assert.deepEqual(agent.writes().filter(suspended).map((c) => [c.args[1], (c.args[2] as { detail: string }).detail]), [
      [false, 'user.lifecycle.unsuspend x-unsus'],
      [true, 'user.lifecycle.suspend y-sus'],
    ]);
    for (const [id, later] of [['x-sus', 'x-unsus'], ['y-unsus', 'y-sus']]) {
      const record = await store.get('hookEvents', 'okta', id);
      assert.equal(record?.state, 'done', id);
      assert.match(record?.outcome ?? '', new RegExp(`superseded by .* ${later} `), id);
    }
    const audit = [];
    for await (const e of store.list('audit', '')) if (e.outcome === 'skipped') audit.push(e);
    assert.deepEqual(audit.map((e) => [e.action, (e.detail as { eventId: string }).eventId]).sort(), [['suspend', 'x-sus'], ['unsuspend', 'y-unsus']]);
    // Another person's later change is no reason to skip: a suspension of jane is applied.
    assert.equal((await send(delivery(event('user.lifecycle.suspend', 'jane@example.com', `${DAY}12:01:00Z`, 'z-sus')))).status, 200);
    await hook.settled();
    assert.equal(agent.writes().filter(suspended).length, 3);
  });

  test('a deactivation older than an activation or reactivation of the same person (received before it, or in the same delivery) offboards no one: the person is active again', async () => {
    // Okta delivers at least once and possibly out of order (https://developer.okta.com/docs/concepts/event-hooks/).
    const offboards = () => agent.writes().filter((c) => c.method === 'offboard').map((c) => (c.args[1] as { detail: string }).detail);
    assert.equal((await send(delivery(event('user.lifecycle.reactivate', 'raj@example.com', `${DAY}14:05:00Z`, 'r-react')))).status, 200);
    await hook.settled();
    assert.equal((await send(delivery(event('user.lifecycle.deactivate', 'raj@example.com', `${DAY}14:00:00Z`, 'r-deact-old')))).status, 200);
    await hook.settled();
    assert.deepEqual(offboards(), [], 'the older deactivation, delivered late, removes nothing');
    const old = await store.get('hookEvents', 'okta', 'r-deact-old');
    assert.equal(old?.state, 'done');
    assert.match(old?.outcome ?? '', /superseded by user\.lifecycle\.reactivate r-react .*from another delivery/);
    // In one delivery: deactivated, then activated again.
    assert.equal((await send(delivery(
      event('user.lifecycle.activate', 'jane@example.com', `${DAY}15:05:00Z`, 'j-act'),
      event('user.lifecycle.deactivate', 'jane@example.com', `${DAY}15:00:00Z`, 'j-deact'),
    ))).status, 200);
    await hook.settled();
    assert.deepEqual(offboards(), []);
    assert.match((await store.get('hookEvents', 'okta', 'j-deact'))?.outcome ?? '', /superseded by user\.lifecycle\.activate j-act .*in the same delivery/);
    const skipped = [];
    for await (const e of store.list('audit', '')) if (e.action === 'offboard' && e.outcome === 'skipped') skipped.push((e.detail as { eventId: string }).eventId);
    assert.deepEqual(skipped.sort(), ['j-deact', 'r-deact-old']);
    assert.deepEqual(agent.writes().filter((c) => c.method === 'reevaluatePerson').map((c) => (c.args[1] as { detail: string }).detail), ['user.lifecycle.reactivate r-react', 'user.lifecycle.activate j-act']);
    // Deactivated again later: offboarded.
    assert.equal((await send(delivery(event('user.lifecycle.deactivate', 'raj@example.com', `${DAY}14:10:00Z`, 'r-deact-new')))).status, 200);
    await hook.settled();
    assert.deepEqual(offboards(), ['user.lifecycle.deactivate r-deact-new']);
  });

  test('malformed payloads: 400 and nothing processed', async () => {
    assert.equal((await send('{"data": ')).status, 400);
    // Valid JSON, but not the object a delivery is: said so (was "not valid JSON" or a schema message).
    for (const notObject of ['[]', '[{"data":{}}]', '"text"', '42', 'null', 'true']) {
      const res = await send(notObject);
      assert.equal(res.status, 400, notObject);
      assert.match((await res.json()).detail, /^the request body must be a JSON object \(got (a list|a string|a number|null|a boolean)\)$/, notObject);
    }
    const noEvents = await send({ data: {} });
    assert.equal(noEvents.status, 400);
    assert.match((await noEvents.json()).detail, /data\.events/);
    const badDate = await send(delivery({ ...event('user.lifecycle.deactivate', 'jane@example.com', 'x'), published: 'not a date' }));
    assert.equal(badDate.status, 400);
    await hook.settled();
    assert.equal(agent.writes().length, 0);
    assert.equal(await store.count('hookEvents', 'okta'), 0);
  });

  test('an agent failure (unknown person) is recorded, not retried, and the reply was still 200', async () => {
    assert.equal((await send(delivery(event('user.lifecycle.deactivate', 'ghost@example.com', `${DAY}10:00:00Z`, 'g-1')))).status, 200);
    await hook.settled();
    const record = await store.get('hookEvents', 'okta', 'g-1');
    assert.equal(record?.state, 'failed');
    assert.match(record?.outcome ?? '', /no directory user with email ghost@example.com/);
  });

  test('events received before a restart are acted on by the next process', async () => {
    await store.transact((tx) => tx.put('hookEvents', 'okta', 'before-crash', {
      id: 'before-crash', source: 'okta', idp: 'okta', receivedAt: `${DAY}10:00:00Z`, expiresAt: '2099-01-01T00:00:00Z', published: `${DAY}10:00:00Z`,
      state: 'processing', event: { eventType: 'user.lifecycle.deactivate', person: { email: 'raj@example.com', userName: 'raj@example.com' }, actor: 'admin@example.com' },
    }));
    const restarted = createOktaHookRouter({ config: testConfig(), agent, store });
    await restarted.settled();
    assert.deepEqual(agent.writes().map((c) => [c.method, (c.args[0] as { email: string }).email]), [['offboard', 'raj@example.com']]);
    assert.equal((await store.get('hookEvents', 'okta', 'before-crash'))?.state, 'done');
  });

  test('a store that cannot write: 503 (Okta retries once) and nothing acted on', async () => {
    await server.close();
    const broken = new MemoryStore();
    broken.transact = async () => { throw new Error('disk full'); };
    hook = createOktaHookRouter({ config: testConfig(), agent, store: broken });
    server = await serveRouters([['/hooks', hook]]);
    const res = await send(delivery(event('user.lifecycle.deactivate', 'jane@example.com', `${DAY}10:00:00Z`)));
    assert.equal(res.status, 503);
    await hook.settled();
    assert.equal(agent.writes().length, 0);
  });

  test('the hourly sweep of old records does not hold the answer: 200 well within Okta\'s 3 s while the sweep is still reading', async () => {
    await server.close();
    const slow = new MemoryStore();
    const partitions = slow.partitions.bind(slow);
    let release!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    // The sweep's first read (a week of records on a busy org) takes longer than Okta waits.
    slow.partitions = async (collection) => {
      if (collection === 'hookEvents') await released;
      return partitions(collection);
    };
    hook = createOktaHookRouter({ config: testConfig(), agent, store: slow });
    server = await serveRouters([['/hooks', hook]]);
    try {
      const res = await fetch(`${server.url}/hooks/okta`, {
        method: 'POST', signal: AbortSignal.timeout(2000),
        headers: { 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET },
        body: JSON.stringify(delivery(event('user.lifecycle.deactivate', 'jane@example.com', `${DAY}10:00:00Z`, 'slow-sweep-1'))),
      });
      assert.equal(res.status, 200);
      assert.equal((await slow.get('hookEvents', 'okta', 'slow-sweep-1'))?.id, 'slow-sweep-1', 'recorded before the answer');
    } finally {
      release();
    }
    await hook.settled();
    assert.deepEqual(agent.writes().map((c) => [c.method, (c.args[0] as { email: string }).email]), [['offboard', 'jane@example.com']]);
  });

  test('a delivery of many events is recorded in a few round trips to the store, not one per event, before Okta hears 200', async () => {
    // Okta waits 3 s and retries once (https://developer.okta.com/docs/concepts/event-hooks/); on
    // PostgreSQL each read is a round trip (agent/store/round-trips.test-double.ts answers as it does).
    await server.close();
    const counted = roundTrips(new MemoryStore());
    hook = createOktaHookRouter({ config: testConfig(), agent, store: counted.store });
    server = await serveRouters([['/hooks', hook]]);
    await hook.settled();
    const before = counted.count();
    const events = Array.from({ length: 300 }, (_, n) => event('user.session.start', 'jane@example.com', `${DAY}10:00:00Z`, `many-${n}`));
    events.push(event('user.lifecycle.deactivate', 'raj@example.com', `${DAY}10:00:01Z`, 'many-leaver'));
    const res = await send(delivery(...events, events[0]));
    const atAnswer = counted.count() - before;
    assert.equal(res.status, 200);
    assert.ok(atAnswer <= 10, `${atAnswer} round trips before the answer`);
    await hook.settled();
    assert.deepEqual(agent.writes().map((c) => [c.method, (c.args[0] as { email: string }).email]), [['offboard', 'raj@example.com']]);
    assert.equal((await counted.store.get('hookEvents', 'okta', 'many-299'))?.state, 'done');
    assert.equal(await counted.store.count('hookEvents', 'okta'), 301, 'each event once, the copy in the same delivery too');
  });

  test('a delivery of as many events as it may carry (1000), each as full as the documented System Log event, is accepted', async () => {
    // A 413 is a 4xx, which Okta never retries (https://developer.okta.com/docs/concepts/event-hooks/): every event in it would be lost.
    const full = (n: number) => ({
      ...event('user.session.start', 'jane@example.com', `${DAY}10:00:00Z`, `full-batch-${n}`),
      client: { zone: 'null', device: 'Computer', userAgent: { rawUserAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/73.0.3683.86 Safari/537.36', os: 'Mac OS X', browser: 'CHROME' }, ipAddress: '203.0.113.9', geographicalContext: { city: 'San Francisco', state: 'California', country: 'United States', postalCode: '94105', geolocation: { lat: 37.7, lon: -122.4 } } },
      transaction: { type: 'WEB', id: 'XJuzWY3i9aPj2gEkJ3BpWAAAAes', detail: {} },
      debugContext: { debugData: { requestId: 'XJuzWY3i9aPj2gEkJ3BpWAAAAes', requestUri: '/api/v1/users/00u1a2b3c4d5e6f7g8h0/lifecycle/deactivate', url: '/api/v1/users/00u1a2b3c4d5e6f7g8h0/lifecycle/deactivate?' } },
      legacyEventType: 'core.user.config.user_deactivated',
      authenticationContext: { authenticationProvider: null, credentialProvider: null, credentialType: null, issuer: null, authenticationStep: 0, externalSessionId: '102bZDNFfWaQSyEZQuDgWt-uQ' },
      securityContext: { asNumber: null, asOrg: null, isp: null, domain: null, isProxy: null },
    });
    const events = Array.from({ length: 999 }, (_, n) => full(n));
    events.push({ ...full(999), ...event('user.lifecycle.deactivate', 'raj@example.com', `${DAY}10:00:01Z`, 'full-batch-leaver') });
    const body = JSON.stringify(delivery(...events));
    assert.ok(body.length > 1_500_000, `${body.length} bytes`);
    const res = await send(body);
    assert.equal(res.status, 200);
    await hook.settled();
    assert.equal(await store.count('hookEvents', 'okta'), 1000);
    assert.deepEqual(agent.writes().map((c) => [c.method, (c.args[0] as { email: string }).email]), [['offboard', 'raj@example.com']]);
  });

  test('recorded events are acted on even when the hourly sweep of old records fails in the same delivery', async () => {
    await server.close();
    const flaky = new MemoryStore();
    const partitions = flaky.partitions.bind(flaky);
    // The sweep is the only reader of the hook records' partitions: it fails, the claim did not.
    flaky.partitions = async (collection) => {
      if (collection === 'hookEvents') throw new Error('connection reset');
      return partitions(collection);
    };
    hook = createOktaHookRouter({ config: testConfig(), agent, store: flaky });
    server = await serveRouters([['/hooks', hook]]);
    const body = delivery(event('user.lifecycle.deactivate', 'jane@example.com', `${DAY}10:00:00Z`, 'sweep-1'));
    const res = await send(body);
    assert.equal(res.status, 200);
    await hook.settled();
    assert.deepEqual(agent.writes().map((c) => [c.method, (c.args[0] as { email: string }).email]), [['offboard', 'jane@example.com']]);
    assert.equal((await flaky.get('hookEvents', 'okta', 'sweep-1'))?.state, 'done');
  });
});
