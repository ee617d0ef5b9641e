/**
 * The CLI and API for exports and long lists: --limit past the API's page, --format csv|json,
 * the API's text/csv answers. (--version, --json and check's summary are in cli-json.test.ts.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertOneLineError, cli, adminApiForCli } from './cli-run.ts';
import { TEST_ENV } from './test-server.ts';

describe('hubwarden exports and paging against a test server', () => {
  const server = adminApiForCli();
  const { agent, auth } = server;

  test('audit pages follow the cursor: entries written between two pages repeat none', async () => {
    const before = agent.auditLog.length;
    const probe = (seq: number, why: string) => ({ seq, at: '2026-11-21T00:00:00.000Z', hubId: 'acme-ads', trigger: { type: 'schedule' as const }, action: 'cursor-probe', why, outcome: 'ok' as const });
    for (let i = 0; i < 700; i++) agent.auditLog.push(probe(10_000 + i, `probe ${i}`));
    const original = agent.audit.bind(agent);
    let pages = 0;
    agent.audit = async (q) => {
      const page = await original(q);
      if (++pages === 1) for (let i = 0; i < 3; i++) agent.auditLog.push(probe(20_000 + i, `written meanwhile ${i}`));
      return page;
    };
    try {
      const run = await cli(['audit', '--action', 'cursor-probe', '--limit', '1000', '--json', ...auth]);
      assert.equal(run.code, 0, run.stderr);
      const seqs = JSON.parse(run.stdout).items.map((e: { seq: number }) => e.seq);
      assert.equal(pages, 2);
      assert.equal(new Set(seqs).size, seqs.length, 'no entry twice');
      assert.equal(seqs.length, 700, 'every entry there was when the listing began, once');
    } finally {
      agent.audit = original;
      agent.auditLog.splice(before);
    }
  });

  test('--limit above the API page size fetches the pages (audit, tasks, members)', async () => {
    const before = agent.auditLog.length;
    for (let i = 0; i < 1_150; i++) agent.auditLog.push({ seq: before + i + 1, at: `2026-11-20T00:00:00.000Z`, hubId: 'acme-ads', trigger: { type: 'schedule' }, action: 'paging-probe', why: `probe ${i}`, outcome: 'ok' });
    try {
      const calls = agent.calls.length;
      const page = JSON.parse((await cli(['audit', '--action', 'paging-probe', '--limit', '1000', '--json', ...auth])).stdout);
      assert.equal(page.items.length, 1000);
      assert.equal(page.total, 1_150);
      assert.deepEqual(page.items.slice(0, 2).map((e: { why: string }) => e.why), ['probe 1149', 'probe 1148'], 'newest first, pages in order, none skipped');
      assert.equal(page.items.at(-1).why, 'probe 150', 'the second page follows the first');
      assert.equal(new Set(page.items.map((e: { seq: number }) => e.seq)).size, 1000, 'no entry twice');
      const limits = agent.calls.slice(calls).filter((c) => c.method === 'audit').map((c) => (c.args[0] as { limit: number }).limit);
      assert.deepEqual(limits, [500, 500], 'two pages of 500, no request above the API maximum');
      const all = await cli(['audit', '--action', 'paging-probe', '--limit', '5000', ...auth]);
      assert.equal(all.code, 0, all.stderr);
      assert.equal(all.stdout.trim().split('\n').length, 1 + 1_150, 'header + every entry: paging stops at the total');
      assertOneLineError(await cli(['audit', '--limit', '0', ...auth]), 2, /--limit: expected a whole number from 1 to 100000, got "0"/);
      assertOneLineError(await cli(['tasks', '--limit', 'lots', ...auth]), 2, /--limit: expected a whole number/);
    } finally {
      agent.auditLog.splice(before);
    }
  });

  test('members and audit --format csv: RFC 4180 quoting, formula cells defused, partner business named', async () => {
    const acme = agent.membersByHub.get('acme-ads')!;
    acme.push({ hubId: 'acme-ads', id: 'partner:555:88', status: 'guest', name: '=HYPERLINK("http://evil")', assets: [{ type: 'ad_account', id: 'act_1', tasks: ['ANALYZE'] }], grantedBy: [], kind: 'partner-user', partnerBusinessId: '555', partnerBusinessName: 'Northwind Media, Ltd' });
    try {
      const csv = await cli(['members', 'acme-ads', '--format', 'csv', ...auth]);
      assert.equal(csv.code, 0, csv.stderr);
      const lines = csv.stdout.split('\r\n');
      assert.equal(lines[0], 'email,name,status,app role,asset tasks,hub role,granted by,directory user,exemption,partner business,last seen,other seats,member id');
      assert.equal(lines.length, 1 + acme.length + 1, 'header, one line per member, and the final CRLF');
      assert.equal(lines.find((l) => l.endsWith(',partner:555:88')), `,"'=HYPERLINK(""http://evil"")",guest,,ad_account act_1: ANALYZE,,,,,"Northwind Media, Ltd",,,partner:555:88`);
      const table = await cli(['members', 'acme-ads', '--status', 'guest', ...auth]);
      assert.match(table.stdout, /^ID\s+STATUS\s+EMAIL\s+PARTNER BUSINESS/m);
      assert.match(table.stdout, /^partner:555:88\s+guest\s+=HYPERLINK\("http:\/\/evil"\)\s+Northwind Media, Ltd/m, 'a partner guest shows their business, not "-"');
      const two = await cli(['members', 'acme-ads', '--format', 'csv', '--limit', '2', ...auth]);
      assert.equal(two.stdout.split('\r\n').length, 1 + 2 + 1, '--limit with csv');
      const json = JSON.parse((await cli(['members', 'acme-ads', '--format', 'json', ...auth])).stdout);
      assert.equal(json.items.find((m: { id: string }) => m.id === 'partner:555:88').partnerBusinessName, 'Northwind Media, Ltd');
      const audit = await cli(['audit', '--format', 'csv', ...auth]);
      assert.equal(audit.code, 0, audit.stderr);
      assert.match(audit.stdout, /^seq,at,hub,trigger,actor,action,email,subject,why,outcome,task\r\n/);
      assert.equal(audit.stdout.split('\r\n').length, 1 + agent.auditLog.length + 1);
      assertOneLineError(await cli(['members', 'acme-ads', '--format', 'xml', ...auth]), 2, /--format: expected one of table, json, csv, got "xml"/);
      assertOneLineError(await cli(['--json', 'audit', '--format', 'csv', ...auth]), 2, /--json and --format csv contradict/);
    } finally {
      acme.splice(acme.findIndex((m) => m.id === 'partner:555:88'), 1);
    }
  });

  test('the API answers text/csv to Accept: text/csv, JSON otherwise; a CSV export may exceed a page', async () => {
    const headers = { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` };
    const csv = await fetch(`${server.url}/api/v1/hubs/acme-ads/members?status=unmatched`, { headers: { ...headers, accept: 'text/csv' } });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv; charset=utf-8/);
    assert.equal(await csv.text(), 'email,name,status,app role,asset tasks,hub role,granted by,directory user,exemption,partner business,last seen,other seats,member id\r\nold.contractor@gmail.com,old.contractor,unmatched,EMPLOYEE,,,,,,,,,1002\r\n');
    const json = await fetch(`${server.url}/api/v1/hubs/acme-ads/members`, { headers: { ...headers, accept: '*/*' } });
    assert.match(json.headers.get('content-type') ?? '', /application\/json/);
    const big = await fetch(`${server.url}/api/v1/audit?limit=5000`, { headers: { ...headers, accept: 'text/csv' } });
    assert.equal(big.status, 200, 'limit above 500 is fine for an export');
    const tooBig = await fetch(`${server.url}/api/v1/audit?limit=5000`, { headers });
    assert.equal(tooBig.status, 400);
    assert.equal((await tooBig.json()).detail, 'query.limit: expected at most 500');
    const missing = await fetch(`${server.url}/api/v1/hubs/nope/members`, { headers: { ...headers, accept: 'text/csv' } });
    assert.equal(missing.status, 404, 'an unknown hub is a problem, not an empty CSV');
  });
});
