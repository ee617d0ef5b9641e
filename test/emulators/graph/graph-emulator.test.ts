import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createGraphEmulator } from './graph-emulator.ts';
import { createGraphClient } from '../../../agent/writeback/graph-client.ts';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const SECRET = 'graph-emulator-secret';
const EXT = `extension_${CLIENT.replace(/-/g, '')}`;

async function started(extra: Partial<Parameters<typeof createGraphEmulator>[0]> = {}) {
  const emulator = createGraphEmulator({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, ...extra });
  const server = await emulator.listen();
  const { client, auth } = createGraphClient({ tenantId: TENANT, clientId: CLIENT, clientSecret: () => SECRET, graphBaseUrl: server.url, authorityUrl: server.url, retry: { delaySeconds: 0, maxRetries: 2 } });
  return { emulator, server, client, auth };
}

async function token(url: string, form: Record<string, string>) {
  return fetch(`${url}/${TENANT}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(form) });
}

describe('graph emulator', () => {
  test('a PATCH or POST whose body is not JSON (form-encoded, or empty) is refused with 400 and changes nothing', async () => {
    const { emulator, server } = await started({ users: [{ id: 'u1', userPrincipalName: 'ana@contoso.com' }] });
    try {
      const authorization = `Bearer ${await emulator.issueToken({ roles: ['User.ReadWrite.All', 'Application.ReadWrite.All'] })}`;
      const send = (method: string, path: string, contentType: string, body: string) => fetch(`${server.url}/v1.0${path}`, { method, headers: { authorization, 'content-type': contentType }, body });
      // The token endpoint's form parser read this PATCH as if it were JSON, and the user changed.
      for (const res of [
        await send('PATCH', '/users/u1', 'application/x-www-form-urlencoded', 'displayName=Changed'),
        await send('PATCH', '/users/u1', 'application/json', ''),
        await send('POST', `/applications(appId='${CLIENT}')/extensionProperties`, 'application/x-www-form-urlencoded', 'name=a&dataType=String&targetObjects=User'),
      ]) {
        assert.equal(res.status, 400);
        assert.equal((await res.json()).error.code, 'Request_BadRequest');
      }
      assert.equal(emulator.state().users[0]!.displayName, 'ana@contoso.com');
      assert.equal(emulator.state().applications[0]!.extensionProperties.length, 0);
      assert.equal((await send('PATCH', '/users/u1', 'application/json', JSON.stringify({ displayName: 'Changed' }))).status, 204);
      assert.equal(emulator.state().users[0]!.displayName, 'Changed');
    } finally {
      await server.close();
    }
  });

  test('client-credentials token: checks client, secret, scope and grant; the token verifies against the JWKS', async () => {
    const { emulator, server } = await started();
    try {
      const good = { client_id: CLIENT, client_secret: SECRET, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' };
      assert.equal((await token(server.url, { ...good, client_secret: 'nope' })).status, 401);
      const badScope = await (await token(server.url, { ...good, scope: 'User.Read' })).json();
      assert.equal(badScope.error, 'invalid_scope');
      assert.deepEqual(Object.keys(badScope).sort(), ['error', 'error_description'], 'RFC 6749 §5.2 fields only');
      assert.equal((await (await token(server.url, { ...good, grant_type: 'password' })).json()).error, 'unsupported_grant_type');
      const res = await token(server.url, good);
      assert.equal(res.status, 200);
      const answer = await res.json();
      assert.deepEqual(Object.keys(answer).sort(), ['access_token', 'expires_in', 'token_type']);
      const { access_token } = answer;
      const { payload } = await jwtVerify(access_token, createRemoteJWKSet(new URL(emulator.jwksUrl)), { issuer: emulator.issuer, audience: 'https://graph.microsoft.com' });
      assert.equal(payload.appid, CLIENT);
      assert.equal(payload.tid, TENANT);
      assert.ok(!JSON.stringify(emulator.calls).includes(SECRET), 'recorded calls never keep the client secret');
      const minted = await emulator.issueToken({ aud: 'api://hubwarden', azp: 'relay-app' });
      const verified = await jwtVerify(minted, createRemoteJWKSet(new URL(emulator.jwksUrl)), { issuer: emulator.issuer, audience: 'api://hubwarden' });
      assert.equal(verified.payload.azp, 'relay-app');
    } finally {
      await server.close();
    }
  });

  test('Graph calls without a valid bearer → 401 with the Graph error envelope', async () => {
    const { server } = await started();
    try {
      const res = await fetch(`${server.url}/v1.0/users/x`, { headers: { authorization: 'Bearer forged' } });
      assert.equal(res.status, 401);
      const body = await res.json();
      assert.equal(body.error.code, 'InvalidAuthenticationToken');
      assert.ok(body.error.innerError['request-id']);
    } finally {
      await server.close();
    }
  });

  test('extension properties: created with the prefixed name, listed by appId or object id, duplicate → 400', async () => {
    const { emulator, server, client } = await started({ applications: [{ appId: CLIENT, objectId: 'obj-1' }] });
    try {
      const created = await client.api(`/applications(appId='${CLIENT}')/extensionProperties`).post({ name: 'hw_status', dataType: 'String', targetObjects: ['User'] });
      assert.equal(created.name, `${EXT}_hw_status`);
      const listed = await client.api('/applications/obj-1/extensionProperties').get();
      assert.deepEqual(listed.value.map((e: { name: string }) => e.name), [`${EXT}_hw_status`]);
      // [INF] Only the fields Microsoft's cited documentation gives (the create body and the name back): none made up.
      assert.deepEqual(created, { name: `${EXT}_hw_status`, dataType: 'String', isMultiValued: false, targetObjects: ['User'] });
      assert.deepEqual(Object.keys(listed), ['value']);
      await assert.rejects(
        client.api(`/applications(appId='${CLIENT}')/extensionProperties`).post({ name: 'hw_status', dataType: 'String', targetObjects: ['User'] }),
        (err: any) => err.statusCode === 400 && err.code === 'Request_BadRequest',
      );
      assert.equal(emulator.state().applications[0]!.extensionProperties.length, 1);
    } finally {
      await server.close();
    }
  });

  test('extension properties: a create carrying a property outside the Create extensionProperty request body, or a non-boolean isMultiValued, is refused and creates nothing', async () => {
    const { emulator, server, client } = await started({ applications: [{ appId: CLIENT, objectId: 'obj-1' }] });
    try {
      const refused = (err: any) => err.statusCode === 400 && err.code === 'Request_BadRequest';
      // Misspelt: taken silently before, it made a single-valued extension of a multi-valued one meant.
      await assert.rejects(client.api(`/applications(appId='${CLIENT}')/extensionProperties`).post({ name: 'm', dataType: 'String', isMultivalued: true, targetObjects: ['User'] }), refused);
      await assert.rejects(client.api(`/applications(appId='${CLIENT}')/extensionProperties`).post({ name: 'm', dataType: 'String', isMultiValued: 'true', targetObjects: ['User'] }), refused);
      assert.equal(emulator.state().applications[0]!.extensionProperties.length, 0);
      const made = await client.api(`/applications(appId='${CLIENT}')/extensionProperties`).post({ name: 'm', dataType: 'String', isMultiValued: true, targetObjects: ['User'] });
      assert.equal(made.isMultiValued, true);
    } finally {
      await server.close();
    }
  });

  test('extension property list is paged: @odata.nextLink until the last page; a forged $skiptoken → 400', async () => {
    const { emulator, server, client } = await started({ pageSize: 2 });
    try {
      for (const name of ['a', 'b', 'c']) await client.api(`/applications(appId='${CLIENT}')/extensionProperties`).post({ name, dataType: 'String', targetObjects: ['User'] });
      const first = await client.api(`/applications(appId='${CLIENT}')/extensionProperties`).get();
      assert.deepEqual(first.value.map((e: { name: string }) => e.name), [`${EXT}_a`, `${EXT}_b`]);
      assert.ok(first['@odata.nextLink'].startsWith(`${server.url}/v1.0/applications`));
      const second = await (await fetch(first['@odata.nextLink'], { headers: { authorization: `Bearer ${await emulator.issueToken({ roles: ['Application.Read.All'] })}` } })).json();
      assert.deepEqual(second.value.map((e: { name: string }) => e.name), [`${EXT}_c`]);
      assert.equal(second['@odata.nextLink'], undefined);
      const forged = await fetch(`${server.url}/v1.0/applications(appId='${CLIENT}')/extensionProperties?$skiptoken=nope`, { headers: { authorization: `Bearer ${await emulator.issueToken({ roles: ['Application.Read.All'] })}` } });
      assert.equal(forged.status, 400);
    } finally {
      await server.close();
    }
  });

  test('permissions: each call needs its application permission in the token roles; OwnedBy reaches owned apps only → else 403', async () => {
    const OTHER = 'ffffffff-0000-0000-0000-000000000000';
    const { server, client } = await started({
      roles: ['User.Read.All', 'Application.ReadWrite.OwnedBy'],
      applications: [{ appId: CLIENT }, { appId: OTHER, owners: ['someone-else'] }],
      users: [{ id: 'u-9', userPrincipalName: 'di@contoso.com' }],
    });
    const denied = (err: any) => err.statusCode === 403 && err.code === 'Authorization_RequestDenied';
    try {
      await client.api(`/applications(appId='${CLIENT}')/extensionProperties`).post({ name: 's', dataType: 'String', targetObjects: ['User'] });
      await assert.rejects(client.api(`/applications(appId='${OTHER}')/extensionProperties`).post({ name: 's', dataType: 'String', targetObjects: ['User'] }), denied);
      await assert.rejects(client.api(`/applications(appId='${OTHER}')/extensionProperties`).get(), denied);
      assert.equal((await client.api('/users/u-9').get()).id, 'u-9');
      await assert.rejects(client.api('/users/u-9').patch({ [`${EXT}_s`]: 'pending' }), denied, 'User.Read.All does not write');
    } finally {
      await server.close();
    }
  });

  test('users: $select, PATCH of known extensions only, null removes, missing user → 404', async () => {
    const { emulator, server, client, auth } = await started({ users: [{ id: 'u-1', userPrincipalName: 'Ana@contoso.com' }] });
    try {
      await client.api(`/applications(appId='${CLIENT}')/extensionProperties`).post({ name: 's', dataType: 'String', targetObjects: ['User'] });
      await client.api('/users/ana@contoso.com').patch({ [`${EXT}_s`]: 'onboarded' });
      const read = await client.api('/users/u-1').select(['id', `${EXT}_s`]).get();
      assert.equal(read[`${EXT}_s`], 'onboarded');
      assert.equal(read.displayName, undefined, '$select returns only what was asked');
      await client.api(`/applications(appId='${CLIENT}')/extensionProperties`).post({ name: 'unset', dataType: 'String', targetObjects: ['User'] });
      const sparse = await client.api('/users/u-1').select(['id', 'jobTitle', `${EXT}_unset`]).get();
      assert.equal(sparse.jobTitle, null, 'a declared property without a value reads as null');
      assert.equal(`${EXT}_unset` in sparse, false, 'an extension without a value is left out');
      await assert.rejects(client.api('/users/u-1').select(['id', `${EXT}_nope`]).get(), (err: any) => err.statusCode === 400 && /Could not find a property/.test(err.message));
      await assert.rejects(client.api('/users/u-1').patch({ [`${EXT}_nope`]: 'x', [`${EXT}_s`]: 'pending' }), (err: any) => err.statusCode === 400 && /does not exist/.test(err.message));
      assert.equal(emulator.state().users[0]![`${EXT}_s`], 'onboarded', 'a refused PATCH changes nothing');
      await client.api('/users/u-1').patch({ [`${EXT}_s`]: null });
      assert.equal(`${EXT}_s` in emulator.state().users[0]!, false);
      await assert.rejects(client.api('/users/ghost@contoso.com').get(), (err: any) => err.statusCode === 404 && err.code === 'Request_ResourceNotFound');
      assert.equal(auth.tokenRequests, 1, 'the token is cached across calls');
    } finally {
      await server.close();
    }
  });

  test('String extension values hold at most 256 characters: a longer one refuses the whole PATCH', async () => {
    const { emulator, server, client } = await started({ users: [{ id: 'u-3', userPrincipalName: 'cy@contoso.com' }] });
    try {
      for (const name of ['s', 'r']) await client.api(`/applications(appId='${CLIENT}')/extensionProperties`).post({ name, dataType: 'String', targetObjects: ['User'] });
      await client.api('/users/u-3').patch({ [`${EXT}_r`]: 'y'.repeat(256) });
      assert.equal(emulator.state().users[0]![`${EXT}_r`], 'y'.repeat(256));
      await assert.rejects(client.api('/users/u-3').patch({ [`${EXT}_s`]: 'exempted', [`${EXT}_r`]: 'z'.repeat(257) }), (err: any) => err.statusCode === 400 && /Invalid value specified/.test(err.message));
      assert.equal(emulator.state().users[0]![`${EXT}_s`], undefined, 'the valid value in the refused PATCH is not kept either');
      assert.equal(emulator.state().users[0]![`${EXT}_r`], 'y'.repeat(256));
    } finally {
      await server.close();
    }
  });

  test('a user holds at most 100 extension values, across all apps: the PATCH that would make 101 is refused whole; null frees one', async () => {
    const { emulator, server, client } = await started({ users: [{ id: 'u-4', userPrincipalName: 'ed@contoso.com' }] });
    try {
      const names: string[] = [];
      for (let i = 0; i <= 100; i++) names.push((await client.api(`/applications(appId='${CLIENT}')/extensionProperties`).post({ name: `x${i}`, dataType: 'String', targetObjects: ['User'] })).name);
      await client.api('/users/u-4').patch(Object.fromEntries(names.slice(0, 100).map((n) => [n, 'v'])));
      await assert.rejects(client.api('/users/u-4').patch({ [names[100]!]: 'v' }), (err: any) => err.statusCode === 400);
      assert.equal(names[100]! in emulator.state().users[0]!, false);
      await client.api('/users/u-4').patch({ [names[0]!]: null, [names[100]!]: 'v' });
      assert.equal(emulator.state().users[0]![names[100]!], 'v');
    } finally {
      await server.close();
    }
  });

  test('extension values must fit the data type: Boolean, Integer, DateTime; multi-valued takes an array', async () => {
    const { emulator, server, client } = await started({ users: [{ id: 'u-5', userPrincipalName: 'fa@contoso.com' }] });
    try {
      for (const [name, dataType, isMultiValued] of [['b', 'Boolean', false], ['i', 'Integer', false], ['d', 'DateTime', false], ['m', 'String', true]] as const) {
        await client.api(`/applications(appId='${CLIENT}')/extensionProperties`).post({ name, dataType, isMultiValued, targetObjects: ['User'] });
      }
      const bad = (err: any) => err.statusCode === 400 && /Invalid value specified/.test(err.message);
      await assert.rejects(client.api('/users/u-5').patch({ [`${EXT}_b`]: 'true' }), bad);
      await assert.rejects(client.api('/users/u-5').patch({ [`${EXT}_i`]: 2 ** 31 }), bad);
      await assert.rejects(client.api('/users/u-5').patch({ [`${EXT}_d`]: 'next tuesday' }), bad);
      await assert.rejects(client.api('/users/u-5').patch({ [`${EXT}_m`]: 'one' }), bad);
      await client.api('/users/u-5').patch({ [`${EXT}_b`]: true, [`${EXT}_i`]: 7, [`${EXT}_d`]: '2026-12-04T10:00:00Z', [`${EXT}_m`]: ['one', 'two'] });
      assert.deepEqual(emulator.state().users[0]![`${EXT}_m`], ['one', 'two']);
      // DateTime is "stored in UTC" (extensionProperty resource): an offset is converted, and read back so.
      await client.api('/users/u-5').patch({ [`${EXT}_d`]: '2026-12-04T10:00:00+02:00' });
      assert.equal(emulator.state().users[0]![`${EXT}_d`], '2026-12-04T08:00:00Z');
      assert.equal((await client.api('/users/u-5').select(['id', `${EXT}_d`]).get())[`${EXT}_d`], '2026-12-04T08:00:00Z');
    } finally {
      await server.close();
    }
  });

  test('429 with Retry-After is retried by the SDK RetryHandler', async () => {
    const { emulator, server, client } = await started({ users: [{ id: 'u-2', userPrincipalName: 'bo@contoso.com' }] });
    try {
      emulator.control.throttleNext(1, 0);
      const user = await client.api('/users/u-2').get();
      assert.equal(user.id, 'u-2');
      const statuses = emulator.calls.filter((c) => c.path.startsWith('/v1.0/users')).map((c) => c.status);
      assert.deepEqual(statuses, [429, 200]);
    } finally {
      await server.close();
    }
  });

  test('Lifecycle Workflows resume (v1.0 and beta) → 204, recorded with the caller', async () => {
    const { emulator, server, client } = await started();
    try {
      await client.api('/identityGovernance/lifecycleWorkflows/workflows/w1/tasks/t1/taskProcessingResults/r1/resume').post({ data: { operationStatus: 'Completed' }, source: 'hubwarden', type: 'lifecycleEvent' });
      const bearer = await emulator.issueToken({});
      const res = await fetch(`${server.url}/beta/identityGovernance/lifecycleWorkflows/workflows/w2/tasks/t2/taskProcessingResults/r2/resume`, {
        method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify({ data: { operationStatus: 'failed' }, source: 'hubwarden', type: 'lifecycleEvent' }),
      });
      assert.equal(res.status, 204);
      const bad = await fetch(`${server.url}/v1.0/identityGovernance/lifecycleWorkflows/workflows/w3/tasks/t3/taskProcessingResults/r3/resume`, {
        method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify({ data: {}, source: 'hubwarden', type: 'lifecycleEvent' }),
      });
      assert.equal(bad.status, 400);
      // Another app may resume only with LifecycleWorkflows.ReadWrite.All (not in authorizedApps).
      const stranger = await emulator.issueToken({ appid: 'some-other-app', azp: 'some-other-app' });
      const refused = await fetch(`${server.url}/v1.0/identityGovernance/lifecycleWorkflows/workflows/w4/tasks/t4/taskProcessingResults/r4/resume`, {
        method: 'POST', headers: { authorization: `Bearer ${stranger}`, 'content-type': 'application/json' }, body: JSON.stringify({ data: { operationStatus: 'completed' }, source: 'hubwarden', type: 'lifecycleEvent' }),
      });
      assert.equal(refused.status, 403);
      const admin = await emulator.issueToken({ appid: 'some-other-app', roles: ['LifecycleWorkflows.ReadWrite.All'] });
      const allowed = await fetch(`${server.url}/v1.0/identityGovernance/lifecycleWorkflows/workflows/w5/tasks/t5/taskProcessingResults/r5/resume`, {
        method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ data: { operationStatus: 'completed' }, source: 'hubwarden', type: 'lifecycleEvent' }),
      });
      assert.equal(allowed.status, 204);
      assert.deepEqual(emulator.resumes.map((r) => [r.version, r.workflowId, r.taskId, r.taskProcessingResultId]), [['v1.0', 'w1', 't1', 'r1'], ['beta', 'w2', 't2', 'r2'], ['v1.0', 'w5', 't5', 'r5']]);
      assert.equal(emulator.resumes[0]!.caller.appid, CLIENT);
    } finally {
      await server.close();
    }
  });

  test('a resume body unlike the resume API\'s request (type, source, data.operationStatus) is refused with 400 and resumes nothing', async () => {
    const { emulator, server } = await started();
    try {
      const authorization = `Bearer ${await emulator.issueToken({})}`;
      const resume = (rid: string, body: unknown) => fetch(`${server.url}/v1.0/identityGovernance/lifecycleWorkflows/workflows/w1/tasks/t1/taskProcessingResults/${rid}/resume`, {
        method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      const good = { data: { operationStatus: 'completed' }, source: 'hubwarden', type: 'lifecycleEvent' };
      const refused: [string, unknown][] = [
        ['type missing', { data: good.data, source: good.source }],
        ['type another value', { ...good, type: 'customEvent' }],
        ['type in another case', { ...good, type: 'LifecycleEvent' }],
        ['source missing', { data: good.data, type: good.type }],
        ['source empty', { ...good, source: '' }],
        ['source not a string', { ...good, source: 7 }],
        ['data missing', { source: good.source, type: good.type }],
        ['data not an object', { ...good, data: 'completed' }],
        ['operationStatus missing', { ...good, data: { statusReasons: [] } }],
        ['operationStatus not a string', { ...good, data: { operationStatus: true } }],
        ['operationStatus unknown', { ...good, data: { operationStatus: 'unknownFutureValue' } }],
        ['body an array', [good]],
      ];
      for (const [i, [why, body]] of refused.entries()) {
        const res = await resume(`r${i}`, body);
        assert.equal(res.status, 400, why);
        const answer = await res.json() as { error?: { code?: unknown; message?: unknown; innerError?: { 'request-id'?: unknown } } };
        assert.equal(answer.error?.code, 'Request_BadRequest', why);
        assert.equal(typeof answer.error?.message, 'string', why);
        assert.equal(typeof answer.error?.innerError?.['request-id'], 'string', why);
      }
      assert.equal(emulator.resumes.length, 0, 'nothing was resumed');
      // A refused body resumed nothing, so the same taskProcessingResult still takes hubwarden's body.
      assert.equal((await resume('r0', { ...good, data: { ...good.data, statusReasons: [] } })).status, 204);
      assert.deepEqual(emulator.resumes.map((r) => r.taskProcessingResultId), ['r0']);
    } finally {
      await server.close();
    }
  });
});
