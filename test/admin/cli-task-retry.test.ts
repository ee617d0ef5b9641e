/**
 * `hubwarden tasks retry <hub> <taskId> --reason …` (agent/cli/work-commands.ts): one line and exit 0
 * when the failed task is queued again (and when a repeat finds it already retried); one line on
 * stderr and a non-zero exit for a refusal (404, 409) or a usage mistake (no --reason: exit 2, no
 * request). `tasks` with its own options still lists tasks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertOneLineError, adminApiForCli, cli } from './cli-run.ts';

describe('hubwarden tasks retry', () => {
  const server = adminApiForCli();
  const { agent, auth } = server;
  let failed = '';
  let done = '';

  test('a failed task: one line naming the task queued, exit 0; a second retry says nothing was done again', async () => {
    failed = (await agent.checkForUpdates('acme-ads', { type: 'schedule' })).id;
    agent.finish(failed, 'failed');
    const run = await cli(['tasks', 'retry', 'acme-ads', failed, '--reason', 'Meta fixed the account', ...auth]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^task ${failed} on acme-ads: retried; queued as task t-\\d+ \\(queued\\)\\n$`));
    const call = agent.calls.find((c) => c.method === 'retryTask')!;
    assert.deepEqual(call.args.slice(0, 2), ['acme-ads', failed]);
    assert.equal((call.args[2] as { reason?: string }).reason, 'Meta fixed the account');
    const again = await cli(['tasks', 'retry', 'acme-ads', failed, '--reason', 'clicked twice', ...auth]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /retried; queued as task t-\d+ \(queued\) \(already so: nothing was done again\)\n$/);
    assert.equal(again.stdout.split('\n').length, 2, 'one line');
  });

  test('refused by the server (another hub\'s task, a task not failed): one line, exit 1', async () => {
    assertOneLineError(await cli(['tasks', 'retry', 'beta-shop', failed, '--reason', 'x', ...auth]), 1, /not found|task/i);
    done = (await agent.checkForUpdates('acme-ads', { type: 'schedule' })).id;
    agent.finish(done, 'completed');
    assertOneLineError(await cli(['tasks', 'retry', 'acme-ads', done, '--reason', 'x', ...auth]), 1, /only a failed task is retried/);
  });

  test('usage mistakes: one line, exit 2, no request', async () => {
    const before = agent.calls.filter((c) => c.method === 'retryTask').length;
    assertOneLineError(await cli(['tasks', 'retry', 'acme-ads', 't-1', ...auth]), 2, /required option '--reason <reason>' not specified/);
    assertOneLineError(await cli(['tasks', 'retry', 'acme-ads', 't-1', '--reason', ' ', ...auth]), 2, /--reason/);
    assertOneLineError(await cli(['tasks', 'retry', 'acme-ads', '--reason', 'x', ...auth]), 2, /missing required argument 'taskId'/);
    assert.equal(agent.calls.filter((c) => c.method === 'retryTask').length, before);
  });

  test('--help describes it; `tasks` with its options still lists tasks', async () => {
    const help = await cli(['tasks', 'retry', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: hubwarden tasks retry \[options\] <hub> <taskId>/);
    assert.match(help.stdout, /--reason <reason>/);
    assert.match((await cli(['help', 'tasks'])).stdout, /retry \[options\] <hub> <taskId>/);
    const list = await cli(['tasks', '--hub', 'acme-ads', '--status', 'failed', ...auth]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(failed));
    assertOneLineError(await cli(['tasks', 'nosuch', ...auth]), 2, /too many arguments|unknown command/);
  });
});
