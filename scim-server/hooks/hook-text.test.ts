import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lifecycleCallout } from './entra-callout.ts';
import { eventHookDelivery, eventOf, logEvent } from './okta-event.ts';

/**
 * A hook sender (a holder of the Okta hook secret, an allowed app's token) chose text that went
 * uncapped and uncleaned into the hook records and the audit trigger and entries, which people
 * read and export as CSV (hook-text.ts). Real shapes are kept as they are.
 */

/** A `user.lifecycle.deactivate` LogEvent (https://developer.okta.com/docs/reference/api/system-log/#logevent-object). */
const oktaEvent = (over: Record<string, unknown> = {}) => ({
  uuid: '3f1c2a5e-0b1d-11ef-9c2a-6b1f3e0d8a77', published: '2026-03-02T10:00:00.000Z', eventType: 'user.lifecycle.deactivate',
  actor: { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' },
  outcome: { result: 'SUCCESS' },
  target: [{ id: '00ujane', type: 'User', alternateId: 'jane@example.com', displayName: 'Jane' }],
  ...over,
});
const groupRemoval = (group: Record<string, unknown>) => oktaEvent({
  eventType: 'group.user_membership.remove',
  target: [{ id: '00ujane', type: 'User', alternateId: 'jane@example.com', displayName: 'Jane' }, { type: 'UserGroup', alternateId: 'unknown', ...group }],
});
const kept = (event: unknown) => eventOf(logEvent.parse(event));
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\p{Cs}/u;
const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : []);

test('Okta: the real shapes are kept as they are', () => {
  assert.deepEqual(kept(oktaEvent()), { eventType: 'user.lifecycle.deactivate', person: { userName: 'jane@example.com', email: 'jane@example.com', externalId: '00ujane' }, actor: 'admin@example.com' });
  // Okta's system actor; an actor with no login; a group with a name in any script.
  assert.equal(kept(oktaEvent({ actor: { id: '0oa1', type: 'SystemPrincipal', alternateId: 'system@okta.com', displayName: 'Okta System' } })).actor, 'system@okta.com');
  assert.equal(kept(oktaEvent({ actor: { id: '00uadmin', type: 'User' } })).actor, '00uadmin');
  assert.deepEqual(kept(groupRemoval({ id: '00gsales', displayName: 'Vertrieb — Außendienst (営業)' })).group, { id: '00gsales', name: 'Vertrieb — Außendienst (営業)' });
});

test('Okta: the actor and event type are escaped and cut; a person or group value no Okta one can be is left out', () => {
  const long = 'a'.repeat(5000);
  const cases: Array<[string, unknown, (e: ReturnType<typeof kept>) => void]> = [
    ['actor with ESC sequences', oktaEvent({ actor: { id: '00u1', type: 'User', alternateId: 'eve\u001b[2J\u001b]0;owned\u0007@example.com' } }),
      (e) => assert.equal(e.actor, 'eve\\x1b[2J\\x1b]0;owned\\x07@example.com')],
    ['actor with a line break and a bidi override', oktaEvent({ actor: { id: '00u1', type: 'User', alternateId: 'eve\r\nok,\u202eexe.@x' } }),
      (e) => assert.equal(e.actor, 'eve\\x0d\\x0aok,\\u202eexe.@x')],
    ['actor with a lone surrogate', oktaEvent({ actor: { id: '00u1', type: 'User', alternateId: 'eve\ud800' } }), (e) => assert.equal(e.actor, 'eve\ufffd')],
    ['actor of 5000 characters', oktaEvent({ actor: { id: '00u1', type: 'User', alternateId: long } }), (e) => assert.equal(e.actor, `${'a'.repeat(319)}…`)],
    ['actor id only, hostile', oktaEvent({ actor: { id: `00u\u009b${long}`, type: 'User' } }), (e) => assert.equal(e.actor?.length, 320)],
    ['event type of 5000 characters', oktaEvent({ eventType: `user.lifecycle.deactivate${long}` }), (e) => assert.equal(e.eventType, `user.lifecycle.deactivate${'a'.repeat(174)}…`)],
    ['event type with control characters', oktaEvent({ eventType: 'user.lifecycle.deactivate\u0000' }), (e) => assert.equal(e.eventType, 'user.lifecycle.deactivate\\x00')],
    ['login with control characters', oktaEvent({ target: [{ id: '00ujane', type: 'User', alternateId: 'jane@example.com\u001b[8m' }] }),
      (e) => assert.deepEqual(e.person, { externalId: '00ujane' })],
    ['login of 5000 characters', oktaEvent({ target: [{ id: '00ujane', type: 'User', alternateId: `${long}@example.com` }] }),
      (e) => assert.deepEqual(e.person, { externalId: '00ujane' })],
    ['user id with a bidi override', oktaEvent({ target: [{ id: '00u\u202ejane', type: 'User', alternateId: 'jane@example.com' }] }),
      (e) => assert.deepEqual(e.person, { userName: 'jane@example.com', email: 'jane@example.com' })],
    ['neither login nor id fit', oktaEvent({ target: [{ id: long, type: 'User', alternateId: 'jane\n@example.com' }] }), (e) => assert.equal(e.person, undefined)],
    ['group name with a line break', groupRemoval({ id: '00gsales', displayName: 'Sales\nAdmins' }), (e) => assert.deepEqual(e.group, { id: '00gsales' })],
    ['group id of 5000 characters', groupRemoval({ id: long, displayName: 'Sales' }), (e) => assert.deepEqual(e.group, { name: 'Sales' })],
  ];
  for (const [name, event, check] of cases) {
    const e = kept(event);
    check(e);
    assert.ok(!strings(e).some((s) => CONTROL.test(s)), `${name}: no control character kept`);
    assert.ok(strings(e).every((s) => s.length <= 320), `${name}: bounded`);
  }
});

test('Okta: a delivery whose event uuid or published no Okta event can have is refused, naming the field', () => {
  for (const [over, where, message] of [
    [{ uuid: 'x'.repeat(201) }, 'data.events.0.uuid', /at most 200/],
    [{ uuid: 'evt-1\u001b[2J' }, 'data.events.0.uuid', /control character \(U\+001B\)/],
    [{ uuid: 'evt-\ud800' }, 'data.events.0.uuid', /lone UTF-16 surrogate/],
    [{ uuid: '' }, 'data.events.0.uuid', /./],
    // Date.parse reads free text in parentheses after a date: it would be quoted in audit entries.
    [{ published: 'Mon, 02 Mar 2026 10:00:00 GMT (\u202eevil)' }, 'data.events.0.published', /bidirectional control/],
    [{ published: `2026-03-02T10:00:00Z${' '.repeat(100)}` }, 'data.events.0.published', /expected a date-time/],
  ] as Array<[Record<string, unknown>, string, RegExp]>) {
    const parsed = eventHookDelivery.safeParse({ data: { events: [oktaEvent(over)] } });
    assert.equal(parsed.success, false, where);
    const issue = parsed.error!.issues[0]!;
    assert.equal(issue.path.join('.'), where);
    assert.match(issue.message, message);
  }
  assert.equal(eventHookDelivery.safeParse({ data: { events: [oktaEvent()] } }).success, true);
});

/** A callout as Entra sends it (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility). */
const callout = (subject: Record<string, unknown> = {}, ids: { workflow?: string; task?: string; result?: string } = {}) => ({
  data: {
    callbackUriPath: '/identityGovernance/lifecycleWorkflows/workflows/wf/tasks/t/taskProcessingResults/r/resume',
    subject: { id: 'b3d1a6f0-7c1e-4e0b-9a55-2f3c4d5e6f70', displayName: 'Jane', email: 'jane@example.com', userPrincipalName: 'jane@contoso.onmicrosoft.com', ...subject },
    task: { id: ids.task ?? '4a2b0c1d-1e2f-4a3b-8c4d-5e6f7a8b9c0d', displayName: 'remove seats' },
    taskProcessingResult: { id: ids.result ?? '9c8b7a6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d', createdDateTime: '2026-03-02T10:00:00Z' },
    workflow: { id: ids.workflow ?? '1e2d3c4b-5a69-4788-96a5-b4c3d2e1f001', displayName: 'Leaver', workflowVersion: 1 },
  },
  source: 'sample', type: 'lifecycleEvent',
});

test('Entra: a callout whose ids, email or userPrincipalName hold control text or are unbounded is refused, naming the field; real ones pass', () => {
  assert.equal(lifecycleCallout.safeParse(callout()).success, true);
  // Display names are not kept (entra-lifecycle.ts): any text passes there.
  assert.equal(lifecycleCallout.safeParse(callout({ displayName: 'Jane\u202e' })).success, true);
  for (const [body, where, message] of [
    [callout({}, { workflow: 'wf\u001b]0;owned\u0007' }), 'data.workflow.id', /control character \(U\+001B\)/],
    [callout({}, { task: 'task\noffboard' }), 'data.task.id', /line break/],
    [callout({}, { result: 'tpr-\u2066x' }), 'data.taskProcessingResult.id', /bidirectional control/],
    [callout({}, { result: 'tpr-\udc00' }), 'data.taskProcessingResult.id', /lone UTF-16 surrogate/],
    [callout({ id: 'x'.repeat(201) }), 'data.subject.id', /at most 200/],
    [callout({ email: 'jane@example.com\u0000' }), 'data.subject.email', /NUL/],
    [callout({ userPrincipalName: `${'j'.repeat(400)}@contoso.com` }), 'data.subject.userPrincipalName', /at most 320/],
    [callout({ email: null, userPrincipalName: 'jane\u009b@contoso.com' }), 'data.subject.userPrincipalName', /control character \(U\+009B\)/],
  ] as Array<[unknown, string, RegExp]>) {
    const parsed = lifecycleCallout.safeParse(body);
    assert.equal(parsed.success, false, where);
    const issue = parsed.error!.issues[0]!;
    assert.equal(issue.path.join('.'), where);
    assert.match(issue.message, message);
  }
});
