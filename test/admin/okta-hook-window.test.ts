import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../agent/api.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { HOOK_EVENT_TTL_MS, type HookEventRecord } from '../../scim-server/hooks/hook-event-record.ts';
import { createOktaHookRouter, type HookRouter } from '../../scim-server/hooks/okta.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from './test-server.ts';
import { oktaDelivery, oktaEvent } from './okta-event-fixture.ts';

/**
 * An Okta event is acted on only while its `published` lies within the week its uuid is remembered
 * against replays (HOOK_EVENT_TTL_MS) before its receipt, and not ahead of its receipt by more than
 * clock skew (okta-event.ts outOfWindow). Okta retries once, within seconds
 * (https://developer.okta.com/docs/concepts/event-hooks/): a week-old delivery is a replay.
 */
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const event = oktaEvent;
const delivery = oktaDelivery;

describe('Okta event hook: the age of an event', () => {
  let server: TestServer;
  let agent: FakeAgent;
  let store: MemoryStore;
  let hook: HookRouter & { stop(): void };
  let now: number;
  beforeEach(async () => {
    now = Date.now();
    agent = new FakeAgent();
    store = new MemoryStore();
    hook = createOktaHookRouter({ config: testConfig(), agent, store, now: () => now });
    server = await serveRouters([['/hooks', hook]]);
  });
  afterEach(async () => {
    hook.stop();
    await server.close();
  });

  const send = async (...events: unknown[]) => {
    const res = await fetch(`${server.url}/hooks/okta`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET }, body: JSON.stringify(delivery(...events)) });
    assert.equal(res.status, 200, 'Okta hears 200 whatever is made of the events');
    await hook.settled();
  };
  const offboards = () => agent.writes().filter((c) => c.method === 'offboard').map((c) => (c.args[0] as { userName?: string }).userName);
  const audit = async () => (await collect(store.list('audit', ''))) as AuditEntry[];

  test('a deactivation replayed after its uuid is forgotten (a week on) is skipped and audited, not acted on again', async () => {
    const t0 = now;
    const deactivation = event('user.lifecycle.deactivate', 'jane@example.com', iso(t0 - 60_000), 'evt-old');
    await send(deactivation);
    assert.deepEqual(offboards(), ['jane@example.com']);
    // Jane is active again; then a week and a day passes, and the records of both are swept.
    await send(event('user.lifecycle.activate', 'jane@example.com', iso(t0), 'evt-act'));
    now = t0 + HOOK_EVENT_TTL_MS + DAY;
    await send(event('user.session.start', 'someone@example.com', iso(now), 'evt-tidy'));
    assert.equal(await store.get('hookEvents', 'okta', 'evt-old'), undefined, 'the uuid is forgotten');
    await send(deactivation);
    assert.deepEqual(offboards(), ['jane@example.com'], 'the replay offboards no one');
    const skipped = (await audit()).find((e) => e.trigger.detail === 'user.lifecycle.deactivate evt-old' && e.outcome === 'skipped');
    assert.ok(skipped, 'the skip is audited');
    assert.equal(skipped.action, 'offboard');
    assert.equal(skipped.trigger.idp, 'okta', 'who: the org');
    assert.equal(skipped.subject?.email, 'jane@example.com');
    assert.match(skipped.why, /more than 7 days before its receipt/);
    assert.equal((await store.get('hookEvents', 'okta', 'evt-old'))?.state, 'done');
  });

  test('an event published within the week before its receipt is acted on; one just over it is not', async () => {
    await send(
      event('user.lifecycle.deactivate', 'in@example.com', iso(now - HOOK_EVENT_TTL_MS + 60_000), 'evt-in'),
      event('user.lifecycle.deactivate', 'out@example.com', iso(now - HOOK_EVENT_TTL_MS - 60_000), 'evt-out'),
    );
    assert.deepEqual(offboards(), ['in@example.com']);
  });

  test('a membership change skipped for its date does not take the place of a fresh one as the re-evaluation of the person', async () => {
    // Changes of one person in a delivery are re-evaluated once, after the last by published: a
    // skipped one dated ahead is that last, and the person was not re-checked at all.
    await send(
      event('group.user_membership.add', 'mo@example.com', iso(now - 60_000), 'evt-m1'),
      event('group.user_membership.remove', 'mo@example.com', iso(now + DAY), 'evt-m2'),
    );
    assert.deepEqual(agent.writes().map((c) => c.method), ['reevaluatePerson'], 'the fresh change re-checks the person');
  });

  test('an event dated ahead of its receipt beyond clock skew is skipped and audited; within it, acted on', async () => {
    await send(
      event('user.lifecycle.deactivate', 'skew@example.com', iso(now + 60_000), 'evt-skew'),
      event('user.lifecycle.deactivate', 'ahead@example.com', iso(now + 10 * 60_000), 'evt-ahead'),
    );
    assert.deepEqual(offboards(), ['skew@example.com']);
    const skipped = (await audit()).find((e) => e.trigger.detail === 'user.lifecycle.deactivate evt-ahead');
    assert.equal(skipped?.outcome, 'skipped');
    assert.match(skipped!.why, /more than 5 minutes after its receipt/);
  });

  test('an activation dated ahead does not keep a real deactivation from offboarding the person', async () => {
    // A forged (or corrupt) date next month would otherwise supersede every deactivation of the person for a week.
    await send(event('user.lifecycle.activate', 'lee@example.com', iso(now + 30 * DAY), 'evt-forged'));
    await send(event('user.lifecycle.deactivate', 'lee@example.com', iso(now - 60_000), 'evt-real'));
    assert.deepEqual(offboards(), ['lee@example.com']);
  });

  test('an event taken up after a restart is judged by when it was received, not by now', async () => {
    hook.stop();
    const received = now - HOOK_EVENT_TTL_MS - DAY;
    const record: HookEventRecord = {
      id: 'evt-restart', source: 'okta', idp: 'okta', receivedAt: iso(received), expiresAt: '2099-01-01T00:00:00Z', published: iso(received - 60_000), state: 'processing',
      event: { eventType: 'user.lifecycle.deactivate', person: { userName: 'raj@example.com', email: 'raj@example.com' } },
    };
    await store.transact((tx) => tx.put('hookEvents', 'okta', record.id, record));
    const restarted = createOktaHookRouter({ config: testConfig(), agent, store, now: () => now });
    await restarted.settled();
    restarted.stop();
    assert.deepEqual(offboards(), ['raj@example.com']);
  });
});
