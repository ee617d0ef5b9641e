import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../../sdk/connector-error.ts';
import { createTikTokBusiness } from '../connector.ts';
import { silentLog } from '../test-setup.ts';

/**
 * The BOUND admins (`/bc/member/get/` filtered by `user_role` ADMIN and `relation_status` BOUND)
 * decide the last-admin rule and whether a promotion is already done. A row that names another
 * role or state than the filter asked for is not of that listing (README [INF] #43, #52): here
 * every row comes back whatever the filter, as a server, cache or proxy that drops the filter would.
 */
const BC = '7000000000000000001';
const ADA = '7200000000000000101';
const EVE = '7200000000000000103';
const ROWS = [
  { user_id: ADA, user_name: 'Ada', user_email: 'ada@example.com', user_role: 'ADMIN', relation_status: 'BOUND' },
  { user_id: EVE, user_name: 'Eve', user_email: 'eve@example.com', user_role: 'STANDARD', relation_status: 'BOUND' },
  { user_email: 'new@example.com', user_role: 'ADMIN', relation_status: 'PENDING' },
];

function connectorIgnoringFilters() {
  const posts: Array<{ endpoint: string; body: unknown }> = [];
  const answer = (data: unknown, code = 0) => new Response(JSON.stringify({ code, message: code ? 'no' : 'OK', request_id: 'r', data }), { status: 200, headers: { 'content-type': 'application/json' } });
  const connector = createTikTokBusiness({
    businessCenterId: BC, accessToken: 'filter-test-token', apiBaseUrl: 'http://127.0.0.1:9', pace: { qps: 1000, qpm: 60_000 },
  }, {
    log: silentLog,
    fetch: async (input, init) => {
      const url = new URL(String(input instanceof Request ? input.url : input));
      const endpoint = url.pathname.replace(/^\/open_api\/v1\.3\//, '').replace(/\/$/, '');
      if (init?.method === 'POST') {
        posts.push({ endpoint, body: JSON.parse(String(init.body)) });
        return answer({});
      }
      if (endpoint === 'bc/member/get') return answer({ list: ROWS, page_info: { page: 1, page_size: 20, total_number: ROWS.length, total_page: 1 } });
      return answer({}, 40008);
    },
  });
  return { connector, posts };
}

describe('tiktok-business: the BOUND admins are the rows that are BOUND admins', () => {
  test('a STANDARD or PENDING row in the admin listing does not make the last admin removable or demotable', async () => {
    const { connector, posts } = connectorIgnoringFilters();
    await assert.rejects(connector.removeMember!(ADA), (e: ConnectorError) => e.kind === 'conflict' && /last admin/.test(e.message));
    await assert.rejects(connector.changeMemberRole!(ADA, 'STANDARD'), (e: ConnectorError) => e.kind === 'conflict' && /last admin/.test(e.message));
    assert.deepEqual(posts, [], 'nothing sent');
  });

  test('a STANDARD member in that listing is promoted, not answered already-done', async () => {
    const { connector, posts } = connectorIgnoringFilters();
    assert.equal(await connector.changeMemberRole!(EVE, 'ADMIN'), 'done');
    assert.deepEqual(posts, [{ endpoint: 'bc/member/update', body: { bc_id: BC, user_id: EVE, user_role: 'ADMIN' } }]);
  });
});
