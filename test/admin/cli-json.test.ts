/**
 * The CLI's --version, --json on every command, and `check`'s summary of what changed against a
 * running hubwarden (real agent, Meta sandbox).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ADMIN_TOKEN, HUB, startDashboardWorld, type DashboardWorld } from '../browser/dashboard-world.ts';
import { cli, adminApiForCli } from './cli-run.ts';
import { FAKE_CHECK_RESULT } from './fake-agent.ts';

describe('hubwarden --version and --json against a test server', () => {
  const server = adminApiForCli();
  const { agent, auth } = server;

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const run = await cli(['--version']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), version);
  });

  test('--json on every command: after the command name, on check, and on config validate', async () => {
    assert.equal(JSON.parse((await cli(['members', 'acme-ads', '--json', ...auth])).stdout).total, 4, '--json after the command');
    const json = JSON.parse((await cli(['check', 'acme-ads', '--json', ...auth])).stdout);
    assert.deepEqual(json.result, FAKE_CHECK_RESULT, '--json prints the task with its result');
    const dir = mkdtempSync(join(tmpdir(), 'hubwarden-cli-json-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'hubs:\n  - id: acme\n    connector: meta-business\n    meta: { businessId: "123" }\n');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'hubs:\n  - id: Acme_1\n    connector: meta-business\n    meta: { businessId: "x" }\n');
    const okJson = await cli(['config', 'validate', '--config', good, '--json']);
    assert.equal(okJson.code, 0, okJson.stderr);
    assert.deepEqual(JSON.parse(okJson.stdout), { ok: true, path: good, hubs: 1, identityProviders: 0 });
    // Given as a relative path: the answer names the file absolute, as the OK answer does.
    const badJson = await cli(['--json', 'config', 'validate', '--config', relative(process.cwd(), bad)]);
    assert.equal(badJson.code, 1);
    const report = JSON.parse(badJson.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.path, bad, 'the same absolute path as the OK answer and the text form give');
    assert.ok(report.problems.some((p: string) => /^hubs\[0\]\.id: expected lower-case/.test(p)), badJson.stdout);
    assert.equal(badJson.stderr, '', 'with --json the problems are on stdout only');
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
    const result = (await world.agent.api.task(taskId))!.result as typeof FAKE_CHECK_RESULT;
    assert.ok(result.counts.members > 0 && result.counts.assets > 0, JSON.stringify(result));
    assert.match(run.stdout, new RegExp(`^members: ${result.counts.members} read; ${result.changes.newMembers} new, ${result.changes.removedMembers} gone`, 'm'));
    assert.match(run.stdout, new RegExp(`^invites: ${result.counts.invites} listed; ${result.changes.acceptedInvites} accepted, ${result.changes.expiredInvites} expired`, 'm'));
    assert.match(run.stdout, new RegExp(`^assets: +${result.counts.assets} asset\\(s\\), ${result.counts.assignments} assignment\\(s\\), ${result.counts.partners} partner\\(s\\)$`, 'm'));
    assert.match(run.stdout, new RegExp(`^drift: +${result.changes.drift} change`, 'm'));
    assert.match(run.stdout, new RegExp(`, ${result.graphCalls} call\\(s\\) to the app$`, 'm'));
    // A partner's person has no email in Meta: the table names their business instead of "-".
    const guests = await cli(['members', HUB, '--status', 'guest', '--url', world.url, '--token', ADMIN_TOKEN]);
    const partner = (await world.agent.api.members(HUB, { status: 'guest', limit: 10 })).items.find((m) => m.kind === 'partner-user')!;
    assert.ok(partner.partnerBusinessName, 'the sandbox partner has a name');
    assert.match(guests.stdout, new RegExp(`^${partner.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+guest\\s+.*${partner.partnerBusinessName}`, 'm'));
  });
});
