import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_CHECK_RESULT } from './fake-agent.ts';
import { TEST_ENV } from './test-server.ts';
import { assertOneLineError, BIN, cli, cliProcess, adminApiForCli } from './cli-run.ts';

describe('hubwarden CLI against a test server', () => {
  const server = adminApiForCli();
  const { agent, auth } = server;

  test('check follows the task to completion and ends with what changed', async () => {
    // The CLI's run() in this process, as most runs here; a few run as the real command
    // (bin/hubwarden.mjs in a process of its own): exit 2 under 'failures', the emulator's SIGINT,
    // serve. Exit 0 and exit 1 of the real command, and each way a run fails, are the process runs
    // of cli-pipe.test.ts and cli-sweep.test.ts (`members nope` among them).
    const run = await cli(['check', 'acme-ads', ...auth]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^task t-\d+ check-for-updates: completed$/m);
    assert.ok(agent.calls.filter((c) => c.method === 'task').length >= 2, 'polled the task');
    const { counts, changes } = FAKE_CHECK_RESULT;
    assert.match(run.stdout, new RegExp(`^members: ${counts.members} read; ${changes.newMembers} new, ${changes.removedMembers} gone, ${changes.roleChanges} role change\\(s\\)$`, 'm'));
    assert.match(run.stdout, new RegExp(`^invites: ${counts.invites} listed; ${changes.acceptedInvites} accepted, ${changes.expiredInvites} expired, ${changes.declinedInvites} declined$`, 'm'));
    assert.match(run.stdout, new RegExp(`^assets: +${counts.assets} asset\\(s\\), ${counts.assignments} assignment\\(s\\), ${counts.partners} partner\\(s\\)$`, 'm'));
    assert.match(run.stdout, new RegExp(`^drift: +${changes.drift} change\\(s\\) made in the app, not by hubwarden \\(hubwarden audit --hub acme-ads\\)$`, 'm'));
    assert.match(run.stdout, /^took 1\.2 s, 9 call\(s\) to the app$/m);
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
  });

  test('exempt, match, remove and apply call the API with the admin trigger', async () => {
    assert.equal((await cli(['exempt', 'acme-ads', '1001', '--reason', 'board member', '--until', `${new Date().getUTCFullYear() + 1}-12-31`, ...auth])).code, 0);
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
    const approve = await cli(['approve', 'a-1', '--reason', 'threshold checked with the owner', ...auth]);
    assert.equal(approve.code, 0, approve.stderr);
    assert.match(approve.stdout, /approval a-1 on beta-shop: approved\n/);
    // A second approve (a retry) succeeds, saying it was already so.
    const again = await cli(['approve', 'a-1', '--reason', 'threshold checked with the owner', ...auth]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /approval a-1 on beta-shop: approved \(already so: nothing was done again\)/);
    assertOneLineError(await cli(['reject', 'a-1', ...auth]), 1, /approval "a-1" was already approved; it cannot be rejected now \(HTTP 409\)/);
    const offboard = await cli(['offboard', 'jane@example.com', ...auth]);
    assert.equal(offboard.code, 0, offboard.stderr);
    assert.match(offboard.stdout, /offboard jane@example.com: completed/);
    const audit = await cli(['audit', '--action', 'offboard', ...auth]);
    assert.match(audit.stdout, /offboard\s.*admin:admin-token:[0-9a-f]{6}/);
  });

  test('offboard says what it removed; a failed removal exits 1 naming it; nothing to remove is said, not hidden behind "completed"', async () => {
    agent.offboardChildren.set('jane@example.com', [
      { hubId: 'acme-ads', status: 'completed' },
      { hubId: 'beta-shop', status: 'failed', error: 'meta-business: remove business user 2001: permission denied (code 200)' },
    ]);
    try {
      const run = await cli(['offboard', 'jane@example.com', ...auth]);
      assert.match(run.stdout, /^task t-\d+ offboard jane@example\.com: failed$/m);
      assert.match(run.stdout, /^ +completed +remove-member acme-ads: remove jane@example\.com from acme-ads$/m);
      assert.match(run.stdout, /^ +failed +remove-member beta-shop: remove jane@example\.com from beta-shop: meta-business: remove business user 2001: permission denied \(code 200\)$/m);
      assertOneLineError(run, 1, /offboarding of jane@example\.com failed: 1 of 2 removal\(s\) did not happen: remove jane@example\.com from beta-shop: failed \(meta-business: remove business user 2001: permission denied/);
    } finally {
      agent.offboardChildren.delete('jane@example.com');
    }
    // raj holds nothing hubwarden may remove (a typo'd or already-removed person looks the same): said, exit 0.
    const nothing = await cli(['offboard', 'raj@example.com', ...auth]);
    assert.equal(nothing.code, 0, nothing.stderr);
    assert.match(nothing.stdout, /^nothing removed: raj@example\.com holds no seat or pending invite hubwarden may remove on any hub/m);
    assert.match(nothing.stdout, /hubwarden audit --email raj@example\.com --action offboard/);
  });

  test('offers lists a person\'s offers (table and --json); claim claims one and waits; an expired one is one line, exit 1', async () => {
    const offers = await cli(['offers', 'jane@example.com', ...auth]);
    assert.equal(offers.code, 0, offers.stderr);
    assert.match(offers.stdout, /^ID\s+HUB\s+COLLECTION\s+APP ROLE\s+ASSETS\s+STATUS/);
    assert.match(offers.stdout, /offer-1\s+acme-ads\s+brand-hubs\s+EMPLOYEE\s+page:222\s+offered/);
    const json = JSON.parse((await cli(['offers', 'jane@example.com', '--json', ...auth])).stdout);
    assert.deepEqual(json.items.map((o: { id: string }) => o.id), ['offer-1', 'offer-2']);
    const claim = await cli(['claim', 'jane@example.com', 'offer-1', ...auth]);
    assert.equal(claim.code, 0, claim.stderr);
    assert.match(claim.stdout, /offer offer-1 claimed for jane@example.com; task \S+: completed/);
    assert.deepEqual(agent.writes().filter((c) => c.method === 'claimOffer').map((c) => c.args.slice(0, 2)), [['jane@example.com', 'offer-1']]);
    const noWait = JSON.parse((await cli(['claim', 'jane@example.com', 'offer-1', '--no-wait', '--json', ...auth])).stdout);
    assert.match(noWait.taskId, /\S/);
    assertOneLineError(await cli(['claim', 'jane@example.com', 'offer-2', ...auth]), 1, /offer-2 expired.*\(HTTP 409\)/);
  });

  test('failures: one readable line, non-zero exit', async () => {
    assertOneLineError(await cli(['members', 'nope', ...auth]), 1, /hub "nope" does not exist \(HTTP 404\)/);
    assertOneLineError(await cli(['members', 'acme-ads', '--url', server.url, '--token', 'wrong']), 1, /HTTP 401.*--token/);
    assertOneLineError(await cli(['exempt', 'acme-ads', '1001', ...auth]), 2, /required option '--reason <reason>'/);
    assertOneLineError(await cli(['members', 'acme-ads', '--status', 'gone', ...auth]), 2, /--status: expected one of/);
    // tasks --status as members --status: the option named, a usage error, not the server's query.status.
    assertOneLineError(await cli(['tasks', '--status', 'done', ...auth]), 2, /^hubwarden: --status: expected one of queued, running, waiting, completed, failed, cancelled, needs-approval, got "done"$/);
    // Dates as the options are named, not the server's body.until / query.since; a plain date for --since too.
    assertOneLineError(await cli(['exempt', 'acme-ads', '1001', '--reason', 'agency', '--until', '2026-13-01', ...auth]), 2, /^hubwarden: --until: expected a date \(2026-11-01\) or an ISO 8601 date-time/);
    assertOneLineError(await cli(['audit', '--since', 'yesterday', ...auth]), 2, /^hubwarden: --since: expected a date/);
    assertOneLineError(await cli(['audit', '--since', '2026-11-01T09:00:00', ...auth]), 2, /--since: expected .* with its offset/);
    const sinceDate = await cli(['audit', '--since', '2026-11-01', '--json', ...auth]);
    assert.equal(sinceDate.code, 0, sinceDate.stderr);
    // A hub filter naming no hub is the server's 404, not "(none)" with exit 0.
    for (const command of ['tasks', 'reports', 'approvals']) assertOneLineError(await cli([command, '--hub', 'acme-adz', ...auth]), 1, /hub "acme-adz" does not exist \(HTTP 404\)/);
    assertOneLineError(await cli(['apply', 'r-1', '--members', 'ghost', ...auth]), 1, /"ghost" is not an item of report "r-1"/);
    // An empty --members (an unset shell variable) names nobody: refused before any call, never "all".
    const applied = agent.writes().filter((c) => c.method === 'applyReport').length;
    for (const empty of ['', ' ', ',']) assertOneLineError(await cli(['apply', 'r-1', '--members', empty, ...auth]), 2, /--members (is empty|names no member id)/);
    assert.equal(agent.writes().filter((c) => c.method === 'applyReport').length, applied, 'no report applied');
    assertOneLineError(await cli(['tasks', '--url', 'http://127.0.0.1:1', '--token', 'x']), 1, /cannot reach hubwarden at http:\/\/127\.0\.0\.1:1/);
    const withPassword = await cli(['tasks', '--url', 'http://admin:s3cret-pw@127.0.0.1:1', '--token', 'x']);
    assertOneLineError(withPassword, 2, /server URL .* has a user name or password in it/);
    assert.doesNotMatch(withPassword.stderr, /s3cret-pw/);
    assertOneLineError(await cliProcess(['frobnicate']), 2, /unknown command 'frobnicate'/);
  });

  test('a HUBWARDEN_POLL_MS that is not whole milliseconds is refused (one line naming it, exit 2) before anything is started', async () => {
    const checks = () => agent.calls.filter((c) => c.method === 'checkForUpdates').length;
    const before = checks();
    for (const bad of ['fast', '1s', '-5', '0', '99999999999']) {
      assertOneLineError(await cli(['check', 'acme-ads', ...auth], { HUBWARDEN_POLL_MS: bad }), 2, /HUBWARDEN_POLL_MS: expected a whole number of milliseconds from 1 to 2147483647, got "/);
    }
    assertOneLineError(await cli(['tasks', '--watch', ...auth], { HUBWARDEN_POLL_MS: 'fast' }), 2, /HUBWARDEN_POLL_MS/);
    assert.equal(checks(), before, 'no check for updates started');
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
    // serve runs the server as a child with stdio inherited and forwards this process's signals to
    // it: a process-level test, as the real command.
    const run = await cliProcess(['serve', '--config', bad]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /hubs: expected at least one hub/);
  });
});
