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
