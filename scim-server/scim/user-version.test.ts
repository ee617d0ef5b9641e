/**
 * A User's ETag (and meta.version) changes when its hub extension does (the person's standing in
 * the hub app), not only with the IdP's writes: a GET with the ETag of before gets 200 and the new
 * one, not 304 (RFC 7644 §3.14, RFC 9110 §13.1.2); an If-Match with it is a 412 (RFC 9110
 * §13.1.1), the current one applies, and an ETag of the record's version alone (issued before the
 * tag) applies while the record is at that version (resources/user-version.ts says why).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AppInviteRecord } from '../../agent/app-state/records.ts';
import { scimRequest, startScimApp, type ScimReply, type ScimTestApp } from './test-app.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const HUB_EXT = 'urn:hubwarden:params:scim:schemas:extension:hub:2.0:User';
const HUB = 'versions';
const T = '2026-11-20T10:00:00.000Z';

function assertScimError(reply: ScimReply, status: number): void {
  assert.equal(reply.status, status, reply.text);
  assert.deepEqual(reply.body.schemas, [ERROR]);
  assert.equal(reply.body.status, String(status));
  assert.match(reply.headers.get('content-type') ?? '', /^application\/scim\+json/);
  assert.equal(reply.headers.get('etag'), null, 'an error has no version');
}

describe('SCIM User versions follow the hub extension', () => {
  let app: ScimTestApp;
  let seq = 0;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: HUB, identityProvider: 'okta' }] });
  });
  after(() => app.close());

  const send = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => scimRequest(app, HUB, method, path, body, headers);
  const rename = (displayName: string) => ({ schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: displayName }] });

  async function person(): Promise<{ id: string; email: string }> {
    const email = `p${++seq}@example.com`;
    const made = await send('POST', '/Users', { schemas: [USER], userName: email, emails: [{ type: 'work', value: email, primary: true }], active: true });
    assert.equal(made.status, 201, made.text);
    return { id: made.body.id, email };
  }

  /** The agent invites the person (no SCIM write): their standing becomes pending_invite. */
  function invite(p: { id: string; email: string }, status: AppInviteRecord['status'] = 'pending'): Promise<void> {
    return app.store.transact((tx) => {
      tx.put('appInvites', HUB, `i-${p.id}`, { hubId: HUB, id: `i-${p.id}`, email: p.email, role: 'EMPLOYEE', status, expiresAt: '2999-01-01T00:00:00.000Z', createdAt: T, sentByHubwarden: true, resendCount: 0, lastSeenAt: T });
      tx.put('memberMatches', HUB, `invite:i-${p.id}`, { hubId: HUB, memberId: `invite:i-${p.id}`, outcome: 'onboarded', manual: false, at: T, directoryUserId: p.id });
    });
  }

  /**
   * fetch adds `Cache-Control: no-cache` to a request with If-None-Match (WHATWG Fetch, HTTP-network-or-cache
   * fetch), which makes express answer in full: an IdP's client sends none, so neither do these.
   */
  const conditional = (headers?: Record<string, string>) => (headers?.['if-none-match'] ? { 'cache-control': 'max-age=0', ...headers } : headers);

  async function get(id: string, headers?: Record<string, string>): Promise<ScimReply> {
    const got = await send('GET', `/Users/${id}`, undefined, conditional(headers));
    if (got.status === 200) assert.equal(got.headers.get('etag'), got.body.meta.version, 'the ETag is meta.version');
    return got;
  }

  test('a standing that changes without a write: the old If-None-Match gets 200 and a new ETag; unchanged, 304', async () => {
    const p = await person();
    const first = await get(p.id);
    assert.equal(first.body[HUB_EXT].status, 'not_in_hub');
    const old = first.headers.get('etag')!;
    assert.equal((await get(p.id, { 'if-none-match': old })).status, 304, 'nothing changed');

    await invite(p);
    const now = await get(p.id, { 'if-none-match': old });
    assert.equal(now.status, 200, 'the standing changed: not a 304 with the stale status');
    assert.deepEqual(now.body[HUB_EXT], { status: 'pending_invite', appRole: 'EMPLOYEE' });
    const current = now.headers.get('etag')!;
    assert.notEqual(current, old);
    assert.equal((await app.store.get('directoryUsers', HUB, p.id))!.version, 1, 'the record was not written');
    assert.match(current, /^W\/"1-[A-Za-z0-9_-]+"$/, 'its version and the extension\'s tag');
    assert.equal((await get(p.id, { 'if-none-match': current })).status, 304);
    assert.equal((await get(p.id, { 'if-none-match': `W/"9", ${current}` })).status, 304, 'one of a list');

    // A list shows the same version; the page itself has no ETag (nothing to 304 on).
    const listed = await send('GET', `/Users?filter=${encodeURIComponent(`userName eq "${p.email}"`)}`, undefined, conditional({ 'if-none-match': old }));
    assert.equal(listed.status, 200);
    assert.equal(listed.body.Resources[0].meta.version, current);
    assert.equal(listed.headers.get('etag'), null);

    await invite(p, 'expired');
    const lapsed = await get(p.id, { 'if-none-match': current });
    assert.equal(lapsed.status, 200);
    assert.equal(lapsed.body[HUB_EXT].status, 'lapsed');
    assert.notEqual(lapsed.headers.get('etag'), current);
  });

  test('If-Match: the ETag of before the standing changed is a 412 and writes nothing; the current one applies', async () => {
    const p = await person();
    const old = (await get(p.id)).headers.get('etag')!;
    await invite(p);
    for (const method of ['PATCH', 'PUT', 'DELETE']) {
      const body = method === 'PATCH' ? rename('Stale') : method === 'PUT' ? { schemas: [USER], userName: p.email, displayName: 'Stale' } : undefined;
      assertScimError(await send(method, `/Users/${p.id}`, body, { 'if-match': old }), 412);
    }
    const stored = (await app.store.get('directoryUsers', HUB, p.id))!;
    assert.deepEqual([stored.version, stored.scim.displayName], [1, undefined], 'nothing was written');

    const current = (await get(p.id)).headers.get('etag')!;
    const patched = await send('PATCH', `/Users/${p.id}`, rename('Fresh'), { 'if-match': current });
    assert.equal(patched.status, 204, patched.text);
    const after = await get(p.id);
    assert.equal(after.body.displayName, 'Fresh');
    assert.equal(patched.headers.get('etag'), after.headers.get('etag'), 'the 204 names the version a GET answers');
    assert.match(after.headers.get('etag')!, /^W\/"2-/);
    const put = await send('PUT', `/Users/${p.id}`, { schemas: [USER], userName: p.email, displayName: 'Put' }, { 'if-match': after.headers.get('etag')! });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.headers.get('etag'), put.body.meta.version);
    assertScimError(await send('DELETE', `/Users/${p.id}`, undefined, { 'if-match': after.headers.get('etag')! }), 412);
    assert.equal((await send('DELETE', `/Users/${p.id}`, undefined, { 'if-match': put.headers.get('etag')! })).status, 204);
  });

  test('an ETag issued before the tag (the record version alone) applies while the record is at that version', async () => {
    const p = await person();
    await invite(p);
    assertScimError(await send('PATCH', `/Users/${p.id}`, rename('Old'), { 'if-match': 'W/"2"' }), 412);
    assert.equal((await send('PATCH', `/Users/${p.id}`, rename('Legacy'), { 'if-match': 'W/"1"' })).status, 204);
    assert.equal((await app.store.get('directoryUsers', HUB, p.id))!.version, 2);
    assertScimError(await send('PATCH', `/Users/${p.id}`, rename('Again'), { 'if-match': 'W/"1"' }), 412);
    assert.equal((await get(p.id, { 'if-none-match': 'W/"2"' })).status, 200, 'a GET always gets the tagged version');
  });

  test('a Group has all of its representation in its record: unchanged 304, a member deleted 200 and a new ETag', async () => {
    const p = await person();
    const made = await send('POST', '/Groups', { schemas: [GROUP], displayName: `G${seq}`, members: [{ value: p.id }] });
    assert.equal(made.status, 201, made.text);
    const etag = made.headers.get('etag')!;
    await invite(p);
    assert.equal((await send('GET', `/Groups/${made.body.id}`, undefined, conditional({ 'if-none-match': etag }))).status, 304, 'a member\'s standing is not in the group');
    assert.equal((await send('DELETE', `/Users/${p.id}`)).status, 204);
    const after = await send('GET', `/Groups/${made.body.id}`, undefined, conditional({ 'if-none-match': etag }));
    assert.equal(after.status, 200);
    assert.deepEqual(after.body.members ?? [], []);
    assert.notEqual(after.headers.get('etag'), etag);
  });
});
