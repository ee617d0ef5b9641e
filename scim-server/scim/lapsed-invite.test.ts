/**
 * The hub extension of a SCIM User says `lapsed` for a person whose invite expired or was
 * declined (or is past the expiry hubwarden knows), as the members view does, not
 * `pending_invite`: an IdP importing the attribute (or a group rule on it) took it for an
 * invitation still pending; and with no `appRole` (none is held, as write-back says), not the role
 * the invite was sent with. Re-invited, `pending_invite` again. GET by id and a filtered list.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AppInviteRecord } from '../../agent/app-state/records.ts';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const HUB_EXT = 'urn:hubwarden:params:scim:schemas:extension:hub:2.0:User';
const HUB = 'alpha';
const T = '2026-11-20T10:00:00.000Z';

let app: ScimTestApp;
let janeId: string;
before(async () => {
  app = await startScimApp({ hubs: [{ id: HUB, identityProvider: 'okta' }] });
  const made = await scimRequest(app, HUB, 'POST', '/Users', { schemas: [USER], userName: 'jane@example.com', emails: [{ type: 'work', value: 'jane@example.com', primary: true }], active: true });
  assert.equal(made.status, 201);
  janeId = made.body.id;
});
after(() => app.close());

function putInvite(invite: Partial<AppInviteRecord>): Promise<void> {
  return app.store.transact((tx) => {
    tx.put('appInvites', HUB, 'i-1', { hubId: HUB, id: 'i-1', email: 'jane@example.com', role: 'EMPLOYEE', status: 'pending', expiresAt: '2999-01-01T00:00:00.000Z', createdAt: T, sentByHubwarden: true, resendCount: 0, lastSeenAt: T, ...invite });
    tx.put('memberMatches', HUB, 'invite:i-1', { hubId: HUB, memberId: 'invite:i-1', outcome: 'onboarded', manual: false, at: T, directoryUserId: janeId });
  });
}

async function shown(): Promise<unknown[]> {
  const one = await scimRequest(app, HUB, 'GET', `/Users/${janeId}`);
  const list = await scimRequest(app, HUB, 'GET', '/Users?filter=userName eq "jane@example.com"');
  assert.equal(one.status, 200);
  return [one.body[HUB_EXT], list.body.Resources[0][HUB_EXT]];
}

test('SCIM GET: a pending invite is pending_invite; expired, declined or past its expiry, lapsed; re-invited, pending_invite again', async () => {
  const pending = { status: 'pending_invite', appRole: 'EMPLOYEE' };
  await putInvite({});
  assert.deepEqual(await shown(), [pending, pending]);
  // No appRole: a lapsed invite holds no seat, so no role is held (as write-back clears it).
  const lapsed = { status: 'lapsed' };
  for (const invite of [{ status: 'expired' }, { status: 'declined' }, { expiresAt: '2026-01-01T00:00:00.000Z' }] as const) {
    await putInvite(invite);
    assert.deepEqual(await shown(), [lapsed, lapsed], JSON.stringify(invite));
  }
  await putInvite({ status: 'pending', resendCount: 1 });
  assert.deepEqual(await shown(), [pending, pending], 're-invited');
});
