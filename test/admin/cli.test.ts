import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { FAKE_CHECK_RESULT, FakeAgent } from './fake-agent.ts';
import { ADMIN_TOKEN, HUB, startDashboardWorld, type DashboardWorld } from '../browser/dashboard-world.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from './test-server.ts';

const BIN = new URL('../../bin/hubwarden.mjs', import.meta.url).pathname;

interface Run { code: number; stdout: string; stderr: string }

/** Runs the real CLI (bin/hubwarden.mjs) as a child process; the test server answers meanwhile. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, HUBWARDEN_LOG_LEVEL: 'silent', HUBWARDEN_POLL_MS: '10', ...env },
      timeout: 60_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

function assertOneLineError(run: Run, code: number, pattern: RegExp) {
  assert.equal(run.code, code, `exit code (stderr: ${run.stderr})`);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${run.stderr}`);
  assert.match(lines[0], /^hubwarden: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /\s+at \S+ \(/, 'no stack trace');
}

describe('hubwarden CLI against a test server', () => {
  let server: TestServer;
  let agent: FakeAgent;
  let auth: string[];
  before(async () => {
    agent = new FakeAgent();
    server = await serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent })]]);
    auth = ['--url', server.url, '--token', TEST_ENV.ADMIN_TOKEN];
  });
  after(() => server.close());

  test('check follows the task to completion and ends with what changed', async () => {
    const run = await cli(['check', 'acme-ads', ...auth]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^task t-\d+ check-for-updates: completed$/m);
    assert.ok(agent.calls.filter((c) => c.method === 'task').length >= 2, 'polled the task');
    const { counts, changes } = FAKE_CHECK_RESULT;
    assert.match(run.stdout, new RegExp(`^members: ${counts.members} read; ${changes.newMembers} new, ${changes.removedMembers} gone, ${changes.roleChanges} role change\\(s\\)$`, 'm'));
    assert.match(run.stdout, new RegExp(`^invites: ${counts.invites} listed; ${changes.acceptedInvites} accepted, ${changes.expiredInvites} expired, ${changes.declinedInvites} declined$`, 'm'));
    assert.match(run.stdout, new RegExp(`^assets: +${counts.assets} asset\\(s\\), ${counts.assignments} assignment\\(s\\), ${counts.partners} partner\\(s\\)$`, 'm'));
    assert.match(run.stdout, new RegExp(`^drift: +${changes.drift} change\\(s\\) made in the app, not by hubwarden \\(hubwarden audit --hub acme-ads\\)$`, 'm'));
    assert.match(run.stdout, /^took 1\.2 s, 9 Graph call\(s\)$/m);
    const json = JSON.parse((await cli(['check', 'acme-ads', '--json', ...auth])).stdout);
    assert.deepEqual(json.result, FAKE_CHECK_RESULT, '--json prints the task with its result');
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const run = await cli(['--version']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), version);
  });

  test('--limit above the API page size fetches the pages (audit, tasks, members)', async () => {
    const before = agent.auditLog.length;
    for (let i = 0; i < 1_150; i++) agent.auditLog.push({ seq: before + i + 1, at: `2026-11-20T00:00:00.000Z`, hubId: 'acme-ads', trigger: { type: 'schedule' }, action: 'paging-probe', why: `probe ${i}`, outcome: 'ok' });
    try {
      const calls = agent.calls.length;
      const page = JSON.parse((await cli(['audit', '--action', 'paging-probe', '--limit', '1000', '--json', ...auth])).stdout);
      assert.equal(page.items.length, 1000);
      assert.equal(page.total, 1_150);
      assert.deepEqual(page.items.slice(0, 2).map((e: { why: string }) => e.why), ['probe 0', 'probe 1'], 'pages in order, none skipped');
      assert.equal(new Set(page.items.map((e: { seq: number }) => e.seq)).size, 1000, 'no entry twice');
      const limits = agent.calls.slice(calls).filter((c) => c.method === 'audit').map((c) => (c.args[0] as { limit: number }).limit);
      assert.deepEqual(limits, [500, 500], 'two pages of 500, no request above the API maximum');
      const all = await cli(['audit', '--action', 'paging-probe', '--limit', '5000', ...auth]);
      assert.equal(all.code, 0, all.stderr);
      assert.equal(all.stdout.trim().split('\n').length, 1 + 1_150, 'header + every entry: paging stops at the total');
      assertOneLineError(await cli(['audit', '--limit', '0', ...auth]), 2, /--limit: expected a whole number of 1 or more, got "0"/);
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
      assert.equal(lines[0], 'email,name,status,app role,asset tasks,hub role,granted by,directory user,exemption,partner business,last seen,member id');
      assert.equal(lines.length, 1 + acme.length + 1, 'header, one line per member, and the final CRLF');
      assert.equal(lines.find((l) => l.endsWith(',partner:555:88')), `,"'=HYPERLINK(""http://evil"")",guest,,ad_account act_1: ANALYZE,,,,,"Northwind Media, Ltd",,partner:555:88`);
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
    assert.equal(await csv.text(), 'email,name,status,app role,asset tasks,hub role,granted by,directory user,exemption,partner business,last seen,member id\r\nold.contractor@gmail.com,old.contractor,unmatched,EMPLOYEE,,,,,,,,1002\r\n');
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

  test('check exits 1 with the task\'s error when the check fails; tasks --watch ends when nothing is unfinished', async () => {
    agent.checkFailure = { kind: 'rate-limited', message: 'meta-business: list business users of 1234567890: rate-limited (retry in 12 min)' };
    try {
      const run = await cli(['check', 'acme-ads', ...auth]);
      assert.match(run.stdout, /check-for-updates: failed/);
      assertOneLineError(run, 1, /check for updates of acme-ads failed: meta-business: list business users of 1234567890: rate-limited \(retry in 12 min\)/);
    } finally {
      agent.checkFailure = undefined;
    }
    await cli(['check', 'beta-shop', '--no-wait', ...auth]);
    const watch = await cli(['tasks', '--hub', 'beta-shop', '--watch', ...auth]);
    assert.equal(watch.code, 0, watch.stderr);
    assert.match(watch.stdout, /check-for-updates\s+completed/);
  });

  test('members prints a table; --json prints the API page; token from the environment', async () => {
    const table = await cli(['members', 'acme-ads', '--status', 'unmatched', '--url', server.url], { HUBWARDEN_ADMIN_TOKEN: TEST_ENV.ADMIN_TOKEN });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+STATUS\s+EMAIL/m);
    assert.match(table.stdout, /^1002\s+unmatched\s+old\.contractor@gmail\.com/m);
    assert.match(table.stdout, /1 of 1 member\(s\)/);
    const json = await cli(['--json', 'members', 'acme-ads', ...auth]);
    assert.equal(JSON.parse(json.stdout).total, 4);
    assert.equal(JSON.parse((await cli(['members', 'acme-ads', '--json', ...auth])).stdout).total, 4, '--json after the command too');
  });

  test('exempt, match, remove and apply call the API with the admin trigger', async () => {
    assert.equal((await cli(['exempt', 'acme-ads', '1001', '--reason', 'board member', '--until', '2026-12-31', ...auth])).code, 0);
    assert.equal((await cli(['match', 'acme-ads', '1002', 'u-raj', '--hub-role', 'manager', ...auth])).code, 0);
    const remove = await cli(['remove', 'acme-ads', '1003', ...auth]);
    assert.match(remove.stdout, /removal of 1003 from acme-ads queued: task t-\d+/);
    const apply = await cli(['apply', 'r-1', '--members', '1002', ...auth]);
    assert.match(apply.stdout, /report r-1: partially-applied; 1 of 2 item\(s\) applied/);
    const unexempt = await cli(['unexempt', 'acme-ads', '1001', ...auth]);
    assert.equal(unexempt.code, 0, unexempt.stderr);
    assert.match(unexempt.stdout, /1001/);
    const methods = agent.writes().map((c) => c.method);
    for (const m of ['exemptMember', 'unexemptMember', 'matchMember', 'removeMember', 'applyReport']) assert.ok(methods.includes(m), m);
    assert.deepEqual(agent.writes().find((c) => c.method === 'matchMember')!.args[2], { directoryUserId: 'u-raj', hubRole: 'manager' });
  });

  test('approve a halted plan, offboard a person and read the audit log', async () => {
    const approve = await cli(['approve', 'a-1', ...auth]);
    assert.equal(approve.code, 0, approve.stderr);
    assert.match(approve.stdout, /approval a-1 on beta-shop: approved/);
    assertOneLineError(await cli(['reject', 'a-1', ...auth]), 1, /approval "a-1" was already approved \(HTTP 409\)/);
    const offboard = await cli(['offboard', 'jane@example.com', ...auth]);
    assert.equal(offboard.code, 0, offboard.stderr);
    assert.match(offboard.stdout, /offboard jane@example.com: completed/);
    const audit = await cli(['audit', '--action', 'offboard', ...auth]);
    assert.match(audit.stdout, /offboard\s.*admin:admin-token:[0-9a-f]{6}/);
  });

  test('failures: one readable line, non-zero exit', async () => {
    assertOneLineError(await cli(['members', 'nope', ...auth]), 1, /hub "nope" does not exist \(HTTP 404\)/);
    assertOneLineError(await cli(['members', 'acme-ads', '--url', server.url, '--token', 'wrong']), 1, /HTTP 401.*--token/);
    assertOneLineError(await cli(['exempt', 'acme-ads', '1001', ...auth]), 2, /required option '--reason <reason>'/);
    assertOneLineError(await cli(['members', 'acme-ads', '--status', 'gone', ...auth]), 2, /--status: expected one of/);
    assertOneLineError(await cli(['apply', 'r-1', '--members', 'ghost', ...auth]), 1, /"ghost" is not an item of report "r-1"/);
    assertOneLineError(await cli(['tasks', '--url', 'http://127.0.0.1:1', '--token', 'x']), 1, /cannot reach hubwarden at http:\/\/127\.0\.0\.1:1/);
    assertOneLineError(await cli(['frobnicate']), 2, /unknown command 'frobnicate'/);
  });

  test('config validate: OK, or every problem of the file and exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubwarden-cli-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'hubs:\n  - id: acme\n    connector: meta-business\n    meta: { businessId: "123" }\n');
    const ok = await cli(['config', 'validate', '--config', good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^OK .*good\.yaml: 1 hub\(s\)/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'hubs:\n  - id: Acme_1\n    connector: meta-business\n    meta: { businessId: "x" }\n    teams: [{ group: Sales, appRole: BOSS }]\n');
    const run = await cli(['config', 'validate', '--config', bad]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /hubs\[0\]\.id: expected lower-case/);
    assert.match(run.stderr, /hubs\[0\]\.meta\.businessId: expected a numeric Meta business id/);
    assert.match(run.stderr, /hubs\[0\]\.teams\[0\]\.appRole/);
    const okJson = await cli(['config', 'validate', '--config', good, '--json']);
    assert.equal(okJson.code, 0, okJson.stderr);
    assert.deepEqual(JSON.parse(okJson.stdout), { ok: true, path: good, hubs: 1, identityProviders: 0 });
    const badJson = await cli(['--json', 'config', 'validate', '--config', bad]);
    assert.equal(badJson.code, 1);
    const report = JSON.parse(badJson.stdout);
    assert.equal(report.ok, false);
    assert.ok(report.problems.some((p: string) => /^hubs\[0\]\.id: expected lower-case/.test(p)), badJson.stdout);
    assert.equal(badJson.stderr, '', 'with --json the problems are on stdout only');
  });

  test('emulator meta serves the Meta Graph API emulator until interrupted', async () => {
    const child = spawn(process.execPath, [BIN, 'emulator', 'meta', '--port', '0'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, HUBWARDEN_LOG_LEVEL: 'silent' } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk) => {
          out += chunk;
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const res = await fetch(`${url}/v25.0/me`);
      assert.ok(res.status < 500, `the emulator answers (HTTP ${res.status})`);
      assert.ok((await res.json()).error, 'a Graph error envelope for a call without a token');
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('serve with a bad config exits 1 and names the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubwarden-cli-serve-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'hubs: []\n');
    const run = await cli(['serve', '--config', bad]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /hubs: expected at least one hub/);
  });
});

describe('hubwarden check against a running hubwarden (real agent, Meta sandbox)', () => {
  let world: DashboardWorld;
  before(async () => { world = await startDashboardWorld(); });
  after(() => world?.close());

  test('check ends with what the check for updates found, in the real task result\'s numbers', async () => {
    const run = await cli(['check', HUB, '--url', world.url, '--token', ADMIN_TOKEN]);
    assert.equal(run.code, 0, run.stderr);
    const taskId = /^task (\S+) check-for-updates: completed$/m.exec(run.stdout)?.[1];
    assert.ok(taskId, run.stdout);
    const result = world.agent.api.task(taskId)!.result as typeof FAKE_CHECK_RESULT;
    assert.ok(result.counts.members > 0 && result.counts.assets > 0, JSON.stringify(result));
    assert.match(run.stdout, new RegExp(`^members: ${result.counts.members} read; ${result.changes.newMembers} new, ${result.changes.removedMembers} gone`, 'm'));
    assert.match(run.stdout, new RegExp(`^invites: ${result.counts.invites} listed; ${result.changes.acceptedInvites} accepted, ${result.changes.expiredInvites} expired`, 'm'));
    assert.match(run.stdout, new RegExp(`^assets: +${result.counts.assets} asset\\(s\\), ${result.counts.assignments} assignment\\(s\\), ${result.counts.partners} partner\\(s\\)$`, 'm'));
    assert.match(run.stdout, new RegExp(`^drift: +${result.changes.drift} change`, 'm'));
    assert.match(run.stdout, new RegExp(`, ${result.graphCalls} Graph call\\(s\\)$`, 'm'));
    // A partner's person has no email in Meta: the table names their business instead of "-".
    const guests = await cli(['members', HUB, '--status', 'guest', '--url', world.url, '--token', ADMIN_TOKEN]);
    const partner = world.agent.api.members(HUB, { status: 'guest', limit: 10 }).items.find((m) => m.kind === 'partner-user')!;
    assert.ok(partner.partnerBusinessName, 'the sandbox partner has a name');
    assert.match(guests.stdout, new RegExp(`^${partner.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+guest\\s+.*${partner.partnerBusinessName}`, 'm'));
  });
});
