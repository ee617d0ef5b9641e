import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Client, DefaultRequestExecutor } from '@okta/okta-sdk-nodejs';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { createOktaEmulator } from './okta-emulator.ts';

const TOKEN = 'test-okta-token';

async function started(options: Parameters<typeof createOktaEmulator>[0] = {}) {
  const emulator = createOktaEmulator({ token: TOKEN, ...options });
  const server = await emulator.listen();
  const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: `SSWS ${TOKEN}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
  return { emulator, server, api };
}

const statusProp = { title: 'Status', type: 'string', enum: ['onboarded', 'pending'] };

describe('okta emulator', () => {
  test('rejects a missing or wrong API token with 401 E0000011', async () => {
    const { server } = await started();
    try {
      const res = await fetch(`${server.url}/api/v1/meta/schemas/user/default`, { headers: { authorization: 'SSWS wrong' } });
      assert.equal(res.status, 401);
      const body = await res.json();
      assert.equal(body.errorCode, 'E0000011');
      assert.deepEqual(Object.keys(body).sort(), ['errorCauses', 'errorCode', 'errorId', 'errorLink', 'errorSummary']);
    } finally {
      await server.close();
    }
  });

  test('schema POST merges custom properties, null removes one, bad type or enum is refused whole', async () => {
    const { emulator, server, api } = await started({ schema: { keep: { title: 'Keep', type: 'string' } } });
    try {
      let res = await api('/api/v1/meta/schemas/user/default', { method: 'POST', json: { definitions: { custom: { properties: { s: statusProp } } } } });
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(emulator.state().schema).sort(), ['keep', 's']);
      res = await api('/api/v1/meta/schemas/user/default', { method: 'POST', json: { definitions: { custom: { properties: { keep: null } } } } });
      assert.deepEqual(Object.keys(emulator.state().schema), ['s']);
      res = await api('/api/v1/meta/schemas/user/default', {
        method: 'POST',
        json: { definitions: { custom: { properties: { ok: { title: 'Ok', type: 'string' }, bad: { title: 'Bad', type: 'string', enum: [1] } } } } },
      });
      assert.equal(res.status, 400);
      assert.equal((await res.json()).errorCode, 'E0000001');
      assert.deepEqual(Object.keys(emulator.state().schema), ['s'], 'a refused patch changes nothing');
    } finally {
      await server.close();
    }
  });

  test('schema POST refuses an enum that leaves out a value a user holds, or repeats a value; a wider one is taken', async () => {
    const users = [{ id: '00uana00000000000001', login: 'ana@example.com', profile: { s: 'pending' } }];
    const { emulator, server, api } = await started({ schema: { s: { ...statusProp, type: 'string' } }, users });
    const post = (s: unknown) => api('/api/v1/meta/schemas/user/default', { method: 'POST', json: { definitions: { custom: { properties: { s } } } } });
    try {
      let res = await post({ ...statusProp, enum: ['onboarded', 'removed'] });
      assert.equal(res.status, 400);
      const body = await res.json();
      assert.equal(body.errorCode, 'E0000001');
      assert.match(body.errorCauses[0].errorSummary, /s\.enum: values held by users are not in the enum: \["pending"\]/);
      res = await post({ ...statusProp, enum: ['onboarded', 'pending', 'onboarded'] });
      assert.equal(res.status, 400);
      assert.match((await res.json()).errorCauses[0].errorSummary, /s\.enum: values must be unique/);
      assert.deepEqual(emulator.state().schema.s, statusProp, 'a refused patch changes nothing');
      res = await post({ ...statusProp, enum: ['onboarded', 'pending', 'removed'] });
      assert.equal(res.status, 200);
      assert.deepEqual(emulator.state().schema.s!.enum, ['onboarded', 'pending', 'removed']);
    } finally {
      await server.close();
    }
  });

  test('schema POST refuses a property field outside Okta\'s UserSchema attribute model, and changes nothing', async () => {
    const { emulator, server, api } = await started();
    try {
      // A misspelt bound: stored as sent before, so a property Okta would not create as meant passed.
      let res = await api('/api/v1/meta/schemas/user/default', { method: 'POST', json: { definitions: { custom: { properties: { note: { title: 'Note', type: 'string', maxlength: 20 } } } } } });
      assert.equal(res.status, 400);
      const body = await res.json();
      assert.equal(body.errorCode, 'E0000001');
      assert.match(body.errorCauses[0].errorSummary, /note\.maxlength/);
      assert.deepEqual(emulator.state().schema, {});
      // The model's own fields (description, master, permissions…) are taken.
      res = await api('/api/v1/meta/schemas/user/default', { method: 'POST', json: { definitions: { custom: { properties: { note: { title: 'Note', type: 'string', description: 'd', maxLength: 20, master: { type: 'OKTA' }, permissions: [{ principal: 'SELF', action: 'READ_ONLY' }] } } } } } });
      assert.equal(res.status, 200);
      assert.equal(emulator.state().schema.note!.maxLength, 20);
    } finally {
      await server.close();
    }
  });

  test('declared bounds hold: a value over maxLength is refused; an existing property keeps its type', async () => {
    const { emulator, server, api } = await started({ users: [{ id: '00uA', login: 'ana@example.com' }], schema: { note: { title: 'Note', type: 'string', maxLength: 5 } } });
    try {
      let res = await api('/api/v1/users/00uA', { method: 'POST', json: { profile: { note: 'abcdef' } } });
      assert.equal(res.status, 400);
      assert.match((await res.json()).errorCauses[0].errorSummary, /note: .*maximum length 5/);
      res = await api('/api/v1/users/00uA', { method: 'POST', json: { profile: { note: 'abcde' } } });
      assert.equal(res.status, 200);
      res = await api('/api/v1/meta/schemas/user/default', { method: 'POST', json: { definitions: { custom: { properties: { note: { title: 'Note', type: 'integer' } } } } } });
      assert.equal(res.status, 400);
      assert.equal(emulator.state().schema.note!.type, 'string');
      res = await api('/api/v1/meta/schemas/user/default', { method: 'POST', json: { definitions: { custom: { properties: { note: { title: 'Note', type: 'string', maxLength: 50 } } } } } });
      assert.equal(res.status, 200, 'the same type with other bounds is an update');
      res = await api('/api/v1/meta/schemas/user/default', { method: 'POST', json: { definitions: { custom: { properties: { p: { title: 'P', type: 'string', permissions: [{ principal: 'SELF', action: 'WRITE' }] } } } } } });
      assert.equal(res.status, 400, 'an unknown permission action is refused');
    } finally {
      await server.close();
    }
  });

  test('POST user is partial, PUT replaces the profile, unknown attribute → 400 with errorCauses', async () => {
    const { emulator, server, api } = await started({
      users: [{ id: '00uA', login: 'ana@example.com', firstName: 'Ana' }],
      schema: { s: statusProp as never, note: { title: 'Note', type: 'string' } },
    });
    try {
      let res = await api('/api/v1/users/ana@example.com', { method: 'POST', json: { profile: { s: 'onboarded', note: 'x' } } });
      assert.equal(res.status, 200);
      assert.equal(emulator.state().users[0]!.profile.firstName, 'Ana', 'partial update keeps other properties');
      res = await api('/api/v1/users/00uA', { method: 'POST', json: { profile: { note: null } } });
      assert.equal('note' in emulator.state().users[0]!.profile, false, 'null removes');
      res = await api('/api/v1/users/00uA', { method: 'POST', json: { profile: { nope: 'x' } } });
      assert.equal(res.status, 400);
      const body = await res.json();
      assert.equal(body.errorCode, 'E0000001');
      assert.match(body.errorCauses[0].errorSummary, /nope/);
      res = await api('/api/v1/users/00uA', { method: 'POST', json: { profile: { s: 'bogus' } } });
      assert.equal(res.status, 400);
      res = await api('/api/v1/users/00uA', { method: 'PUT', json: { profile: { login: 'ana@example.com', email: 'ana@example.com', s: 'pending' } } });
      assert.equal(res.status, 400, 'PUT without the required firstName and lastName');
      assert.deepEqual((await res.json()).errorCauses.map((c: { errorSummary: string }) => c.errorSummary), ['firstName: The field cannot be left blank', 'lastName: The field cannot be left blank']);
      res = await api('/api/v1/users/00uA', { method: 'POST', json: { profile: { lastName: null } } });
      assert.equal(res.status, 400, 'a partial update cannot remove a required property');
      res = await api('/api/v1/users/00uA', { method: 'PUT', json: { profile: { login: 'ana@example.com', email: 'ana@example.com', firstName: 'Ana', lastName: 'A' } } });
      assert.equal(res.status, 200);
      assert.equal(emulator.state().users[0]!.profile.s, undefined, 'PUT drops what it does not send (s was onboarded)');
    } finally {
      await server.close();
    }
  });

  test('a write whose body is not JSON (another Content-Type, none, or empty) is refused with 400 E0000003 and changes nothing', async () => {
    const { emulator, server } = await started({ users: [{ id: '00uana00000000000001', login: 'ana@example.com', firstName: 'Ana', lastName: 'A' }] });
    try {
      const post = (path: string, headers: Record<string, string>, body?: string) => fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `SSWS ${TOKEN}`, ...headers }, body });
      const profile = JSON.stringify({ profile: { firstName: 'Changed' } });
      // fetch sends a string body as text/plain: the body was left unread and the POST answered 200.
      for (const res of [
        await post('/api/v1/users/00uana00000000000001', {}, profile),
        await post('/api/v1/users/00uana00000000000001', { 'content-type': 'text/plain' }, profile),
        await post('/api/v1/users/00uana00000000000001', { 'content-type': 'application/json' }, ''),
        await post('/api/v1/meta/schemas/user/default', { 'content-type': 'application/x-www-form-urlencoded' }, 'definitions=x'),
      ]) {
        assert.equal(res.status, 400);
        assert.equal((await res.json()).errorCode, 'E0000003');
      }
      assert.equal(emulator.state().users[0]!.profile.firstName, 'Ana');
      // A route under them the emulator does not serve is still not found, body or none.
      const unserved = await post('/api/v1/users/00uana00000000000001/lifecycle/deactivate', {});
      assert.equal(unserved.status, 404);
      assert.equal((await unserved.json()).errorCode, 'E0000007');
      const ok = await post('/api/v1/users/00uana00000000000001', { 'content-type': 'application/json' }, profile);
      assert.equal(ok.status, 200);
      assert.equal(emulator.state().users[0]!.profile.firstName, 'Changed');
    } finally {
      await server.close();
    }
  });

  test('an access token reaches only what its scopes grant: 403 E0000006 without okta.schemas.manage, the user update still taken', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const clientId = '0oaservice0000000001';
    const { emulator, server } = await started({ serviceApp: { clientId, publicKey, scopes: ['okta.users.manage', 'okta.schemas.manage', 'okta.users.read'] }, users: [{ id: '00uana00000000000001', login: 'ana@example.com' }] });
    try {
      const tokenUrl = `${server.url}/oauth2/v1/token`;
      const tokenFor = async (scope: string) => {
        const assertion = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setIssuer(clientId).setSubject(clientId).setAudience(tokenUrl).setIssuedAt().setExpirationTime('5m').setJti(scope).sign(privateKey);
        const res = await fetch(tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', scope, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }) });
        return `Bearer ${(await res.json()).access_token}`;
      };
      const call = (authorization: string, method: string, path: string, json?: unknown) => fetch(`${server.url}${path}`, { method, headers: { authorization, 'content-type': 'application/json' }, ...(json ? { body: JSON.stringify(json) } : {}) });
      const usersOnly = await tokenFor('okta.users.manage');
      // Any issued token used to work on every endpoint, whatever its scopes.
      const refused = await call(usersOnly, 'POST', '/api/v1/meta/schemas/user/default', { definitions: { custom: { properties: { note: { title: 'Note', type: 'string' } } } } });
      assert.equal(refused.status, 403);
      assert.equal((await refused.json()).errorCode, 'E0000006');
      assert.equal((await call(usersOnly, 'GET', '/api/v1/meta/schemas/user/default')).status, 403);
      assert.deepEqual(emulator.state().schema, {});
      assert.equal((await call(usersOnly, 'POST', '/api/v1/users/00uana00000000000001', { profile: { firstName: 'Ana' } })).status, 200);
      const both = await tokenFor('okta.users.manage okta.schemas.manage');
      assert.equal((await call(both, 'POST', '/api/v1/meta/schemas/user/default', { definitions: { custom: { properties: { note: { title: 'Note', type: 'string' } } } } })).status, 200);
      const schemaRead = await tokenFor('okta.schemas.manage');
      assert.equal((await call(schemaRead, 'GET', '/api/v1/users/00uana00000000000001')).status, 403);
      // [INF] Okta's documentation cited in docs/writeback.md names no `.read` scope: a token with one reads nothing (the strict answer).
      assert.equal((await call(await tokenFor('okta.users.read'), 'GET', '/api/v1/users/00uana00000000000001')).status, 403);
    } finally {
      await server.close();
    }
  });

  test('a user sourced from AD: a property the source masters → 403 E0000023, an Okta-mastered one is written; missing user → 404 E0000007, through the real SDK', async () => {
    // A full user trips E0000023 on a user sourced from AD or HR (https://github.com/okta/okta-sdk-java/issues/968);
    // what a tool writes must be Okta-mastered: attribute-level mastering, or a custom attribute the source does not map.
    const mastered = { ...statusProp, master: { type: 'OKTA' } };
    const { emulator, server } = await started({
      users: [{ id: '00uB', login: 'bo@example.com', firstName: 'Bo', masteredBy: 'AD', sourceMapped: ['mapped', 'overridden'] }],
      schema: { s: statusProp as never, mapped: statusProp as never, overridden: mastered as never },
    });
    const client = new Client({ orgUrl: server.url, token: TOKEN, requestExecutor: new DefaultRequestExecutor({ maxRetries: 0, requestTimeout: 0 }) });
    const refused = (err: any) => err.status === 403 && err.errorCode === 'E0000023';
    try {
      const user = await client.userApi.getUser({ userId: 'bo@example.com' });
      assert.equal(user.id, '00uB');
      // [INF] Only what Okta's cited documentation gives of a user: no invented credentials.provider or timestamps.
      const read = (await (await fetch(`${server.url}/api/v1/users/00uB`, { headers: { authorization: `SSWS ${TOKEN}` } })).json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(read).sort(), ['id', 'profile', 'status']);
      await assert.rejects(client.userApi.updateUser({ userId: '00uB', user: { profile: { firstName: 'Robert' } as never } }), refused, 'a base property');
      await assert.rejects(client.userApi.updateUser({ userId: '00uB', user: { profile: { s: 'pending', mapped: 'pending' } as never } }), refused, 'a custom property the source maps');
      await assert.rejects(client.userApi.replaceUser({ userId: '00uB', user: { profile: { login: 'bo@example.com', email: 'bo@example.com', firstName: 'Bo', lastName: 'B', s: 'pending' } as never } }), refused, 'the full user (PUT)');
      assert.equal('s' in emulator.state().users[0]!.profile, false, 'a refused update changes nothing');
      await client.userApi.updateUser({ userId: '00uB', user: { profile: { s: 'pending', overridden: 'onboarded' } as never } });
      assert.deepEqual([emulator.state().users[0]!.profile.s, emulator.state().users[0]!.profile.overridden], ['pending', 'onboarded'], 'unmapped, or mapped but Okta-mastered: written');
      await assert.rejects(client.userApi.updateUser({ userId: '00uZ', user: { profile: {} as never } }), (err: any) => err.status === 404 && err.errorCode === 'E0000007');
    } finally {
      await server.close();
    }
  });

  test('a DEPROVISIONED user reads fine, but its profile is updated only with "Edit Deactivated User Profile Updates" on', async () => {
    const { emulator, server } = await started({ users: [{ id: '00uD', login: 'di@example.com', status: 'DEPROVISIONED' }, { id: '00uE', login: 'ed@example.com' }], schema: { s: statusProp as never } });
    const client = new Client({ orgUrl: server.url, token: TOKEN, requestExecutor: new DefaultRequestExecutor({ maxRetries: 0, requestTimeout: 0 }) });
    try {
      assert.equal((await client.userApi.getUser({ userId: '00uD' })).status, 'DEPROVISIONED');
      await assert.rejects(client.userApi.updateUser({ userId: '00uD', user: { profile: { s: 'pending' } as never } }), (err: any) => err.status === 404 && err.errorCode === 'E0000007');
      await assert.rejects(client.userApi.replaceUser({ userId: 'di@example.com', user: { profile: { login: 'di@example.com', email: 'di@example.com', firstName: 'Di', lastName: 'D', s: 'pending' } as never } }), (err: any) => err.status === 404);
      assert.equal('s' in emulator.state().users[0]!.profile, false);
      await client.userApi.updateUser({ userId: '00uE', user: { profile: { s: 'pending' } as never } });
      emulator.control.setEditDeactivatedUserProfiles(true);
      await client.userApi.updateUser({ userId: '00uD', user: { profile: { s: 'pending' } as never } });
      assert.equal(emulator.state().users[0]!.profile.s, 'pending');
    } finally {
      await server.close();
    }
    const allowed = await started({ users: [{ id: '00uD', login: 'di@example.com', status: 'DEPROVISIONED' }], schema: { s: statusProp as never }, editDeactivatedUserProfiles: true });
    try {
      const res = await allowed.api('/api/v1/users/00uD', { method: 'POST', json: { profile: { s: 'onboarded' } } });
      assert.equal(res.status, 200);
    } finally {
      await allowed.server.close();
    }
  });

  test('rate limit: headers on every response, 429 E0000047 once the budget is spent', async () => {
    const { emulator, server, api } = await started({ users: [{ id: '00uC', login: 'cy@example.com' }], faults: { rateLimit: { limit: 2, windowSeconds: 60 } } });
    try {
      const first = await api('/api/v1/users/00uC');
      assert.equal(first.headers.get('x-rate-limit-limit'), '2');
      assert.equal(first.headers.get('x-rate-limit-remaining'), '1');
      assert.ok(Number(first.headers.get('x-rate-limit-reset')) > Date.now() / 1000);
      await api('/api/v1/users/00uC');
      const third = await api('/api/v1/users/00uC');
      assert.equal(third.status, 429);
      assert.equal((await third.json()).errorCode, 'E0000047');
      assert.deepEqual(emulator.calls.map((c) => c.status), [200, 200, 429]);
    } finally {
      await server.close();
    }
  });
});
