import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTikTokBusiness } from '../connector.ts';
import { silentLog, startTikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';

/**
 * A revoke's read-back (`findRow` with `strict`) against a small local server of
 * `GET /bc/member/get/` and `POST /bc/member/delete/` (TikTok API for Business v1.3,
 * https://business-api.tiktok.com/portal/docs/api-reference/v1.3) whose row for the address names
 * no `relation_status`, or an undocumented one, and is listed under none of the documented
 * `relation_status` filters. "Not listed" ends a revoke as done only when every row read names its
 * key and a documented state (connector README [INF] #43, #66): such a row is not "absent".
 */
type Row = Record<string, unknown>;
const EMAIL = 'new@example.com';
const member = (id: string, email: string, role = 'STANDARD', status = 'BOUND') => ({ user_id: id, user_name: email.split('@')[0], user_email: email, user_role: role, relation_status: status });
const admins = [member(S.admins[0], 'ada@example.com', 'ADMIN'), member(S.tokenUserId, 'bot@example.com', 'ADMIN')];

/** Rows of the listing: `unfiltered` without a `relation_status` filter, `byStatus` with one; `remove` answers member/delete. */
async function tinyServer(rows: { unfiltered: Row[]; byStatus: Record<string, Row[]> }, remove: { code: number; message: string }) {
  const posts: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const endpoint = url.pathname.replace(/^\/open_api\/v1\.3\//, '').replace(/\/$/, '');
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const filtering = JSON.parse(url.searchParams.get('filtering') ?? '{}') as { relation_status?: string; user_role?: string };
      let answer: object;
      if (req.method === 'POST') {
        posts.push(endpoint);
        answer = endpoint === 'bc/member/delete' ? { ...remove, data: {} } : { code: 0, message: 'OK', data: {} };
      } else if (endpoint === 'bc/get') {
        answer = { code: 0, message: 'OK', data: { list: [{ bc_info: { bc_id: S.bcId, name: 'Sandbox' }, user_role: 'ADMIN' }], page_info: { page: 1, page_size: 10, total_number: 1, total_page: 1 } } };
      } else if (endpoint === 'bc/member/get') {
        const list = filtering.user_role === 'ADMIN' ? admins : filtering.relation_status ? (rows.byStatus[filtering.relation_status] ?? []) : rows.unfiltered;
        answer = { code: 0, message: 'OK', data: { list, page_info: { page: 1, page_size: Number(url.searchParams.get('page_size') ?? 10), total_number: list.length, total_page: list.length ? 1 : 0 } } };
      } else {
        answer = { code: 0, message: 'OK', data: { list: [], page_info: { page: 1, page_size: 10, total_number: 0, total_page: 0 } } };
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ request_id: 'r', ...answer }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const c = createTikTokBusiness({
    businessCenterId: S.bcId, accessToken: S.token, apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pace: { qps: 1000, qpm: 60_000 }, tokenUserId: S.tokenUserId,
  }, { log: silentLog });
  return { c, posts, close: () => new Promise<void>((done) => server.close(() => done())) };
}

const unavailableNotApplied = (e: unknown) => (e as { kind?: string }).kind === 'unavailable' && (e as { notApplied?: boolean }).notApplied === true;
const BOUND = { BOUND: admins };

describe('tiktok-business: a revoke\'s read-back does not take an address listed in no known state for gone', () => {
  const answers = [{ code: 40007, message: 'not found' }, { code: 40050, message: 'duplicate request' }, { code: 40002, message: 'user_email: cannot be removed' }];

  test('the address listed without relation_status, under none of the filters: unavailable, not applied, nothing resent', async () => {
    const odd = { user_email: EMAIL, user_role: 'STANDARD' };
    for (const remove of answers) {
      const bed = await tinyServer({ unfiltered: [...admins, odd], byStatus: BOUND }, remove);
      try {
        await assert.rejects(bed.c.cancelInvite!(EMAIL), (e: unknown) => unavailableNotApplied(e) && /without relation_status/.test(String((e as Error).message)), `answered ${remove.code}`);
        assert.deepEqual(bed.posts, ['bc/member/delete'], `answered ${remove.code}: nothing resent`);
      } finally {
        await bed.close();
      }
    }
  });

  test('the address listed in an undocumented state beside a former member\'s UNBOUND row is not "gone" either', async () => {
    const former = member('7000000000000000001', EMAIL, 'STANDARD', 'UNBOUND');
    for (const remove of answers) {
      const bed = await tinyServer({ unfiltered: [...admins, former, { user_email: EMAIL, user_role: 'STANDARD', relation_status: 'INVITED' }], byStatus: { ...BOUND, UNBOUND: [former] } }, remove);
      try {
        await assert.rejects(bed.c.cancelInvite!(EMAIL), unavailableNotApplied, `answered ${remove.code}`);
      } finally {
        await bed.close();
      }
    }
  });

  test('a 40001 on the revoke (an address TikTok may not know, [INF] #18) is not taken for gone either', async () => {
    const bed = await tinyServer({ unfiltered: [...admins, { user_email: EMAIL, user_role: 'STANDARD' }], byStatus: BOUND }, { code: 40001, message: 'no permission' });
    try {
      await assert.rejects(bed.c.cancelInvite!(EMAIL), (e: unknown) => (e as { kind?: string }).kind === 'unavailable' && /40001[\s\S]*without relation_status/.test(String((e as Error).message)));
      assert.deepEqual(bed.posts, ['bc/member/delete']);
    } finally {
      await bed.close();
    }
  });

  test('every row in a documented state: a former member\'s row only (UNBOUND, listed without the field) is gone, as before', async () => {
    const former = member('7000000000000000001', EMAIL, 'STANDARD', 'UNBOUND');
    const { relation_status: _, ...unstated } = former;
    for (const remove of answers) {
      for (const unfiltered of [[...admins, former], [...admins, unstated]]) {
        const bed = await tinyServer({ unfiltered, byStatus: { ...BOUND, UNBOUND: [former] } }, remove);
        try {
          assert.equal(await bed.c.cancelInvite!(EMAIL), 'already-done', `answered ${remove.code}`);
        } finally {
          await bed.close();
        }
      }
    }
  });

  test('the emulator without relation_status on rows and with removed members kept UNBOUND: revoke and re-invite of a former member still work', async () => {
    const bed = await startTikTokTestBed({ readings: { omitRelationStatus: true, keepRemovedAsUnbound: true } });
    try {
      const c = bed.connector();
      const eve = S.standard[0];
      const eveEmail = 'eve.moneypenny@sandbox.example';
      assert.equal(await c.removeMember!(eve), 'done');
      // Her UNBOUND row (listed without the field) is no invitation: the revoke is already-done.
      assert.equal(await c.cancelInvite!(eveEmail), 'already-done');
      // Invited again, a PENDING row stands beside it; the revoke finds and revokes that one.
      assert.equal((await c.invite!({ email: eveEmail, role: 'STANDARD' })).result, 'done');
      assert.equal((await c.reinvite!({ inviteId: eveEmail, email: eveEmail, role: 'STANDARD' })).result, 'done');
      assert.equal(await c.cancelInvite!(eveEmail), 'done');
      assert.equal(await c.cancelInvite!(eveEmail), 'already-done');
    } finally {
      await bed.close();
    }
  });
});
