import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { collect } from '../../agent/store/store.ts';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * A method an endpoint does not offer is a 405 with Allow (RFC 9110 §15.5.6), its body the
 * RFC 7644 §3.12 error; a path no endpoint has stays a 404, Bulk, /.search and /Me their 501.
 */
describe('SCIM: methods an endpoint does not offer', () => {
  let app: ScimTestApp;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'alpha' }] });
  });
  after(() => app.close());

  const cases: Array<[string, string, string]> = [
    ['PUT', '/Users', 'GET, HEAD, POST'],
    ['PATCH', '/Users', 'GET, HEAD, POST'],
    ['DELETE', '/Users', 'GET, HEAD, POST'],
    ['DELETE', '/Groups', 'GET, HEAD, POST'],
    ['PUT', '/groups/', 'GET, HEAD, POST'], // paths match in any case, with a trailing slash
    ['POST', '/Users/some-id', 'GET, HEAD, PUT, PATCH, DELETE'],
    ['POST', '/Groups/some-id', 'GET, HEAD, PUT, PATCH, DELETE'],
    ['DELETE', '/Schemas', 'GET, HEAD'],
    ['POST', '/ServiceProviderConfig', 'GET, HEAD'],
    ['PUT', `/Schemas/${USER}`, 'GET, HEAD'],
    ['PATCH', '/ResourceTypes/User', 'GET, HEAD'],
  ];

  test('405 with Allow and a SCIM error body; nothing is written', async () => {
    for (const [method, path, allow] of cases) {
      const reply = await scimRequest(app, 'alpha', method, path, ['PUT', 'POST', 'PATCH'].includes(method) ? { schemas: [USER], userName: 'x@example.com' } : undefined);
      assert.equal(reply.status, 405, `${method} ${path}: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.headers.get('allow'), allow, `${method} ${path}`);
      assert.deepEqual(reply.body.schemas, [ERROR]);
      assert.equal(reply.body.status, '405');
      assert.match(reply.body.detail, new RegExp(`^${method} is not offered`));
      assert.match(reply.headers.get('content-type') ?? '', /^application\/scim\+json/);
    }
    assert.equal((await collect(app.store.list('directoryUsers', 'alpha'))).length, 0);
  });

  test('the methods offered still answer, a path no endpoint has stays 404, Bulk and /.search stay 501', async () => {
    assert.equal((await scimRequest(app, 'alpha', 'GET', '/Users')).status, 200);
    assert.equal((await scimRequest(app, 'alpha', 'HEAD', '/Users')).status, 200);
    assert.equal((await scimRequest(app, 'alpha', 'DELETE', '/Users/no-such-id')).status, 404);
    for (const [method, path] of [['GET', '/Widgets'], ['DELETE', '/Widgets'], ['POST', '/Users/a/b'], ['DELETE', '']]) {
      const reply = await scimRequest(app, 'alpha', method!, path!, method === 'POST' ? { schemas: [USER], userName: 'y@example.com' } : undefined);
      assert.equal(reply.status, 404, `${method} ${path}`);
      assert.deepEqual(reply.body.schemas, [ERROR]);
      assert.equal(reply.headers.get('allow'), null);
    }
    assert.equal((await scimRequest(app, 'alpha', 'POST', '/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] })).status, 501);
    assert.equal((await scimRequest(app, 'alpha', 'POST', '/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'] })).status, 501);
  });

  test('/Me (RFC 7644 §3.11), which a hub\'s credential cannot serve: 501 with a SCIM error body for every method, after the token; nothing written', async () => {
    for (const [method, path] of [['GET', '/Me'], ['GET', '/me'], ['PUT', '/Me'], ['PATCH', '/Me'], ['DELETE', '/Me'], ['POST', '/Me'], ['GET', '/Me/'], ['GET', '/Me/groups']]) {
      const body = ['PUT', 'POST'].includes(method!) ? { schemas: [USER], userName: 'me@example.com' } : method === 'PATCH' ? { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] } : undefined;
      const reply = await scimRequest(app, 'alpha', method!, path!, body);
      assert.equal(reply.status, 501, `${method} ${path}: ${reply.text}`);
      assert.deepEqual([reply.body.schemas, reply.body.status], [[ERROR], '501']);
      assert.match(reply.body.detail, /RFC 7644 §3\.11/);
      assert.match(reply.headers.get('content-type') ?? '', /^application\/scim\+json/);
    }
    // The credential first (one try: wrong ones are budgeted per address, auth-failures.ts).
    assert.equal((await scimRequest(app, 'alpha', 'GET', '/Me', undefined, { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await collect(app.store.list('directoryUsers', 'alpha'))).length, 0);
  });

  test('without the hub\'s token a wrong method is still a 401 first', async () => {
    const reply = await scimRequest(app, 'alpha', 'PUT', '/Users', {}, { authorization: 'Bearer wrong' });
    assert.equal(reply.status, 401);
  });
});
