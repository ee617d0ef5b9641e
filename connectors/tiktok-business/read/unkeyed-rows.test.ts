import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTikTokBusiness } from '../connector.ts';
import { silentLog } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';

/**
 * A member row is keyed by `user_id` (the key TikTok's update, delete and asset calls take,
 * github.com/bububa/tiktok-business `model/bc/member_get.go`), an invitation by its `user_email`. A BOUND row without a `user_id`, or an invitation
 * row without an address, cannot be told apart from the others: it was left out of its page
 * silently, so the listing looked complete with a member missing (a person the plan then took
 * for one with no seat). The page now says it is incomplete, naming the row ([INF] #53).
 */
function connectorAnswering(rowsOf: (status: string) => unknown[]) {
  return createTikTokBusiness({
    businessCenterId: S.bcId, accessToken: S.token, apiBaseUrl: 'http://127.0.0.1:9', pace: { qps: 1000, qpm: 60_000 },
  }, {
    log: silentLog,
    fetch: async (input) => {
      const url = new URL(String(input instanceof Request ? input.url : input));
      const status = JSON.parse(url.searchParams.get('filtering') ?? '{}').relation_status as string;
      const list = rowsOf(status);
      const data = { list, page_info: { page: 1, page_size: 20, total_number: list.length, total_page: list.length ? 1 : 0 } };
      return new Response(JSON.stringify({ code: 0, message: 'OK', request_id: 'r', data }), { status: 200, headers: { 'content-type': 'application/json' } });
    },
  });
}

describe('tiktok-business: member and invitation rows without their key', () => {
  test('a BOUND row without user_id makes the member page incomplete, naming it', async () => {
    const c = connectorAnswering(() => [
      { user_id: S.admins[0], user_name: 'Ada', user_email: 'ada@example.com', user_role: 'ADMIN', relation_status: 'BOUND' },
      { user_name: 'Nobody', user_email: 'keyless@example.com', user_role: 'STANDARD', relation_status: 'BOUND' },
    ]);
    const page = await c.listMembers!();
    assert.deepEqual(page.items.map((m) => m.id), [S.admins[0]]);
    assert.match(page.incomplete?.reason ?? '', /keyless@example\.com/);
  });

  test('an invitation row without user_email makes the invitation page incomplete', async () => {
    const c = connectorAnswering((status) => (status === 'PENDING' ? [
      { user_email: 'new@example.com', user_role: 'STANDARD', relation_status: 'PENDING' },
      { user_role: 'STANDARD', relation_status: 'PENDING' },
    ] : []));
    const page = await c.listInvites!();
    assert.deepEqual(page.items.map((i) => i.id), ['new@example.com']);
    assert.match(page.incomplete?.reason ?? '', /no user_email/);
  });
});
