import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../agent/api.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { createOktaHookRouter } from './okta.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig } from '../../test/admin/test-server.ts';

/**
 * Okta Event Hook deliveries as another sender may legitimately write them
 * (https://developer.okta.com/docs/concepts/event-hooks/; each event a System Log LogEvent,
 * https://developer.okta.com/docs/reference/api/system-log/#logevent-object): fields Okta adds,
 * optional ones left out, the events and targets in another order, event types hubwarden does not
 * act on mixed in, header names in another case. Each is acted on exactly as the plain delivery:
 * the same HTTP answer, the same agent calls, audit entries and event records.
 */
type Json = Record<string, any>;
const published = (min: number) => new Date(Date.now() - 3_600_000 + min * 60_000).toISOString();
const user = (login: string) => ({ id: `00u-${login.split('@')[0]}`, type: 'User', alternateId: login, displayName: login });
const group = { id: '00gsales', type: 'UserGroup', alternateId: 'unknown', displayName: 'Sales' };
const app = { id: '0oameta', type: 'AppInstance', alternateId: 'Meta Business', displayName: 'Meta Business' };
const event = (uuid: string, min: number, eventType: string, target: object[], result = 'SUCCESS'): Json => ({
  uuid, published: published(min), eventType, version: '0', displayMessage: eventType, severity: 'INFO',
  client: { zone: 'null', device: 'Computer', userAgent: { rawUserAgent: 'Mozilla/5.0', os: 'Mac OS X', browser: 'CHROME' }, ipAddress: '198.51.100.7' },
  actor: { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' },
  outcome: { result, reason: null }, target,
  transaction: { type: 'WEB', id: `tx-${uuid}` },
  debugContext: { debugData: { requestUri: '/api/v1/users', threatSuspected: 'false' } },
  legacyEventType: 'core.user.config.user_deactivated', authenticationContext: { authenticationStep: 0, externalSessionId: 'x' },
});
const plainEvents = (): Json[] => [
  event('e-deact', 1, 'user.lifecycle.deactivate', [user('ana@example.com')]),
  event('e-gadd', 2, 'group.user_membership.add', [user('ben@example.com'), group]),
  event('e-arem', 3, 'application.user_membership.remove', [app, user('di@example.com')]),
  event('e-fail', 4, 'user.lifecycle.deactivate', [user('cy@example.com')], 'FAILURE'),
  event('e-ghost', 5, 'user.lifecycle.deactivate', [user('ghost@example.com')]),
  // The same person twice: one re-evaluation after the later; the later suspension change stands.
  event('e-grem', 6, 'group.user_membership.remove', [user('ben@example.com'), group]),
  event('e-susp', 7, 'user.lifecycle.suspend', [user('cy@example.com')]),
  event('e-unsusp', 8, 'user.lifecycle.unsuspend', [user('cy@example.com')]),
];
const envelope = (events: Json[]): Json => ({
  eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', cloudEventsVersion: '0.1', contentType: 'application/json',
  eventId: 'b5a188b9-tolerance', eventTime: published(9), source: 'https://acme.okta.example/api/v1/eventHooks/who123',
  data: { events },
});
const HEADERS = { accept: 'application/json', 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET };

interface Variant { name: string; body: Json; headers?: Record<string, string> }
const ignored = (uuid: string, eventType: string, target: object[]) => event(uuid, 0, eventType, target);

const variants: Variant[] = [
  { name: 'unknown fields at every level', body: { ...envelope(unknownEverywhere()), data: { events: unknownEverywhere(), more: 'x' }, extensions: { a: 1 } } },
  { name: 'optional fields absent (actor.displayName, client, outcome when SUCCESS, debugContext, target names, transaction, envelope metadata)', body: { data: { events: plainEvents().map((e) => {
    const { client: _c, debugContext: _d, transaction: _t, legacyEventType: _l, authenticationContext: _a, displayMessage: _m, severity: _s, version: _v, outcome, ...rest } = e;
    return {
      ...rest,
      ...(outcome.result === 'SUCCESS' ? {} : { outcome: { result: outcome.result } }),
      actor: { id: e.actor.id, type: 'User', alternateId: e.actor.alternateId },
      target: e.target.map((t: Json) => (t.type === 'User' ? { id: t.id, type: t.type, alternateId: t.alternateId } : { id: t.id, type: t.type })),
    };
  }) } } },
  { name: 'null where LogEvent fields are optional (outcome.reason, target displayName)', body: envelope(plainEvents().map((e) => ({ ...e, outcome: { ...e.outcome, reason: null }, target: e.target.map((t: Json) => ({ ...t, displayName: null })) }))) },
  { name: 'events in reverse order', body: envelope(plainEvents().reverse()) },
  { name: 'targets in another order, with other target types', body: envelope(plainEvents().map((e) => ({ ...e, target: [
    { id: '0uaassign', type: 'AppUser', alternateId: 'app-login', displayName: 'x' }, ...[...e.target].reverse(), { id: '0oa2', type: 'AppInstance', alternateId: 'Other', displayName: 'Other' },
  ] }))) },
  { name: 'event types hubwarden does not act on mixed in', body: envelope([
    ignored('i-sso', 'user.authentication.sso', [app, user('ana@example.com')]),
    ...plainEvents().slice(0, 2),
    ignored('i-session', 'user.session.start', []),
    ignored('i-pw', 'user.account.update_password', [user('ben@example.com')]),
    ...plainEvents().slice(2),
    ignored('i-sync', 'application.provision.user.sync', [app, user('di@example.com')]),
    ignored('i-grp', 'group.profile.update', [group]),
  ]) },
  { name: 'a number where the examples show a string (version)', body: envelope(plainEvents().map((e) => ({ ...e, version: 0 }))) },
  { name: 'the same event twice in one delivery (at least once)', body: envelope([...plainEvents(), ...plainEvents().slice(0, 2)]) },
  { name: 'header names in capitals, a charset on the content type', body: envelope(plainEvents()), headers: { ACCEPT: 'application/json', 'Content-Type': 'application/json; charset=UTF-8', AUTHORIZATION: TEST_ENV.OKTA_HOOK_SECRET } },
];

async function deliver(body: Json, headers: Record<string, string> = HEADERS) {
  const agent = new FakeAgent();
  for (const p of ['ana', 'ben', 'cy', 'di']) agent.people.add(`${p}@example.com`);
  const store = new MemoryStore();
  const hook = createOktaHookRouter({ config: testConfig(), agent, store });
  const server = await serveRouters([['/hooks', hook]]);
  try {
    const res = await fetch(`${server.url}/hooks/okta`, { method: 'POST', headers, body: JSON.stringify(body) });
    const answer = { status: res.status, body: await res.text() };
    await hook.settled();
    const calls = agent.writes().map((c) => JSON.stringify([c.method, ...c.args])).sort();
    const audit = ((await collect(store.list('audit', ''))) as AuditEntry[]).map(({ action, outcome, subject, why, trigger, detail }) => JSON.stringify({ action, outcome, subject, why, trigger, detail })).sort();
    const records = ((await collect(store.list('hookEvents', 'okta'))) as Json[]).filter((r) => !r.id.startsWith('i-')).map((r) => JSON.stringify([r.id, r.state, r.outcome, { ...r.event, group: r.event.group?.id }])).sort();
    const ignoredRecords = ((await collect(store.list('hookEvents', 'okta'))) as Json[]).filter((r) => r.id.startsWith('i-')).map((r) => [r.id, r.state, r.outcome]);
    // The group's id only: a UserGroup target without displayName (optional) leaves its name unknown.
    return { answer, calls, audit, records, ignoredRecords };
  } finally {
    hook.stop();
    await server.close();
  }
}

test('Okta deliveries a sender may legitimately write differently are acted on as the plain one', async (t) => {
  const plain = await deliver(envelope(plainEvents()));
  assert.deepEqual(plain.answer, { status: 200, body: '' });
  assert.equal(plain.calls.length, 6, 'ana offboarded, ben (once) and di re-evaluated, ghost refused by the agent, cy suspended then unsuspended');
  assert.ok(plain.audit.some((a) => a.includes('"outcome":"skipped"') && a.includes('e-fail')), 'the FAILURE event is audited as skipped');
  assert.ok(plain.audit.some((a) => a.includes('"outcome":"failed"') && a.includes('e-ghost')), 'the agent refusal is audited');
  for (const v of variants) {
    await t.test(v.name, async () => {
      const got = await deliver(v.body, v.headers);
      assert.deepEqual(got.answer, plain.answer);
      assert.deepEqual(got.calls, plain.calls);
      assert.deepEqual(got.audit, plain.audit);
      assert.deepEqual(got.records, plain.records);
      for (const [id, state, outcome] of got.ignoredRecords) assert.deepEqual([id, state, outcome], [id, 'done', `event type ${(v.body.data.events as Json[]).find((e: Json) => e.uuid === id)!.eventType} not handled`]);
    });
  }
});

/** The plain events with fields no version of the LogEvent documents, at every level. */
function unknownEverywhere(): Json[] {
  return plainEvents().map((e) => ({
    ...e, futureField: { nested: [1, 'two'] },
    actor: { ...e.actor, detailEntry: { x: 1 }, extra: true },
    outcome: { ...e.outcome, reason: 'because', extra: 1 },
    client: { ...e.client, geographicalContext: { city: 'Berlin', geolocation: { lat: 52.5, lon: 13.4 } } },
    target: e.target.map((t: Json) => ({ ...t, detailEntry: { methodTypeUsed: 'x' }, changeDetails: {}, extra: null })),
  }));
}

test('an Okta delivery of only event types hubwarden does not act on: 200, nothing done, nothing audited', async () => {
  const got = await deliver(envelope([
    ignored('i-a', 'user.session.start', [user('ana@example.com')]),
    ignored('i-b', 'policy.evaluate_sign_on', []),
    ignored('i-c', 'constructor', [user('ben@example.com')]),
  ]));
  assert.deepEqual(got.answer, { status: 200, body: '' });
  assert.deepEqual(got.calls, []);
  assert.deepEqual(got.audit, []);
  assert.deepEqual(got.ignoredRecords.sort(), [['i-a', 'done', 'event type user.session.start not handled'], ['i-b', 'done', 'event type policy.evaluate_sign_on not handled'], ['i-c', 'done', 'event type constructor not handled']]);
});

test('the one-time verification with the challenge header in capitals is answered', async () => {
  const hook = createOktaHookRouter({ config: testConfig(), agent: new FakeAgent(), store: new MemoryStore() });
  const server = await serveRouters([['/hooks', hook]]);
  try {
    const res = await fetch(`${server.url}/hooks/okta`, { headers: { 'X-OKTA-VERIFICATION-CHALLENGE': 'chal-1', AUTHORIZATION: TEST_ENV.OKTA_HOOK_SECRET } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { verification: 'chal-1' });
  } finally {
    hook.stop();
    await server.close();
  }
});
