/**
 * A misspelt option given as `--name=value` is refused without repeating the value: in a CI job
 * (`hubwarden --admin-token=$TOKEN hubs`) the error line would print the admin token into the
 * job's log. The option's name is enough to fix the mistake.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertOneLineError, cli } from './cli-run.ts';

test('an unknown --option=value: one line naming the option, never its value', async () => {
  for (const args of [['--admin-token=s3cret-admin-value', 'hubs'], ['hubs', '--tokn=s3cret-admin-value'], ['members', 'acme', '-t=s3cret-admin-value']]) {
    const run = await cli(args);
    assertOneLineError(run, 2, /unknown option '-{1,2}[a-z-]+=…'/);
    assert.ok(!run.stderr.includes('s3cret-admin-value'), `${args.join(' ')}: the value is not echoed: ${run.stderr}`);
  }
});
