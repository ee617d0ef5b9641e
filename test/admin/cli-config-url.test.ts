/**
 * A URL where the CLI takes the config file's path (--config, config validate --config,
 * HUBWARDEN_CONFIG): a database URL pasted there was quoted in every command's error, the
 * password too ("the config postgres://app:pw@db/hw cannot be read: ENOENT", and config validate's
 * text and JSON). Refused before anything is read: exit 2, one line, the value never shown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertOneLineError, cli } from './cli-run.ts';

const PASSWORD = 'Cfg-Url-S3cret-pw';
const URL = `postgres://app:${PASSWORD}@db.example/hubwarden`;

test('a config path that is a URL: every command that reads the config refuses it, never quoting it', async () => {
  const given = /^hubwarden: --config is a URL, not the path of a config file; not read, and not shown \(it may hold a password\)/;
  const fromEnv = /^hubwarden: HUBWARDEN_CONFIG is a URL, not the path of a config file/;
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--config', URL, 'hubs'], {}, given],
    [['members', 'acme', '--config', URL], {}, given],
    [['hubs'], { HUBWARDEN_CONFIG: URL }, fromEnv],
    [['--config', URL, 'store', 'check'], {}, given],
    [['store', 'migrate', '--to', 'postgres://app@127.0.0.1:1/x'], { HUBWARDEN_CONFIG: URL }, fromEnv],
    [['--config', URL, 'sandbox', 'reset'], {}, given],
    [['config', 'validate', '--config', URL], {}, given],
    [['--json', 'config', 'validate'], { HUBWARDEN_CONFIG: URL }, fromEnv],
    [['--config', URL, 'serve'], {}, given],
    [['--config', ` HTTPS://admin:${PASSWORD}@hubwarden.example/`, 'hubs'], {}, given],
  ];
  for (const [args, env, line] of cases) {
    const run = await cli(args, env);
    assertOneLineError(run, 2, line);
    assert.equal(run.stdout, '', args.join(' '));
    assert.ok(!(run.stdout + run.stderr).includes(PASSWORD), `${args.join(' ')}: ${run.stderr}`);
  }
});
