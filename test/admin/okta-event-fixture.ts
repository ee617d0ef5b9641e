/**
 * An Okta `user.lifecycle.deactivate` event as an event hook delivers it in `data.events[]`
 * (https://developer.okta.com/docs/reference/api/event-types/, LogEvent object of the System Log
 * API: https://developer.okta.com/docs/reference/api/system-log/#logevent-object), deactivating
 * the Okta user `00u-<login>`.
 */
export function oktaDeactivation(login: string, uuid: string, published: string) {
  return {
    uuid, published, eventType: 'user.lifecycle.deactivate', version: '0', displayMessage: 'Deactivate Okta user', severity: 'INFO',
    actor: { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' },
    outcome: { result: 'SUCCESS', reason: null },
    target: [{ id: `00u-${login}`, type: 'User', alternateId: login, displayName: login }],
  };
}

/** An Okta event of `eventType` about the Okta user `00u-<login>`, as in `data.events[]` (same sources). */
export function oktaEvent(eventType: string, login: string, published: string, uuid: string) {
  return {
    uuid, published, eventType, version: '0', displayMessage: eventType, severity: 'INFO',
    actor: { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' },
    outcome: { result: 'SUCCESS', reason: null },
    target: [{ id: `00u-${login}`, type: 'User', alternateId: login, displayName: login }],
  };
}

/** An event hook delivery of `events` (https://developer.okta.com/docs/concepts/event-hooks/, its sample request body). */
export const oktaDelivery = (...events: unknown[]) => ({ eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', cloudEventsVersion: '0.1', contentType: 'application/json', data: { events } });
