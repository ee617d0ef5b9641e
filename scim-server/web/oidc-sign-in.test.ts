/**
 * The dashboard's OIDC sign-in end to end through the router (`/ui/auth/oidc` → IdP → `/ui/auth/callback`)
 * against a small hand-made IdP whose ID token the test chooses (oidc-client.test.ts has the ID-token
 * checks; test/browser/dashboard.test.ts the real provider).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { parseConfig, type LoadedConfig } from '../../config/load.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, type TestServer } from '../../test/admin/test-server.ts';
import { createOktaHookRouter, type HookRouter } from '../hooks/okta.ts';
import { PendingCookie } from './oidc-pending.ts';
import { createWebRouter } from './router.ts';

const silent = { info() {}, warn() {}, error() {} };
const HOOK_SECRET = 'okta-hook-secret-for-tests';

/** What the next ID token says about the person. */
interface Person { sub?: string; iat?: number; oid?: string; email?: string; email_verified?: boolean; xms_edov?: boolean | string; groups?: string[] }

describe('OIDC sign-in through the dashboard router', () => {
  let idp: Server;
  let issuer: string;
  let server: TestServer;
  let hook: HookRouter & { stop(): void };
  let agent: FakeAgent;
  let store: MemoryStore;
  /** One key file: every router here is a replica sharing it (`secrets.keyFile`). */
  const keyFile = join(mkdtempSync(join(tmpdir(), 'hubwarden-oidc-')), 'hubwarden.key');
  const configWith = (file: string) => parseConfig(`
server:
  publicUrl: http://hubwarden.test
  oidc: { issuer: "${issuer}", clientId: client-1, clientSecret: env:SECRET, allowedGroups: [hubwarden-admins, "Caf\u00e9 Admins"] }
secrets: { keyFile: "${file}" }
identityProviders: { okta: { kind: okta, orgUrl: https://acme.okta.example, eventHookSecret: env:HOOK_SECRET } }
hubs: [{ id: acme-ads, connector: meta-business, meta: { businessId: "1" } }]
`, '/tmp/hubwarden-test/oidc.yaml', { SECRET: 'oidc-secret-for-tests', HOOK_SECRET: HOOK_SECRET });
  let config: LoadedConfig;
  let person: Person = {};
  const nonces = new Map<string, string>();
  let key: CryptoKeyPair;
  let jwk: JWK;

  before(async () => {
    key = await generateKeyPair('RS256');
    jwk = { ...(await exportJWK(key.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    idp = createServer(async (req, res) => {
      const json = (body: unknown) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
      if (req.url === '/.well-known/openid-configuration') {
        return json({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, scopes_supported: ['openid', 'email', 'groups'] });
      }
      if (req.url === '/jwks') return json({ keys: [jwk] });
      if (req.url === '/token') {
        let body = '';
        for await (const chunk of req) body += chunk;
        const code = new URLSearchParams(body).get('code') ?? '';
        const { sub, iat, ...claims } = person;
        const idToken = await new SignJWT({ nonce: nonces.get(code), ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setSubject(sub ?? 'person-1').setIssuer(issuer).setAudience('client-1').setIssuedAt(iat).setExpirationTime('5m').sign(key.privateKey);
        return json({ id_token: idToken, access_token: 'at-1', token_type: 'Bearer' });
      }
      res.writeHead(404).end();
    });
    idp.listen(0, '127.0.0.1');
    await new Promise((r) => idp.once('listening', r));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    config = configWith(keyFile);
    store = new MemoryStore();
    await store.open();
    agent = new FakeAgent();
    hook = createOktaHookRouter({ config, agent, store, log: silent as never });
    server = await serveRouters([['/ui', createWebRouter({ config, agent, store, log: silent })], ['/hooks', hook]]);
  });
  after(async () => {
    hook.stop();
    await server.close();
    idp.closeAllConnections();
    await new Promise((r) => idp.close(r));
  });

  /** Starts a sign-in, lets the IdP answer for `who`, and returns the session cookie. */
  async function signIn(who: Person, code: string): Promise<string> {
    person = who;
    const start = await fetch(`${server.url}/ui/auth/oidc?next=/ui/`, { redirect: 'manual' });
    assert.equal(start.status, 303);
    const authorize = new URL(start.headers.get('location')!);
    nonces.set(code, authorize.searchParams.get('nonce')!);
    const state = authorize.searchParams.get('state')!;
    const stateCookie = start.headers.getSetCookie().find((c) => c.startsWith('hubwarden-oidc='))!.split(';')[0]!;
    const back = await fetch(`${server.url}/ui/auth/callback?code=${code}&state=${encodeURIComponent(state)}`, { redirect: 'manual', headers: { cookie: stateCookie } });
    assert.equal(back.headers.get('location'), '/ui/');
    return back.headers.getSetCookie().find((c) => c.startsWith('hubwarden-session=') && !c.includes('Max-Age=0'))!.split(';')[0]!;
  }

  /** Starts a sign-in on `url`: the pending-sign-in cookie (name=value) and what the IdP is asked. */
  async function start(url: string, next = '/ui/') {
    const res = await fetch(`${url}/ui/auth/oidc?next=${encodeURIComponent(next)}`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    const authorize = new URL(res.headers.get('location')!);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('hubwarden-oidc='))!.split(';')[0]!;
    return { cookie, state: authorize.searchParams.get('state')!, nonce: authorize.searchParams.get('nonce')! };
  }

  /** The IdP's redirect back to `url` with `code`, in a browser holding `cookie`. */
  async function callback(url: string, code: string, state: string, cookie: string) {
    const res = await fetch(`${url}/ui/auth/callback?code=${code}&state=${encodeURIComponent(state)}`, { redirect: 'manual', headers: { cookie } });
    const session = res.headers.getSetCookie().find((c) => /^hubwarden-session=[^;]/.test(c));
    return { location: res.headers.get('location'), session };
  }

  async function checkForUpdatesAs(cookie: string) {
    const page = await (await fetch(`${server.url}/ui/`, { headers: { cookie } })).text();
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)![1]!;
    const res = await fetch(`${server.url}/ui/api/v1/hubs/acme-ads/check-for-updates`, {
      method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}',
    });
    assert.equal(res.status, 202);
    return agent.writes().filter((w) => w.method === 'checkForUpdates').at(-1)!.args.at(-1);
  }

  test('an administrator whose email the IdP marks unverified is audited by subject, not by that email', async () => {
    const cookie = await signIn({ email: 'ceo@acme.example', email_verified: false, groups: ['hubwarden-admins'] }, 'code-unverified');
    assert.deepEqual(await checkForUpdatesAs(cookie), { type: 'dashboard', actor: 'oidc:person-1', detail: 'oidc' });
    const page = await (await fetch(`${server.url}/ui/`, { headers: { cookie } })).text();
    assert.doesNotMatch(page, /ceo@acme\.example/, 'the page does not name them by an address nobody verified');
  });

  test("an Entra token whose xms_edov says the email's domain owner is unverified (nOAuth): audited by subject, not by that email", async () => {
    const cookie = await signIn({ email: 'ceo@acme.example', xms_edov: false, groups: ['hubwarden-admins'] }, 'code-edov');
    assert.deepEqual(await checkForUpdatesAs(cookie), { type: 'dashboard', actor: 'oidc:person-1', detail: 'oidc' });
    const asString = await signIn({ email: 'ceo@acme.example', xms_edov: 'false', email_verified: true, groups: ['hubwarden-admins'] }, 'code-edov-string');
    assert.deepEqual(await checkForUpdatesAs(asString), { type: 'dashboard', actor: 'oidc:person-1', detail: 'oidc' });
    const verified = await signIn({ email: 'ceo@acme.example', xms_edov: true, groups: ['hubwarden-admins'] }, 'code-edov-true');
    assert.deepEqual(await checkForUpdatesAs(verified), { type: 'dashboard', actor: 'ceo@acme.example', detail: 'oidc' });
  });

  test('https: the state cookie is __Host- prefixed, so a sibling subdomain cannot plant one (login CSRF)', async () => {
    const config = parseConfig(`
server:
  publicUrl: https://hubwarden.example
  oidc: { issuer: "${issuer}", clientId: client-1, clientSecret: env:SECRET }
secrets: { keyFile: "${keyFile}" }
hubs: [{ id: acme-ads, connector: meta-business, meta: { businessId: "1" } }]
`, '/tmp/hubwarden-test/oidc.yaml', { SECRET: 'oidc-secret-for-tests' });
    const store = new MemoryStore();
    await store.open();
    const https = await serveRouters([['/ui', createWebRouter({ config, agent: new FakeAgent(), store, log: silent })]]);
    try {
      // The attacker starts a sign-in in their own browser and stops at the IdP's redirect back
      // (their code, their state); a page on another subdomain of the same site then sets a
      // cookie with that state for the whole site (Domain=example) and sends the victim to the callback.
      person = { email: 'attacker@acme.example', email_verified: true };
      const start = await fetch(`${https.url}/ui/auth/oidc`, { redirect: 'manual' });
      const set = start.headers.getSetCookie().find((c) => /hubwarden-oidc=/.test(c))!;
      const authorize = new URL(start.headers.get('location')!);
      nonces.set('code-attacker', authorize.searchParams.get('nonce')!);
      const state = authorize.searchParams.get('state')!;
      const planted = await fetch(`${https.url}/ui/auth/callback?code=code-attacker&state=${encodeURIComponent(state)}`, {
        redirect: 'manual', headers: { cookie: `hubwarden-oidc=${state}` },
      });
      assert.equal(planted.headers.get('location'), '/ui/sign-in?error=expired');
      assert.equal(planted.headers.getSetCookie().some((c) => /hubwarden-session=[^;]/.test(c)), false, 'the victim is not signed in as the attacker');
      assert.equal(start.headers.get('strict-transport-security'), 'max-age=31536000', 'https: browsers keep to https (RFC 6797)');
      assert.match(set, /^__Host-hubwarden-oidc=/);
      assert.match(set, /; Path=\/;/);
      assert.match(set, /; Secure/);
    } finally {
      await https.close();
    }
  });

  test('a verified email names the person in the audit log', async () => {
    const cookie = await signIn({ email: 'Ada@Acme.example', email_verified: true, groups: ['hubwarden-admins'] }, 'code-verified');
    assert.deepEqual(await checkForUpdatesAs(cookie), { type: 'dashboard', actor: 'ada@acme.example', detail: 'oidc' });
  });

  /** Delivers one Okta System Log event about `user` (https://developer.okta.com/docs/concepts/event-hooks/) and waits until it is acted on. */
  async function oktaEvent(eventType: string, user: { id: string; login: string }, group?: string) {
    const event = {
      uuid: randomUUID(), published: new Date().toISOString(), eventType, outcome: { result: 'SUCCESS' },
      actor: { id: '00uadmin', type: 'User', alternateId: 'admin@acme.example' },
      target: [
        { id: user.id, type: 'User', alternateId: user.login, displayName: 'Someone' },
        ...(group ? [{ id: `00g-${group}`, type: 'UserGroup', alternateId: 'unknown', displayName: group }] : []),
      ],
    };
    const res = await fetch(`${server.url}/hooks/okta`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: HOOK_SECRET }, body: JSON.stringify({ data: { events: [event] } }) });
    assert.equal(res.status, 200);
    await hook.settled();
  }

  /** How many hubs the session sees, or the status refusing it. */
  async function hubsSeen(cookie: string): Promise<number> {
    const res = await fetch(`${server.url}/ui/api/v1/hubs`, { headers: { cookie } });
    return res.status === 200 ? ((await res.json()) as { total: number }).total : -res.status;
  }

  async function stored<C extends 'audit' | 'dashboardSessions'>(collection: C) {
    const records = [];
    for await (const r of store.list(collection, '')) records.push(r);
    return records;
  }
  const auditOf = async (action: string) => (await stored('audit')).filter((e) => e.action === action);

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

  test("a sign-in records the IdP's ids of the person: the ID token's sub, and Entra's oid when sent", async () => {
    await signIn({ sub: 'pairwise-sub', oid: 'obj-cy', email: 'cy@acme.example', email_verified: true }, 'code-cy');
    const sessions = (await stored('dashboardSessions')).filter((r) => r.email === 'cy@acme.example');
    assert.equal(sessions.length, 1);
    assert.deepEqual(sessions[0]!.idpUserIds, ['pairwise-sub', 'obj-cy']);
  });

  test('2,000 sign-in starts write nothing to the store: the pending sign-in is in the browser', async () => {
    let transactions = 0;
    let changes = 0;
    const transact = store.transact.bind(store);
    store.transact = ((fn: never) => { transactions++; return transact(fn); }) as typeof store.transact;
    const unsubscribe = store.subscribe((c) => { changes += c.length; });
    try {
      // `GET /ui/auth/oidc` needs no credential: anyone may call it in a loop.
      for (let i = 0; i < 2_000; i++) await start(server.url);
    } finally {
      unsubscribe();
      store.transact = transact;
    }
    assert.equal(transactions, 0, 'no transaction per start');
    assert.equal(changes, 0, 'no record written');
    // A person who started a sign-in before the loop is not pushed out by it: nothing is kept to push.
    person = { email: 'ada@acme.example', email_verified: true };
    const mine = await start(server.url, '/ui/hubs/acme-ads');
    for (let i = 0; i < 50; i++) await start(server.url);
    nonces.set('code-after-flood', mine.nonce);
    const back = await callback(server.url, 'code-after-flood', mine.state, mine.cookie);
    assert.equal(back.location, '/ui/hubs/acme-ads');
    assert.ok(back.session, 'signed in');
  });

  test('a changed pending-sign-in cookie is refused as unverifiable; an expired one as expired', async () => {
    person = { email: 'ada@acme.example', email_verified: true };
    const mine = await start(server.url);
    nonces.set('code-tampered', mine.nonce);
    const [name, value] = mine.cookie.split('=') as [string, string];
    const parts = decodeURIComponent(value).split('.');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0] = ct[0]! ^ 1; // one bit of the sealed JSON
    const tampered = `${name}=${encodeURIComponent([...parts.slice(0, 3), ct.toString('base64url')].join('.'))}`;
    const refused = await callback(server.url, 'code-tampered', mine.state, tampered);
    assert.equal(refused.location, '/ui/sign-in?error=invalid');
    assert.equal(refused.session, undefined);
    const page = await (await fetch(`${server.url}${refused.location}`)).text();
    assert.match(page, /could not be verified/, 'the sign-in page says why');
    // Sealed with the same key 11 minutes ago: past the 10-minute sign-in, whatever the browser kept.
    const old = await new PendingCookie(Keyring.load(keyFile), 600_000, () => Date.now() - 11 * 60_000)
      .seal({ state: mine.state, nonce: mine.nonce, verifier: 'v'.repeat(43), next: '/ui/' });
    const expired = await callback(server.url, 'code-tampered', mine.state, `hubwarden-oidc=${encodeURIComponent(old)}`);
    assert.equal(expired.location, '/ui/sign-in?error=expired');
    assert.equal(expired.session, undefined);
    // The untouched cookie still works, so the refusals above were about the cookie alone.
    assert.ok((await callback(server.url, 'code-tampered', mine.state, mine.cookie)).session);
    // The state of the URL must be the one sealed in the cookie (another sign-in's state is refused).
    const other = await start(server.url);
    assert.equal((await callback(server.url, 'code-tampered', other.state, mine.cookie)).location, '/ui/sign-in?error=expired');
  });

  test('two replicas sharing the key file finish each other\'s sign-ins; one with another key file refuses', async () => {
    const replica = await serveRouters([['/ui', createWebRouter({ config: configWith(keyFile), agent: new FakeAgent(), store: new MemoryStore(), log: silent })]]);
    const otherKey = join(mkdtempSync(join(tmpdir(), 'hubwarden-oidc-')), 'hubwarden.key');
    const stranger = await serveRouters([['/ui', createWebRouter({ config: configWith(otherKey), agent: new FakeAgent(), store: new MemoryStore(), log: silent })]]);
    try {
      person = { email: 'ada@acme.example', email_verified: true };
      const mine = await start(server.url, '/ui/hubs/acme-ads');
      nonces.set('code-replica', mine.nonce);
      const back = await callback(replica.url, 'code-replica', mine.state, mine.cookie);
      assert.equal(back.location, '/ui/hubs/acme-ads', 'the replica that did not start it finishes it');
      assert.ok(back.session);
      const theirs = await start(replica.url);
      nonces.set('code-replica-2', theirs.nonce);
      assert.ok((await callback(server.url, 'code-replica-2', theirs.state, theirs.cookie)).session, 'and the other way round');
      const foreign = await callback(stranger.url, 'code-replica-2', theirs.state, theirs.cookie);
      assert.equal(foreign.location, '/ui/sign-in?error=invalid', 'a server with another key file opens nothing');
    } finally {
      await replica.close();
      await stranger.close();
    }
  });

  /** The audit entries of dashboard sign-ins (newest last). */
  const signIns = async () => (await stored('audit')).filter((e) => e.action === 'dashboard-sign-in');

  test('a sign-in racing an Okta deactivation (its ID token, or its start, from before the event) is refused on every replica; a later one is accepted', async () => {
    const replica = await serveRouters([['/ui', createWebRouter({ config, agent: new FakeAgent(), store, log: silent })]]);
    try {
      const kim = { sub: '00u-kim', email: 'kim@acme.example', email_verified: true, groups: ['hubwarden-admins'] };
      const before = Math.floor(Date.now() / 1000) - 30;
      // Two sign-ins in flight: the IdP authenticated Kim before the deactivation.
      const first = await start(server.url);
      nonces.set('code-kim-1', first.nonce);
      const second = await start(server.url);
      nonces.set('code-kim-2', second.nonce);
      await oktaEvent('user.lifecycle.deactivate', { id: '00u-kim', login: 'kim@acme.example' });
      assert.equal((await auditOf('end-dashboard-sessions')).filter((e) => e.subject?.email === 'kim@acme.example').length, 0, 'no session to end yet');

      // The callback arrives just after the event was processed, at another replica.
      person = { ...kim, iat: before };
      const refused = await callback(replica.url, 'code-kim-1', first.state, first.cookie);
      assert.equal(refused.location, '/ui/sign-in?error=revoked');
      assert.equal(refused.session, undefined, 'no session');
      assert.match(await (await fetch(`${server.url}${refused.location}`)).text(), /Your access was ended/);
      // An ID token minted at the code exchange, after the event, for a sign-in started before it
      // (its code was issued before it): refused too.
      person = { ...kim, iat: Math.ceil(Date.now() / 1000) + 1 };
      assert.equal((await callback(server.url, 'code-kim-2', second.state, second.cookie)).location, '/ui/sign-in?error=revoked');
      assert.equal((await stored('dashboardSessions')).filter((r) => r.email === 'kim@acme.example').length, 0);
      const audited = (await signIns()).filter((e) => e.subject?.email === 'kim@acme.example');
      assert.deepEqual(audited.map((e) => [e.outcome, e.detail?.reason, e.trigger.actor]), [['failed', 'revoked', 'kim@acme.example'], ['failed', 'revoked', 'kim@acme.example']]);
      assert.match(audited[0]!.why, /offboarded/);

      // Re-activated, Kim signs in again: a sign-in started, and an ID token issued, after the mark.
      await sleep(1_000 - (Date.now() % 1_000) + 5);
      person = kim;
      const again = await start(replica.url);
      nonces.set('code-kim-3', again.nonce);
      const back = await callback(replica.url, 'code-kim-3', again.state, again.cookie);
      assert.equal(back.location, '/ui/');
      assert.ok(back.session, 'signed in');
    } finally {
      await replica.close();
    }
  });

  test('a sign-in is audited: who (email and sub), how (the issuer), what it grants; never a code, token or session id', async () => {
    const cookie = await signIn({ sub: '00u-max', email: 'Max@Acme.example', email_verified: true, groups: ['hubwarden-admins', 'Sales'] }, 'code-max');
    const entry = (await signIns()).filter((e) => e.subject?.email === 'max@acme.example').at(-1)!;
    assert.equal(entry.outcome, 'ok');
    assert.deepEqual(entry.trigger, { type: 'dashboard', actor: 'max@acme.example', detail: 'oidc' });
    const { ip, ...rest } = entry.detail ?? {};
    assert.deepEqual(rest, { via: 'oidc', admin: true, issuer: new URL(issuer).host, sub: '00u-max', adminGroups: ['hubwarden-admins'] });
    // Where from, as a refusal says: the first thing to look at when an account is used by someone else.
    assert.match(String(ip), /^(::ffff:)?127\.0\.0\.1$/);
    const text = JSON.stringify(entry);
    const sessionId = cookie.split('=')[1]!;
    for (const secret of [sessionId, 'code-max', 'oidc-secret-for-tests', 'at-1']) assert.ok(!text.includes(secret), `the entry holds no ${secret}`);
    // Someone with no admin group: no administrator, their hub roles (none here).
    await signIn({ sub: '00u-nia', email: 'nia@acme.example', email_verified: true, groups: ['Sales'] }, 'code-nia');
    const nia = (await signIns()).filter((e) => e.subject?.email === 'nia@acme.example').at(-1)!;
    assert.deepEqual([nia.detail?.admin, nia.detail?.hubRoles], [false, {}]);
  });

  test('refused callbacks are audited by a fixed reason, the hostile text the URL carried not repeated', async () => {
    const hostile = '<script>alert(1)</script>\n{"forged":true}';
    const count = (await signIns()).length;
    // No sign-in started in this browser (a forged or replayed callback).
    const forged = await fetch(`${server.url}/ui/auth/callback?code=x&state=${encodeURIComponent(hostile)}`, { redirect: 'manual' });
    assert.equal(forged.headers.get('location'), '/ui/sign-in?error=expired');
    // The IdP (or someone posing as it) says no, with an error that is not an error code.
    const mine = await start(server.url);
    const idpNo = await fetch(`${server.url}/ui/auth/callback?error=${encodeURIComponent(hostile)}&state=${encodeURIComponent(mine.state)}`, { redirect: 'manual', headers: { cookie: mine.cookie } });
    assert.equal(idpNo.headers.get('location'), '/ui/sign-in?error=refused');
    const again = await start(server.url);
    await fetch(`${server.url}/ui/auth/callback?error=access_denied&state=${encodeURIComponent(again.state)}`, { redirect: 'manual', headers: { cookie: again.cookie } });
    // A wrong nonce: the ID token was minted for another sign-in.
    person = { email: 'ada@acme.example', email_verified: true };
    const third = await start(server.url);
    nonces.set('code-wrong-nonce', 'not-the-nonce');
    assert.equal((await callback(server.url, 'code-wrong-nonce', third.state, third.cookie)).location, '/ui/sign-in?error=failed');
    const entries = (await signIns()).slice(count);
    assert.deepEqual(entries.map((e) => [e.outcome, e.detail?.reason, e.detail?.idpError]), [
      ['failed', 'no-pending', undefined], ['failed', 'idp-refused', 'not an error code (not repeated)'], ['failed', 'idp-refused', 'access_denied'], ['failed', 'not-verified', undefined],
    ]);
    assert.ok(!JSON.stringify(entries).includes('script'), 'nothing of the hostile text is kept');
    assert.ok(entries.every((e) => e.trigger.type === 'dashboard' && e.trigger.actor === undefined && e.detail?.ip), 'by client address, naming nobody');
  });
});
