import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';

/**
 * The event types an Okta event hook is registered for (https://developer.okta.com/docs/concepts/event-hooks/:
 * user.lifecycle.deactivate, group.user_membership.add/remove, application.user_membership.add/remove),
 * all in one delivery, each with the targets Okta names: the User and the UserGroup (whose
 * alternateId is "unknown") for a group membership, the User and the AppInstance for an app
 * assignment. One person per event, so none is folded into another's re-evaluation.
 */
const published = new Date(Date.now() - 3_600_000).toISOString();
const user = (login: string) => ({ id: `00u-${login.split('@')[0]}`, type: 'User', alternateId: login, displayName: login });
const group = { id: '00gsales', type: 'UserGroup', alternateId: 'unknown', displayName: 'Sales' };
const app = { id: '0oameta', type: 'AppInstance', alternateId: 'Meta Business', displayName: 'Meta Business' };
const event = (uuid: string, eventType: string, target: object[]) => ({
  uuid, published, eventType, version: '0', displayMessage: eventType, severity: 'INFO',
  actor: { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' },
  outcome: { result: 'SUCCESS', reason: null }, target,
});

test('one delivery with every registered event type: 200 with an empty body, then the leaver offboarded and each membership change re-evaluated, app removals included', async () => {
  const agent = new FakeAgent();
  for (const p of ['ana', 'ben', 'cy', 'di', 'ed']) agent.people.add(`${p}@example.com`);
  const hook = createOktaHookRouter({ config: testConfig(), agent, store: new MemoryStore() });
  const server = await serveRouters([['/hooks', hook]]);
  try {
    const res = await fetch(`${server.url}/hooks/okta`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET },
      body: JSON.stringify({
        eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', cloudEventsVersion: '0.1', contentType: 'application/json',
        eventId: 'b5a188b9-types', eventTime: published, source: 'https://acme.okta.example/api/v1/eventHooks/who123',
        data: { events: [
          event('t-deact', 'user.lifecycle.deactivate', [user('ana@example.com')]),
          event('t-gadd', 'group.user_membership.add', [user('ben@example.com'), group]),
          event('t-grem', 'group.user_membership.remove', [user('cy@example.com'), group]),
          event('t-aadd', 'application.user_membership.add', [app, user('di@example.com')]),
          event('t-arem', 'application.user_membership.remove', [app, user('ed@example.com')]),
        ] },
      }),
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    await hook.settled();
    const acted = agent.writes().map((c) => [c.method, (c.args[0] as { userName: string }).userName, (c.args[1] as { detail: string }).detail]).sort((a, b) => a[2]!.localeCompare(b[2]!));
    assert.deepEqual(acted, [
      ['reevaluatePerson', 'di@example.com', 'application.user_membership.add t-aadd'],
      ['reevaluatePerson', 'ed@example.com', 'application.user_membership.remove t-arem'],
      ['reevaluatePerson', 'ben@example.com', 'group.user_membership.add t-gadd'],
      ['reevaluatePerson', 'cy@example.com', 'group.user_membership.remove t-grem'],
      ['offboard', 'ana@example.com', 'user.lifecycle.deactivate t-deact'],
    ]);
  } finally {
    hook.stop();
    await server.close();
  }
});
