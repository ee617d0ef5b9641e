import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient } from '../sdk/http.ts';
import { RateLimitBook } from '../sdk/rate-limit-book.ts';
import { GraphClient } from './graph-client.ts';
import { WriteBatcher } from './write-batcher.ts';
import { clientShares } from './read/partners.ts';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import type { MetaContext } from './meta-context.ts';

/**
 * A client's shares read from our own `client_*` edge (read/partners.ts `clientShares`) ask each
 * edge for the field that names the owning business on its node type: `business` on an ad
 * account, Page or catalog, `owner_business` on a pixel. AdsPixel has no `business` field
 * (Meta's API spec, emulator/graph-fields.json): asked for it, Graph answers (#100) Tried
 * accessing nonexisting field (business) on node type (AdsPixel), and the read failed.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };

describe('meta-business: a client\'s shares by owner, per client edge', () => {
  const server = listeningEmulator();

  const partnerContext = (): MetaContext => {
    const fixture = sandboxFixture();
    fixture.shares.push({ assetId: '444', partnerBusinessId: SANDBOX.partner.businessId, permittedTasks: ['ANALYZE'], accessStatus: 'CONFIRMED' });
    server.emulator.control.seed(fixture);
    server.emulator.control.setFaults({});
    server.emulator.control.clearCalls();
    const me = SANDBOX.partner.businessId;
    const http = new HttpClient({ baseUrl: server.url, secrets: () => [SANDBOX.partner.token] });
    const graph = new GraphClient({ http, version: 'v25.0', token: SANDBOX.partner.token, businessId: me, book: new RateLimitBook() });
    return { businessId: me, graph, writes: new WriteBatcher(graph), partnerGraph: () => undefined, book: new RateLimitBook(), log, check: () => undefined };
  };

  test('pixels are read by owner_business, the field their node has', async () => {
    const shares = await clientShares(partnerContext(), 'pixel');
    assert.deepEqual(shares.get(SANDBOX.businessId)?.assets, [{ type: 'pixel', id: '444', permittedTasks: ['ANALYZE'] }]);
    const asked = server.emulator.calls.filter((c) => c.path.endsWith('/client_pixels')).map((c) => c.query.fields);
    assert.deepEqual(asked, ['id,permitted_tasks,owner_business']);
  });

  test('ad accounts are still read by business', async () => {
    const shares = await clientShares(partnerContext(), 'ad_account');
    assert.deepEqual(shares.get(SANDBOX.businessId)?.assets, [{ type: 'ad_account', id: 'act_111', permittedTasks: ['ADVERTISE', 'ANALYZE'] }]);
    const asked = server.emulator.calls.filter((c) => c.path.endsWith('/client_ad_accounts')).map((c) => c.query.fields);
    assert.deepEqual(asked, ['id,permitted_tasks,business']);
  });
});
