/**
 * The dashboard's audit page filters by outcome as by action and email: a labelled select of the
 * outcomes on the page, the list (the admin API through the adapter) and its Export CSV link
 * holding only the outcomes chosen; an outcome that is none is refused, never an export of all.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditOutcome } from '../../agent/api.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardConfig, serveDashboard, signedIn, type SignedIn } from './web-fixtures.ts';

const config = dashboardConfig('audit-outcome', `
  - id: acme-ads
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams:
      - { group: Acme Owners, hubRole: owner, appRole: ADMIN }
`);
const OUTCOMES: AuditOutcome[] = ['ok', 'unknown', 'failed', 'pending', 'unknown', 'skipped'];

describe('the audit page\'s outcome filter', () => {
  let server: TestServer;
  let agent: FakeAgent;
  let boss: SignedIn;
  const sessions = new SessionStore(new MemoryStore());
  const get = (path: string) => fetch(`${server.url}${path}`, { redirect: 'manual', headers: { cookie: boss.cookie } });

  before(async () => {
    agent = new FakeAgent();
    for (let i = 0; i < 24; i++) {
      agent.auditLog.push({ seq: i + 1, at: new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString(), hubId: 'acme-ads', trigger: { type: 'schedule' }, action: 'remove-member', why: `change ${i + 1}`, outcome: OUTCOMES[i % OUTCOMES.length]! });
    }
    server = await serveDashboard({ config, agent, store: new MemoryStore(), sessions });
    boss = await signedIn(sessions, 'boss@acme.example', { admin: true });
  });
  after(() => server.close());

  test('the page has a labelled outcome select with every outcome and "any"', async () => {
    const res = await get('/ui/audit');
    assert.equal(res.status, 200);
    const page = await res.text();
    const form = /<form class="filters" id="audit-filters">([\s\S]*?)<\/form>/.exec(page)?.[1] ?? '';
    const select = /<label>Outcome <select name="outcome">([\s\S]*?)<\/select><\/label>/.exec(form)?.[1];
    assert.ok(select, 'the select is inside its label, in the filter form');
    assert.deepEqual([...select.matchAll(/<option value="([^"]*)">/g)].map((m) => m[1]), ['', 'ok', 'already-done', 'failed', 'skipped', 'pending', 'unknown']);
  });

  test('the list the page reads and its CSV export hold only the outcome chosen', async () => {
    const list = await (await get('/ui/api/v1/audit?outcome=unknown&offset=0&limit=50')).json() as { total: number; items: Array<{ outcome: string }> };
    assert.equal(list.total, 8);
    assert.ok(list.items.every((e) => e.outcome === 'unknown'));
    const csv = await get('/ui/export/audit.csv?outcome=unknown');
    assert.equal(csv.status, 200);
    const rows = (await csv.text()).trim().split('\r\n').slice(1);
    assert.equal(rows.length, 8);
    assert.ok(rows.every((r) => r.includes(',unknown')), rows.join('\n'));
  });

  test('an outcome that is none: 400 from the list and the export, never every entry', async () => {
    const list = await get('/ui/api/v1/audit?outcome=bogus');
    assert.equal(list.status, 400);
    assert.match((await list.json()).detail, /^query\.outcome: expected one or more of ok, already-done, failed, skipped, pending, unknown/);
    const csv = await get('/ui/export/audit.csv?outcome=bogus');
    assert.equal(csv.status, 400);
    assert.match(await csv.text(), /^outcome: expected one or more of .*; got "bogus"$/);
  });
});
