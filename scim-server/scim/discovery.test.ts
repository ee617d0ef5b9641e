import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * The discovery endpoints (RFC 7644 §4): "Query parameters described in Section 3.4.2, such as
 * filtering, sorting, and pagination, SHALL be ignored. If a "filter" is provided, the service
 * provider SHOULD respond with HTTP status code 403 (Forbidden) to ensure that clients cannot
 * incorrectly assume that any matching conditions specified in a filter are true."
 */
describe('SCIM discovery endpoints and query parameters', () => {
  let app: ScimTestApp;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'disc', identityProvider: 'entra' }] });
  });
  after(() => app.close());

  const endpoints = ['/ServiceProviderConfig', '/serviceConfiguration', '/ResourceTypes', '/ResourceTypes/User', '/Schemas', `/Schemas/${USER}`];

  test('a filter, in any case of its name, is a 403 with a SCIM error body, never an answer that looks filtered', async () => {
    for (const path of endpoints) {
      for (const query of [`filter=${encodeURIComponent('id eq "nothing"')}`, `Filter=${encodeURIComponent('name eq "Group"')}`]) {
        const reply = await scimRequest(app, 'disc', 'GET', `${path}?${query}`);
        assert.equal(reply.status, 403, `${path}?${query}: ${reply.text}`);
        assert.deepEqual([reply.body.schemas, reply.body.status], [[ERROR], '403']);
        assert.match(reply.body.detail, /RFC 7644 §4/);
        assert.match(reply.headers.get('content-type') ?? '', /^application\/scim\+json/);
      }
    }
  });

  test('paging and sorting are ignored (the whole list), an empty filter is no filter, and the token still comes first', async () => {
    const whole = await scimRequest(app, 'disc', 'GET', '/Schemas');
    assert.equal(whole.status, 200);
    const paged = await scimRequest(app, 'disc', 'GET', '/Schemas?startIndex=2&count=1&sortBy=name');
    assert.deepEqual([paged.status, paged.body.totalResults, paged.body.Resources.length], [200, whole.body.totalResults, whole.body.totalResults]);
    const types = await scimRequest(app, 'disc', 'GET', '/ResourceTypes?filter=&count=1');
    assert.deepEqual([types.status, types.body.Resources.map((r: { id: string }) => r.id)], [200, ['User', 'Group']]);
    assert.equal((await scimRequest(app, 'disc', 'GET', '/ServiceProviderConfig?filter=%20')).status, 200);
    assert.equal((await scimRequest(app, 'disc', 'GET', '/Schemas?filter=x', undefined, { authorization: 'Bearer wrong' })).status, 401);
  });
});
