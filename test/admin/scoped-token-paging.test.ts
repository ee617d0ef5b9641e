/**
 * An admin token scoped to hub B paging and exporting (`server.adminTokens: [{ token, hubs: [B] }]`):
 * the audit log's cursor leaves its place behind for the next page (agent/audit/audit-query.ts
 * `Resume`), kept per filter; a page of the scoped token that follows the cursor an every-hub
 * token's page left must neither continue that reader nor take its count (hub A's entries). The
 * CSV exports (`Accept: text/csv`) hold hub B's rows only, and hub A's members export is a 404 as
 * for a hub that does not exist.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendAudit } from '../../agent/audit/audit-log.ts';
import { A, B, EVERY, ONLY_B, scopedServer, type ScopedServer } from './scoped-token-fixture.ts';

describe('an admin token scoped to one hub: cursors and exports', () => {
  let s: ScopedServer;
  before(async () => {
    s = await scopedServer();
    // Entries of both hubs, interleaved, so each hub's list spans several pages of the other's.
    for (let i = 0; i < 6; i++) {
      await s.store.transact((tx) => {
        for (const hubId of [A, B]) appendAudit(tx, { hubId, trigger: { type: 'admin', actor: 'paging-test' }, action: 'paging-test', outcome: 'ok', why: `entry ${i} of ${hubId}` });
      });
    }
  });
  after(async () => { await s.close(); });

  const get = (token: string, path: string, accept = 'application/json') => fetch(`${s.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}`, accept } });
  const json = async (token: string, path: string) => (await (await get(token, path)).json()) as { total: number; items: Array<{ seq: number; hubId?: string }>; next?: number };

  test("a cursor an every-hub token's page left is no way into hub A's entries or their count", async () => {
    const scoped = await json(ONLY_B, '/audit?limit=500');
    const every = await json(EVERY, '/audit?limit=1');
    assert.ok(every.next !== undefined && every.total > scoped.total, 'hub A has entries of its own');
    // The same filter but the scope, asked at once with the every-hub page's cursor.
    // A short page (its total is then the place's count, not a count of its own to the end).
    const page = await json(ONLY_B, `/audit?limit=2&before=${every.next}`);
    const expected = scoped.items.filter((e) => e.seq < every.next!);
    assert.ok(expected.length > 2, 'hub B has older entries than a page holds');
    assert.ok(page.items.every((e) => e.hubId === B), 'hub B\'s entries only');
    assert.deepEqual(page.items.map((e) => e.seq), expected.slice(0, 2).map((e) => e.seq));
    assert.equal(page.total, expected.length, 'the total counts hub B\'s entries, not the every-hub page\'s remainder');
    // And the other way round: the every-hub token after a scoped page's cursor gets every hub's.
    const first = await json(ONLY_B, '/audit?limit=1');
    assert.ok(first.next !== undefined, `hub B has more than one entry (${JSON.stringify(first)})`);
    const rest = await json(EVERY, `/audit?limit=500&before=${first.next}`);
    assert.ok(rest.items.some((e) => e.hubId === A), JSON.stringify(rest));
  });

  test("the CSV exports hold hub B's rows only; hub A's members export is a 404 as an unknown hub's", async () => {
    const audit = await (await get(ONLY_B, '/audit', 'text/csv')).text();
    assert.ok(audit.split('\r\n').length > 2, 'rows exported');
    assert.ok(!audit.includes(A), 'no row names hub A');
    const members = await get(ONLY_B, `/hubs/${A}/members`, 'text/csv');
    const unknown = await get(ONLY_B, '/hubs/nope/members', 'text/csv');
    assert.equal(members.status, 404);
    assert.equal((await members.text()).replaceAll(A, 'nope').replace(/"instance":"[^"]*"/, ''), (await unknown.text()).replace(/"instance":"[^"]*"/, ''));
    assert.equal((await get(ONLY_B, `/hubs/${B}/members`, 'text/csv')).status, 200);
  });
});
