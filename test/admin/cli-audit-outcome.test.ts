/**
 * `hubwarden audit --outcome unknown,failed`: the entries of those outcomes only (the changes an
 * admin must check in the app, the failures); a value that is no outcome is one line on stderr
 * and exit 2, and the server is not asked.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry, AuditOutcome } from '../../agent/api.ts';
import { assertOneLineError, cli, adminApiForCli } from './cli-run.ts';

const OUTCOMES: AuditOutcome[] = ['ok', 'unknown', 'failed', 'skipped', 'already-done', 'pending', 'ok'];

describe('hubwarden audit --outcome', () => {
  const { agent, auth } = adminApiForCli();
  const seed = () => {
    agent.auditLog.length = 0;
    for (let i = 0; i < 140; i++) {
      agent.auditLog.push({ seq: i + 1, at: new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString(), hubId: 'acme-ads', trigger: { type: 'schedule' }, action: 'remove-member', why: `change ${i + 1}`, outcome: OUTCOMES[i % OUTCOMES.length]! });
    }
  };

  test('--outcome unknown,failed lists only those, every one (pages followed), as JSON, table and CSV', async () => {
    seed();
    const expected = agent.auditLog.filter((e) => e.outcome === 'unknown' || e.outcome === 'failed').map((e) => e.seq).sort((a, b) => b - a);
    const json = await cli(['audit', '--outcome', 'unknown,failed', '--limit', '1000', '--json', ...auth]);
    assert.equal(json.code, 0, json.stderr);
    const page = JSON.parse(json.stdout) as { items: AuditEntry[]; total: number };
    assert.deepEqual(page.items.map((e) => e.seq), expected);
    assert.equal(page.total, expected.length);
    const asked = agent.calls.filter((c) => c.method === 'audit').at(-1)!.args[0] as { outcome?: string[] };
    assert.deepEqual(asked.outcome, ['unknown', 'failed']);

    const table = await cli(['audit', '--outcome', 'unknown', '--limit', '1000', ...auth]);
    assert.equal(table.code, 0, table.stderr);
    const rows = table.stdout.trim().split('\n').slice(1).filter((l) => l.includes('remove-member'));
    assert.equal(rows.length, expected.length / 2);
    assert.ok(rows.every((r) => /\bunknown\b/.test(r) && !/\bfailed\b/.test(r)), table.stdout);

    const csv = await cli(['audit', '--outcome', 'failed', '--format', 'csv', ...auth]);
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(csv.stdout.trim().split(/\r?\n/).length - 1, expected.length / 2);
  });

  test('--outcome bogus (or an empty item): exit 2, one line naming the allowed values, the server not asked', async () => {
    const calls = agent.calls.length;
    for (const value of ['bogus', 'unknown,', 'unknown,Failed']) {
      const run = await cli(['audit', '--outcome', value, ...auth]);
      assertOneLineError(run, 2, /--outcome: expected one or more of ok, already-done, failed, skipped, pending, unknown, separated by commas; got /);
      assert.equal(run.stdout, '');
    }
    assert.equal(agent.calls.length, calls, 'the server was not asked');
  });

  test('the help lists the option and its values', async () => {
    const help = await cli(['audit', '--help']);
    assert.match(help.stdout.replace(/\s+/g, ' '), /--outcome <outcomes> only entries of these outcomes, comma-separated: ok, already-done, failed, skipped, pending, unknown/);
  });
});
