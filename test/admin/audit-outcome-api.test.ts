/**
 * GET /audit?outcome=…: the audit log of some outcomes only (an admin looking for every change of
 * unknown outcome, or every failure, without paging through the whole log), as JSON pages
 * followed by `next` and as a CSV export; an outcome that is not one is a 400 problem naming the
 * allowed values, and the agent is not asked.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry, AuditOutcome } from '../../agent/api.ts';
import { listeningAdminApi } from './admin-api-server.ts';
import { TEST_ENV } from './test-server.ts';

const auth = { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` };
const OUTCOMES: AuditOutcome[] = ['ok', 'unknown', 'failed', 'skipped', 'ok', 'already-done', 'pending', 'failed'];

describe('the audit log filtered by outcome', () => {
  const server = listeningAdminApi();
  const { agent } = server;
  const get = (path: string, accept = 'application/json') => fetch(`${server.url}/api/v1${path}`, { headers: { ...auth, accept } });
  const seed = () => {
    agent.auditLog.length = 0;
    for (let i = 0; i < 30; i++) {
      agent.auditLog.push({ seq: i + 1, at: new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString(), hubId: i % 2 ? 'acme-ads' : 'beta-shop', trigger: { type: 'schedule' }, action: 'remove-member', why: `change ${i + 1}`, outcome: OUTCOMES[i % OUTCOMES.length]! });
    }
  };
  const wanted = (e: AuditEntry) => e.outcome === 'unknown' || e.outcome === 'failed';

  test('outcome=unknown,failed: only those, totals of the matches, pages by `next` none skipped or repeated', async () => {
    seed();
    const expected = [...agent.auditLog].filter(wanted).sort((a, b) => b.seq - a.seq).map((e) => e.seq);
    const seen: number[] = [];
    let page = await (await get('/audit?outcome=unknown,failed&limit=3')).json();
    assert.equal(page.total, expected.length);
    for (;;) {
      assert.ok(page.items.every(wanted), 'only the outcomes asked for');
      seen.push(...page.items.map((e: AuditEntry) => e.seq));
      if (page.next === undefined) break;
      page = await (await get(`/audit?outcome=unknown,failed&limit=3&before=${page.next}`)).json();
      assert.equal(page.total, expected.filter((s) => s < seen.at(-1)!).length, 'a cursor page counts the matches older than its cursor');
    }
    assert.deepEqual(seen, expected);
    const unknown = await (await get('/audit?outcome=unknown&hubId=acme-ads')).json();
    assert.ok(unknown.total > 0 && unknown.items.every((e: AuditEntry) => e.outcome === 'unknown' && e.hubId === 'acme-ads'), 'with the other filters');
  });

  test('the CSV export takes the same filter', async () => {
    seed();
    const res = await get('/audit?outcome=unknown', 'text/csv');
    assert.equal(res.status, 200);
    const rows = (await res.text()).trim().split(/\r\n/).slice(1);
    assert.equal(rows.length, agent.auditLog.filter((e) => e.outcome === 'unknown').length);
    assert.ok(rows.every((r) => r.includes(',unknown,') || r.endsWith(',unknown')), rows.join('\n'));
  });

  test('an outcome that is not one, an empty item or the parameter twice: 400 problem naming the allowed values, the agent not asked', async () => {
    const calls = agent.calls.length;
    for (const [query, detail, accept] of [
      ['outcome=bogus', /^query\.outcome: expected one or more of ok, already-done, failed, skipped, pending, unknown, separated by commas; got "bogus"$/, 'application/json'],
      ['outcome=unknown,bogus', /got "bogus"$/, 'text/csv'],
      ['outcome=unknown,', /got an empty item$/, 'application/json'],
      ['outcome=', /got an empty item$/, 'application/json'],
      ['outcome=Unknown', /got "Unknown"$/, 'application/json'],
      ['outcome=unknown&outcome=failed', /^query\.outcome: given 2 times; give it once \(several outcomes as one comma-separated value: outcome=unknown,failed\)$/, 'application/json'],
    ] as const) {
      const res = await get(`/audit?${query}`, accept);
      assert.equal(res.status, 400, query);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const body = await res.json();
      assert.match(body.detail, detail, query);
      assert.equal(body.field, 'query.outcome');
      assert.equal(body.schemas, undefined, 'an admin API problem, not a SCIM error');
    }
    assert.equal(agent.calls.length, calls, 'the agent was not asked');
  });
});
