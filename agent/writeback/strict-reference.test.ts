/**
 * Write-back end to end, through the real Okta and Graph SDKs, against strict doubles of Okta and
 * Microsoft Graph written apart from test/emulators from the vendors' documentation only
 * (strict-okta.test-double.ts, strict-graph.test-double.ts). Each run: attributes created first, a
 * matched, an exempted, an unmatched and a deactivated person written, a re-run that changes
 * nothing, a 429 then success. Every request the doubles refuse must be one write-back expects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, ENTRA, EXT_PREFIX, movableClock, OKTA_TOKEN, seededStore, setMemberRole, writebackConfig } from './writeback-fixtures.ts';
import { startStrictOkta } from './strict-okta.test-double.ts';
import { startStrictGraph } from './strict-graph.test-double.ts';
import type { MemoryStore } from '../store/memory-store.ts';
import { generateKeyPairSync } from 'node:crypto';
import { parseConfig } from '../../config/load.ts';

const T = '2026-11-20T10:00:00.000Z';
/** Longer than a String directory extension holds (256), shorter than the Okta property (1024). */
const REASON = `agency lead: ${'runs the EU accounts for the brand team. '.repeat(8)}`.trim();

/** Ana matched (ADMIN), Bo exempted until a date, Cy unmatched, Dee deactivated in the directory. */
async function people(hubId: string, ids: { ana: string; bo: string; cy: string; dee: string }, domain: string): Promise<MemoryStore> {
  const store = await seededStore(hubId, [
    directoryUser(hubId, 'u-ana', `ana@${domain}`, { externalId: ids.ana }),
    directoryUser(hubId, 'u-bo', `bo@${domain}`, { externalId: ids.bo }),
    // Cy has no externalId: written by login (Okta) or UPN (Graph).
    directoryUser(hubId, 'u-cy', `cy@${domain}`),
    directoryUser(hubId, 'u-dee', `dee@${domain}`, { externalId: ids.dee, active: false }),
  ], [
    { id: 'm-ana', email: `ana@${domain}`, role: 'ADMIN' },
    { id: 'm-bo', email: `bo@${domain}`, role: 'EMPLOYEE' },
  ]);
  await store.transact((tx) => {
    tx.put('memberMatches', hubId, 'm-ana', { hubId, memberId: 'm-ana', outcome: 'onboarded', manual: false, at: T, directoryUserId: 'u-ana' });
    tx.put('memberMatches', hubId, 'm-bo', { hubId, memberId: 'm-bo', outcome: 'exempted', manual: false, at: T, directoryUserId: 'u-bo' });
    tx.put('exemptions', hubId, 'm-bo', { hubId, memberId: 'm-bo', reason: REASON, by: 'owner@example.com', at: T, until: '2099-03-31T00:00:00Z' });
  });
  return store;
}

test('okta: write-back passes a strict Okta (schema, partial profile updates, 429, a deactivated user)', async () => {
  const HUB = 'meta-main';
  const ids = { ana: '00uana00000000000001', bo: '00ubo000000000000002', cy: '00ucy000000000000003', dee: '00udee00000000000004' };
  const attr = (f: string) => `hubwarden_meta_main_${f}`;
  const okta = await startStrictOkta({
    token: OKTA_TOKEN,
    users: [
      { id: ids.ana, login: 'ana@example.com', profile: { firstName: 'Ana' } },
      { id: ids.bo, login: 'bo@example.com' },
      { id: ids.cy, login: 'cy@example.com' },
      { id: ids.dee, login: 'dee@example.com', status: 'DEPROVISIONED' },
    ],
  });
  try {
    const store = await people(HUB, ids, 'example.com');
    const log = capturingLog();
    const writeback = createWriteback({ config: writebackConfig({ okta: okta.url }), store, log, clock: movableClock(), tuning: { okta: { maxRetries: 2, resetMarginMs: 0 } } });

    const first = await writeback.run(HUB);
    assert.deepEqual(Object.keys(okta.custom).sort(), ['exemptUntil', 'exemption', 'role', 'status'].map(attr).sort());
    const profile = (id: string) => okta.users.get(id)!.profile;
    assert.equal(profile(ids.ana)[attr('status')], 'onboarded');
    assert.equal(profile(ids.ana)[attr('role')], 'ADMIN');
    assert.equal(profile(ids.ana).firstName, 'Ana', 'other properties untouched');
    assert.deepEqual([profile(ids.bo)[attr('status')], profile(ids.bo)[attr('exemption')], profile(ids.bo)[attr('exemptUntil')]], ['exempted', REASON, '2099-03-31T00:00:00Z']);
    assert.equal(profile(ids.cy)[attr('status')], 'pending');
    assert.equal(profile(ids.dee)[attr('status')], undefined, 'Okta refuses the deactivated user');
    assert.equal(first.written, 3);
    assert.deepEqual(first.problems.map((p) => [p.directoryUserId, p.kind]), [['u-dee', 'deactivated']]);
    // Only the refusal of the deactivated user may be refused by Okta: no property field, method,
    // body or header outside Okta's documentation.
    // One refusal write-back expects besides: its first schema POST carries `description` and
    // `master` (Okta UserSchema attribute fields the Schemas API example leaves out, for
    // attribute-level mastering), and is sent again without them when refused.
    const refused = okta.refused.filter((r) => !r.startsWith(`POST /api/v1/users/${ids.dee}:`));
    assert.equal(refused.length, 1, refused.join('\n'));
    assert.match(refused[0]!, /^POST \/api\/v1\/meta\/schemas\/user\/default: E0000001 /);
    assert.deepEqual([...refused[0]!.matchAll(/\.(\w+) is not a property field/g)].map((m) => m[1]).sort(), ['description', 'description', 'description', 'description', 'master', 'master', 'master', 'master']);
    // Only changed properties: never a value the user already holds. (The first write sends all four
    // attributes, null for none, since what Okta holds is not known before: a null where the user
    // has no value is noted, not refused.) Never "" for none: Okta keeps it as a value.
    assert.deepEqual(okta.notes.filter((n) => !/ sent unchanged \(null\)$/.test(n)), []);
    assert.equal(okta.calls.some((c) => c.method === 'PUT'), false);

    // Re-run, nothing changed: no request at all.
    okta.calls.length = 0;
    const again = await writeback.run(HUB);
    assert.equal(again.unchanged, 3);
    assert.equal(okta.calls.length, 0, 'no request');

    // A 429 (E0000047, X-Rate-Limit-Reset), then success.
    await setMemberRole(store, HUB, 'm-ana', 'EMPLOYEE');
    okta.throttleNext(1);
    const third = await writeback.run(HUB);
    assert.equal(third.written, 1);
    assert.deepEqual(okta.calls.map((c) => [c.method, c.status]), [['POST', 429], ['POST', 200]]);
    assert.deepEqual(okta.calls[1]!.body, { profile: { [attr('role')]: 'EMPLOYEE' } });
    assert.equal(profile(ids.ana)[attr('role')], 'EMPLOYEE');
    assert.ok(!JSON.stringify([log.lines, first, again, third]).includes(OKTA_TOKEN));
  } finally {
    await okta.close();
  }
});

/**
 * Ana alone, written back through a strict Okta whose service app holds the public half of a new
 * RSA key; the config names the private half as a PEM (and `keyId`, when given). `check` sees the
 * double and the report before the double closes.
 */
async function privateKeyRun(keyId: string | undefined, check: (okta: Awaited<ReturnType<typeof startStrictOkta>>, report: { written: number }, ana: string) => void): Promise<void> {
  const HUB = 'meta-main';
  const ANA = '00uana00000000000001';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const okta = await startStrictOkta({ serviceApp: { clientId: '0oastrictservice0001', publicKey, scopes: ['okta.users.manage', 'okta.schemas.manage'], ...(keyId ? { keyId } : {}) }, users: [{ id: ANA, login: 'ana@example.com' }] });
  try {
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const config = parseConfig(JSON.stringify({
      identityProviders: { okta: { kind: 'okta', orgUrl: okta.url, clientId: '0oastrictservice0001', privateKey: 'env:OKTA_KEY', ...(keyId ? { keyId } : {}) } },
      hubs: [{ id: HUB, connector: 'meta-business', identityProvider: 'okta', meta: { businessId: '1001' } }],
    }), '/tmp/hubwarden-writeback-test.yaml', { OKTA_KEY: pem });
    const store = await seededStore(HUB, [directoryUser(HUB, 'u-ana', 'ana@example.com', { externalId: ANA })], [{ id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' }]);
    const report = await createWriteback({ config, store, log: capturingLog(), clock: movableClock(), tuning: { okta: { maxRetries: 0, resetMarginMs: 0 } } }).run(HUB);
    check(okta, report, ANA);
  } finally {
    await okta.close();
  }
}

test('okta private-key mode: a service app token from the strict Okta, sent as Bearer', () => privateKeyRun(undefined, (okta, report, ANA) => {
  assert.equal(report.written, 1);
  assert.equal(okta.users.get(ANA)!.profile.hubwarden_meta_main_status, 'onboarded');
  assert.deepEqual(okta.refused.filter((r) => !/^POST \/api\/v1\/meta\/schemas\/user\/default: E0000001 /.test(r)), []);
  assert.equal(okta.calls.filter((c) => c.path === '/oauth2/v1/token').length, 1);
}));

test('entra: write-back passes a strict Graph (extension properties, PATCH /users, 429 Retry-After, a disabled user)', async () => {
  const HUB = 'ads-eu';
  const ids = { ana: '0a0a0a0a-1111-2222-3333-444444444401', bo: '0a0a0a0a-1111-2222-3333-444444444402', cy: '0a0a0a0a-1111-2222-3333-444444444403', dee: '0a0a0a0a-1111-2222-3333-444444444404' };
  const ext = (f: string) => `${EXT_PREFIX}hubwarden_ads_eu_${f}`;
  const graph = await startStrictGraph({
    tenantId: ENTRA.tenantId, clientId: ENTRA.clientId, clientSecret: ENTRA.clientSecret, appId: ENTRA.extensionAppId, appObjectId: 'ext-app-object',
    users: [
      { id: ids.ana, userPrincipalName: 'ana@contoso.com' },
      { id: ids.bo, userPrincipalName: 'bo@contoso.com' },
      { id: ids.cy, userPrincipalName: 'cy@contoso.com' },
      { id: ids.dee, userPrincipalName: 'dee@contoso.com', accountEnabled: false },
    ],
  });
  try {
    const store = await people(HUB, ids, 'contoso.com');
    const log = capturingLog();
    const writeback = createWriteback({ config: writebackConfig({ graph: graph.url }), store, log, clock: movableClock(), tuning: { entra: { maxRetries: 2, delaySeconds: 0 } } });

    const first = await writeback.run(HUB);
    assert.deepEqual(graph.extensions.map((e) => e.name), ['status', 'role', 'exemption', 'exemptUntil'].map(ext));
    const v = (id: string) => graph.values.get(id)!;
    assert.deepEqual(v(ids.ana), { [ext('status')]: 'onboarded', [ext('role')]: 'ADMIN' });
    assert.deepEqual(v(ids.bo), { [ext('status')]: 'exempted', [ext('role')]: 'EMPLOYEE', [ext('exemption')]: `${REASON.slice(0, 255)}…`, [ext('exemptUntil')]: '2099-03-31T00:00:00Z' });
    assert.ok(REASON.length > 256);
    assert.deepEqual(v(ids.cy), { [ext('status')]: 'pending' });
    assert.deepEqual(v(ids.dee), { [ext('status')]: 'removed' });
    assert.equal(first.written, 4);
    assert.deepEqual(graph.refused, [], 'nothing outside Graph\'s documentation');
    assert.equal(graph.tokensIssued(), 1);

    graph.calls.length = 0;
    const again = await writeback.run(HUB);
    assert.equal(again.unchanged, 4);
    assert.equal(graph.calls.length, 0, 'no request, no token');

    await setMemberRole(store, HUB, 'm-ana', 'EMPLOYEE');
    graph.throttleNext(1);
    const third = await writeback.run(HUB);
    assert.equal(third.written, 1);
    assert.deepEqual(graph.calls.map((c) => [c.method, c.status]), [['PATCH', 429], ['PATCH', 204]]);
    assert.deepEqual(graph.calls[1]!.body, { [ext('role')]: 'EMPLOYEE' });
    assert.deepEqual(graph.refused, []);
    assert.ok(!JSON.stringify([log.lines, first, again, third]).includes(ENTRA.clientSecret));
  } finally {
    await graph.close();
  }
});

test('okta private-key mode with a PEM key and keyId: the assertion names the key (kid), and the token is granted', () => privateKeyRun('hubwarden-2026', (okta, report) => {
  assert.equal(report.written, 1);
  assert.deepEqual(okta.refused.filter((r) => r.includes('/oauth2/v1/token')), []);
}));

test('keyId without privateKey is refused naming the path', () => {
  assert.throws(() => parseConfig(JSON.stringify({
    identityProviders: { okta: { kind: 'okta', orgUrl: 'https://acme.okta.com', token: 'env:OKTA_TOKEN', keyId: 'hubwarden-2026' } },
    hubs: [],
  }), '/tmp/hubwarden-writeback-test.yaml', { OKTA_TOKEN: 'x' }), /identityProviders\.okta\.keyId: names a key of privateKey/);
});

test('okta private-key mode: a JWK whose own kid differs from keyId is refused naming both ids, before any token request', async () => {
  const HUB = 'meta-main';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const okta = await startStrictOkta({ serviceApp: { clientId: '0oastrictservice0001', publicKey, scopes: ['okta.users.manage', 'okta.schemas.manage'], keyId: 'hubwarden-2026' }, users: [] });
  try {
    const jwk = JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: 'hubwarden-2025' });
    const config = parseConfig(JSON.stringify({
      identityProviders: { okta: { kind: 'okta', orgUrl: okta.url, clientId: '0oastrictservice0001', privateKey: 'env:OKTA_KEY', keyId: 'hubwarden-2026' } },
      hubs: [{ id: HUB, connector: 'meta-business', identityProvider: 'okta', meta: { businessId: '1001' } }],
    }), '/tmp/hubwarden-writeback-test.yaml', { OKTA_KEY: jwk });
    const store = await seededStore(HUB, [], []);
    const error = await createWriteback({ config, store, log: capturingLog(), clock: movableClock() }).run(HUB).then(() => undefined, (e: Error) => e);
    assert.match(String(error?.message), /identityProviders\.okta\.keyId "hubwarden-2026" differs from the kid "hubwarden-2025" of the JWK in privateKey/);
    const d = (JSON.parse(jwk) as { d: string }).d;
    assert.ok(!String(error?.message).includes(d), 'the key is not in the message');
    assert.deepEqual(okta.calls.filter((c) => c.path === '/oauth2/v1/token'), []);
  } finally {
    await okta.close();
  }
});
