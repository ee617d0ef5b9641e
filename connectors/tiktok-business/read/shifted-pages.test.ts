import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../../sdk/connector-error.ts';
import { HttpClient } from '../../sdk/http.ts';
import { RateLimitBook } from '../../sdk/rate-limit-book.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';
import type { EmulatorState } from '../emulator/index.ts';
import { Pacer, ThrottleBackoff } from '../pacing.ts';
import { startTikTokTestBed, type TikTokTestBed } from '../test-setup.ts';
import { TikTokClient } from '../tiktok-client.ts';
import { createTikTokBusiness } from '../connector.ts';
import { silentLog } from '../test-setup.ts';

/**
 * TikTok pages by number, and offset paging shifts when rows change between two page reads
 * (TikTok API for Business v1.3 `page`/`page_size`; github.com/tiktok/tiktok-business-api-sdk
 * `yml_files/bc_member_get.yml`). An invitation accepted in place joins the BOUND listing at its
 * own (older) position, before the offset already read: the rows after it move one page down.
 * With a member removed further on in the same window, `total_number` does not move, so the
 * total check alone let page 2 repeat page 1's last row and the accepted person, who was on
 * neither page, go unseen: a listing taken for whole with a BOUND member missing.
 */
const LATE = 'late.joiner@example.com';

function worldWithInviteEarly(bed: TikTokTestBed): { removedId: string } {
  const state: EmulatorState = bed.emulator.control.state();
  const others = state.members.filter((m) => m.bc_id !== S.bcId);
  const ours = state.members.filter((m) => m.bc_id === S.bcId && m.relation_status === 'BOUND');
  // The invitation sits first in the BC's row order (oldest), then enough members for 2 pages.
  const invite = { bc_id: S.bcId, user_email: LATE, user_role: 'STANDARD' as const, relation_status: 'PENDING' as const, invited_at: new Date(Date.now() - 86_400_000).toISOString(), expires_at: new Date(Date.now() + 20 * 86_400_000).toISOString() };
  const extra = Array.from({ length: 30 }, (_, i) => ({ bc_id: S.bcId, user_id: `72000000000000030${String(i).padStart(2, '0')}`, user_name: `P${i}`, user_email: `p${i}@example.com`, user_role: 'STANDARD' as const, relation_status: 'BOUND' as const }));
  state.members = [invite as never, ...ours, ...extra, ...others];
  bed.emulator.control.seed(state);
  return { removedId: extra[extra.length - 1].user_id };
}

/** A fetch that, right after the first page 1 of the BOUND listing is answered, accepts the invitation and removes the last member. */
function shiftingFetch(bed: TikTokTestBed, removedId: string): typeof fetch {
  let shifted = false;
  return async (input, init) => {
    const res = await fetch(input, init);
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (!shifted && url.pathname.endsWith('/bc/member/get/') && url.searchParams.get('page') === '1' && /BOUND/.test(url.searchParams.get('filtering') ?? '')) {
      shifted = true;
      await res.clone().text();
      bed.emulator.control.acceptInvite(S.bcId, LATE, { name: 'Late Joiner' });
      const state = bed.emulator.control.state();
      state.members = state.members.filter((m) => m.user_id !== removedId);
      bed.emulator.control.seed(state);
    }
    return res;
  };
}

describe('tiktok-business: a listing whose rows shifted between page reads', () => {
  test('a whole-list read (client.all) reads again when a row comes back on a later page, and so finds the accepted member', async () => {
    const bed = await startTikTokTestBed();
    try {
      const { removedId } = worldWithInviteEarly(bed);
      const client = new TikTokClient({
        http: new HttpClient({ baseUrl: bed.url, timeoutMs: 5000, secrets: () => [S.token], fetch: shiftingFetch(bed, removedId) }), version: 'v1.3', token: S.token, bcId: S.bcId,
        book: new RateLimitBook(), pacer: new Pacer({ qps: 1000, qpm: 60_000 }), backoff: new ThrottleBackoff(),
        sleep: async () => undefined, random: () => 0.5,
      });
      const rows = await client.all<{ user_id?: string; user_email?: string }>('bc/member/get', { bc_id: S.bcId, filtering: { relation_status: 'BOUND' } }, 20, 'read members', (r) => String(r.user_id));
      const emails = rows.map((r) => r.user_email);
      assert.ok(emails.includes(LATE), 'the member who accepted while the list was read is listed');
      assert.ok(!rows.some((r) => r.user_id === removedId), 'the removed member is not');
    } finally {
      await bed.close();
    }
  });

  test('the member listing the agent pages through fails listing-changed instead of repeating a row and missing another', async () => {
    const bed = await startTikTokTestBed();
    try {
      const { removedId } = worldWithInviteEarly(bed);
      const c = createTikTokBusiness({ businessCenterId: S.bcId, accessToken: S.token, apiBaseUrl: bed.url, pace: { qps: 1000, qpm: 60_000 } }, { log: silentLog, fetch: shiftingFetch(bed, removedId) });
      const first = await c.listMembers!();
      assert.ok(first.next);
      // Page 2 (read ahead once page 1 was answered, after the change) starts with page 1's last row.
      const err = await c.listMembers!(first.next).then(() => undefined, (e: ConnectorError) => e);
      assert.ok(err, 'page 2 is not taken as the rest of the listing');
      assert.deepEqual([err.kind, err.providerCode], ['unavailable', 'listing-changed']);
    } finally {
      await bed.close();
    }
  });

  test('a read from the start does not take pages read ahead for an earlier read', async () => {
    const bed = await startTikTokTestBed();
    try {
      const { removedId } = worldWithInviteEarly(bed);
      const c = createTikTokBusiness({ businessCenterId: S.bcId, accessToken: S.token, apiBaseUrl: bed.url, pace: { qps: 1000, qpm: 60_000 } }, { log: silentLog });
      // An earlier read takes page 1 and gives up (the check failed elsewhere); page 2 was read ahead.
      await c.listMembers!();
      await waitFor(() => bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/get' && x.query.page === '2').length === 1);
      // Meanwhile the invitation is accepted (in place, early) and the last member removed: same total.
      bed.emulator.control.acceptInvite(S.bcId, LATE, { name: 'Late Joiner' });
      const state = bed.emulator.control.state();
      state.members = state.members.filter((m) => m.user_id !== removedId);
      bed.emulator.control.seed(state);
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await c.listMembers!(cursor);
        ids.push(...page.items.map((m) => m.id));
        cursor = page.next;
      } while (cursor);
      const want = state.members.filter((m) => m.bc_id === S.bcId && m.relation_status === 'BOUND').map((m) => m.user_id!);
      assert.deepEqual([...ids].sort(), [...want].sort());
    } finally {
      await bed.close();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), 'condition met');
}
