/** Okta events (deactivation, suspension, leaving an allowed group) about a person signed in to the dashboard, or signing in (oidc-sign-in.test.ts has the sign-in itself). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters } from '../../test/admin/test-server.ts';
import { createWebRouter } from './router.ts';
import { oidcWorld, silent } from './oidc-sign-in-fixtures.ts';

describe('OIDC sign-in: Okta events about the person', () => {
  const w = oidcWorld();
  const { signIn, start, callback, nonces, oktaEvent, hubsSeen, stored, auditOf, signIns } = w;

  test('Okta deactivates or suspends a signed-in administrator: their sessions end at once, found by Okta user id or by login; others stay', async () => {
    const jane = await signIn({ sub: '00u-jane', email: 'jane@acme.example', email_verified: true, groups: ['hubwarden-admins'] }, 'code-jane');
    const janeNoEmail = await signIn({ sub: '00u-jane', groups: ['hubwarden-admins'] }, 'code-jane-2');
    const lee = await signIn({ sub: '00u-lee', email: 'lee@acme.example', email_verified: true, groups: ['hubwarden-admins'] }, 'code-lee');
    const every = await hubsSeen(jane);
    assert.ok(every > 0, 'an administrator sees every hub');
    for (const cookie of [janeNoEmail, lee]) assert.equal(await hubsSeen(cookie), every);

    await oktaEvent('user.lifecycle.deactivate', { id: '00u-jane', login: 'jane@acme.example' });
    assert.equal(await hubsSeen(jane), -401);
    assert.equal(await hubsSeen(janeNoEmail), -401, 'the session without an email is found by the Okta user id');
    assert.equal(await hubsSeen(lee), every, 'someone else keeps their session');
    const ended = await auditOf('end-dashboard-sessions');
    assert.equal(ended.length, 1);
    assert.equal(ended[0]!.detail?.sessions, 2);
    assert.equal(ended[0]!.trigger.type, 'okta-event-hook');
    assert.match(ended[0]!.why, /deactivated in Okta/);

    // Found by login alone, in any case (a session signed in through another issuer has another sub).
    await oktaEvent('user.lifecycle.suspend', { id: '00u-elsewhere', login: 'LEE@acme.example' });
    assert.equal(await hubsSeen(lee), -401);
    // Nothing left to end: no second entry for a replayed deactivation.
    await oktaEvent('user.lifecycle.deactivate', { id: '00u-jane', login: 'jane@acme.example' });
    assert.equal((await auditOf('end-dashboard-sessions')).length, 2);
  });

  test('Okta takes a signed-in administrator out of an allowed group: the session stays, without the rights that group gave', async () => {
    const ada = await signIn({ sub: '00u-ada', email: 'ada@acme.example', email_verified: true, groups: ['hubwarden-admins', 'Sales'] }, 'code-ada');
    const bo = await signIn({ sub: '00u-bo', email: 'bo@acme.example', email_verified: true, groups: ['hubwarden-admins'] }, 'code-bo');
    const every = await hubsSeen(ada);
    assert.ok(every > 0, 'an administrator sees every hub');
    await oktaEvent('group.user_membership.remove', { id: '00u-ada', login: 'ada@acme.example' }, 'Sales');
    assert.equal(await hubsSeen(ada), every, 'a group not in allowedGroups changes nothing');
    await oktaEvent('group.user_membership.remove', { id: '00u-ada', login: 'ada@acme.example' }, 'hubwarden-admins');
    const seen = await hubsSeen(ada);
    assert.ok(seen === 0 || seen === -403, `still signed in, no longer an administrator: ${seen}`);
    assert.equal(await hubsSeen(bo), every, 'another administrator keeps the group');
    const withdrawn = await auditOf('withdraw-dashboard-admin-group');
    assert.equal(withdrawn.length, 1);
    assert.equal(withdrawn[0]!.detail?.group, 'hubwarden-admins');
  });

  test('an allowed group the token and Okta send decomposed ("e" + U+0301), configured precomposed: an administrator, recorded as configured; leaving it withdraws the rights', async () => {
    const ida = await signIn({ sub: '00u-ida', email: 'ida@acme.example', email_verified: true, groups: ['Cafe\u0301 Admins'] }, 'code-ida');
    const every = await hubsSeen(ida);
    assert.ok(every > 0, 'an administrator sees every hub');
    assert.deepEqual((await stored('dashboardSessions')).find((r) => r.email === 'ida@acme.example')?.adminGroups, ['Caf\u00e9 Admins']);
    await oktaEvent('group.user_membership.remove', { id: '00u-ida', login: 'ida@acme.example' }, 'Cafe\u0301 Admins');
    const seen = await hubsSeen(ida);
    assert.ok(seen === 0 || seen === -403, `still signed in, no longer an administrator: ${seen}`);
    assert.equal((await auditOf('withdraw-dashboard-admin-group')).find((e) => e.subject?.email === 'ida@acme.example')?.detail?.group, 'Caf\u00e9 Admins');
  });

  test('a sign-in racing an Okta deactivation (its ID token, or its start, from before the event) is refused on every replica; a later one is accepted', async () => {
    const replica = await serveRouters([['/ui', createWebRouter({ config: w.config, agent: new FakeAgent(), store: w.store, log: silent })]]);
    try {
      const kim = { sub: '00u-kim', email: 'kim@acme.example', email_verified: true, groups: ['hubwarden-admins'] };
      const before = Math.floor(Date.now() / 1000) - 30;
      // Two sign-ins in flight: the IdP authenticated Kim before the deactivation.
      const first = await start(w.server.url);
      nonces.set('code-kim-1', first.nonce);
      const second = await start(w.server.url);
      nonces.set('code-kim-2', second.nonce);
      await oktaEvent('user.lifecycle.deactivate', { id: '00u-kim', login: 'kim@acme.example' });
      assert.equal((await auditOf('end-dashboard-sessions')).filter((e) => e.subject?.email === 'kim@acme.example').length, 0, 'no session to end yet');

      // The callback arrives just after the event was processed, at another replica.
      w.person = { ...kim, iat: before };
      const refused = await callback(replica.url, 'code-kim-1', first.state, first.cookie);
      assert.equal(refused.location, '/ui/sign-in?error=revoked');
      assert.equal(refused.session, undefined, 'no session');
      assert.match(await (await fetch(`${w.server.url}${refused.location}`)).text(), /Your access was ended/);
      // An ID token minted at the code exchange, after the event, for a sign-in started before it
      // (its code was issued before it): refused too.
      w.person = { ...kim, iat: Math.ceil(Date.now() / 1000) + 1 };
      assert.equal((await callback(w.server.url, 'code-kim-2', second.state, second.cookie)).location, '/ui/sign-in?error=revoked');
      assert.equal((await stored('dashboardSessions')).filter((r) => r.email === 'kim@acme.example').length, 0);
      const audited = (await signIns()).filter((e) => e.subject?.email === 'kim@acme.example');
      assert.deepEqual(audited.map((e) => [e.outcome, e.detail?.reason, e.trigger.actor]), [['failed', 'revoked', 'kim@acme.example'], ['failed', 'revoked', 'kim@acme.example']]);
      assert.match(audited[0]!.why, /offboarded/);

      // Re-activated, Kim signs in again: a sign-in started, and an ID token issued, after the mark.
      await sleep(1_000 - (Date.now() % 1_000) + 5);
      w.person = kim;
      const again = await start(replica.url);
      nonces.set('code-kim-3', again.nonce);
      const back = await callback(replica.url, 'code-kim-3', again.state, again.cookie);
      assert.equal(back.location, '/ui/');
      assert.ok(back.session, 'signed in');
    } finally {
      await replica.close();
    }
  });
});
