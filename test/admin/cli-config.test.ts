/**
 * The CLI with a config file it cannot use: an API command without --url/--token reads the admin
 * token from the config, so a bad file must end in one line naming the file and the key (never a
 * secret written inline), while --help keeps working whatever the config says.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertOneLineError, cli } from './cli-run.ts';

const HUB = 'hubs:\n  - id: acme\n    connector: meta-business\n    meta: { businessId: "1" }\n';

describe('hubwarden CLI: a bad config file', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hubwarden-cli-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('an API command without --url/--token: one line naming the file and the problem at its path, exit 1, no inline secret', async () => {
    const folder = join(dir, 'a-folder.yaml');
    mkdirSync(folder);
    const cases: Array<[string, RegExp]> = [
      [file('syntax.yaml', 'hubs: [\n  - id: a\n'), /config \S+syntax\.yaml cannot be read: line \d+, column \d+: /],
      [file('inline.yaml', `server: { adminTokens: [inline-admin-s3cret] }\n${HUB}`), /config \S+inline\.yaml cannot be read: server\.adminTokens\[0\]: expected a secret reference, env:NAME or file:PATH$/],
      [file('unset.yaml', `server: { adminTokens: [env:HW_TEST_UNSET_TOKEN] }\n${HUB}`), /config \S+unset\.yaml cannot be read: server\.adminTokens\[0\]: environment variable HW_TEST_UNSET_TOKEN is not set$/],
      [file('no-file.yaml', `server: { adminTokens: [file:missing-token] }\n${HUB}`), /config \S+no-file\.yaml cannot be read: server\.adminTokens\[0\]: cannot read \S+missing-token: ENOENT$/],
      [file('types.yaml', `server: { port: "eighty" }\n${HUB}`), /config \S+types\.yaml cannot be read: server\.port: Invalid input: expected number, received string$/],
      [join(dir, 'absent.yaml'), /config \S+absent\.yaml cannot be read: cannot read the file: ENOENT$/],
      [folder, /config \S+a-folder\.yaml cannot be read: cannot read the file: EISDIR$/],
    ];
    for (const [path, pattern] of cases) {
      const run = await cli(['hubs', '--config', path]);
      assertOneLineError(run, 1, pattern);
      assert.doesNotMatch(run.stderr, /s3cret/);
      assert.equal(run.stdout, '');
    }
    // Through HUBWARDEN_CONFIG as well.
    assertOneLineError(await cli(['members', 'acme'], { HUBWARDEN_CONFIG: join(dir, 'inline.yaml') }), 1, /server\.adminTokens\[0\]/);
  });

  test('--help works whatever the config holds', async () => {
    const bad = file('help-bad.yaml', 'hubs: [\n');
    for (const args of [['--help'], ['members', '--help'], ['help', 'audit'], ['config', 'validate', '--help']]) {
      const run = await cli([...args, '--config', bad], { HUBWARDEN_CONFIG: bad });
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stdout, /^Usage: hubwarden/);
      assert.equal(run.stderr, '');
    }
  });

  test('config validate: a store.url whose value is not a PostgreSQL URL is named, its password never shown', async () => {
    const path = file('pg.yaml', `store: { kind: postgres, url: env:HW_TEST_DB }\n${HUB}`);
    const run = await cli(['config', 'validate', '--config', path], { HW_TEST_DB: 'mysql://root:hunter2-pw@db.example/x' });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /store\.url: env:HW_TEST_DB does not hold a PostgreSQL URL/);
    assert.doesNotMatch(run.stderr + run.stdout, /hunter2-pw/);
    const ok = await cli(['config', 'validate', '--config', path], { HW_TEST_DB: 'postgres://hubwarden:hunter2-pw@db.example:5432/hubwarden' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.doesNotMatch(ok.stdout, /hunter2-pw/);
  });
  test('a PostgreSQL URL whose password holds an unencoded / ? or #: one line naming store.url or --to, telling to percent-encode, never the password', async () => {
    // RFC 3986 §3.2.1: those end the user information; the driver said only "Invalid URL".
    const path = file('pg-reserved.yaml', `store: { kind: postgres, url: env:HW_TEST_DB }\n${HUB}`);
    for (const url of ['postgres://hubwarden:hunter2/pw@db.example:5432/hubwarden', 'postgres://hubwarden:hunter2#pw@db.example/hubwarden', 'postgres://hubwarden:hunter2?pw@db.example/hubwarden']) {
      const validate = await cli(['config', 'validate', '--config', path], { HW_TEST_DB: url });
      assert.equal(validate.code, 1, validate.stderr);
      assert.match(validate.stderr, /store\.url: env:HW_TEST_DB: the password \(or user name\) holds a \/ \? or # that is not percent-encoded.*%2F/);
      // config validate's form: the file, then one line per problem.
      assert.deepEqual(validate.stderr.trimEnd().split('\n').map((l) => l.split(':')[0]!.trim()), [path, 'store.url'], validate.stderr);
      assert.doesNotMatch(validate.stderr + validate.stdout, /hunter2|Invalid URL/);
      for (const [to, env, named] of [[url, {}, /store migrate: --to: the password/], ['env:HW_TEST_DB', { HW_TEST_DB: url }, /store migrate: --to env:HW_TEST_DB: the password/]] as const) {
        const migrate = await cli(['store', 'migrate', '--to', to, '--path', join(dir, 'no-store.json')], env);
        assertOneLineError(migrate, 2, named);
        assert.match(migrate.stderr, /percent-encoded.*%2F.*%3F.*%23/);
        assert.doesNotMatch(migrate.stderr + migrate.stdout, /hunter2|Invalid URL/);
      }
    }
  });

  test('config validate: a key file that is there but unreadable or not a key is named at secrets.keyFile (the server would refuse to start); a missing one is fine', async () => {
    const config = (key: string) => file('key.yaml', `secrets: { keyFile: ${JSON.stringify(key)} }\n${HUB}`);
    const short = join(dir, 'short.key');
    writeFileSync(short, 'c2hvcnQta2V5LXNlY3JldA==\n'); // base64 of 16 bytes, not 32
    const folder = join(dir, 'key-folder');
    mkdirSync(folder);
    for (const [key, pattern] of [[short, /secrets\.keyFile: the key file \S+short\.key does not hold a base64 32-byte key/], [folder, /secrets\.keyFile: cannot read the key file \S+key-folder: EISDIR/]] as const) {
      const path = config(key);
      const run = await cli(['config', 'validate', '--config', path]);
      assert.equal(run.code, 1, run.stdout);
      assert.deepEqual(run.stderr.trimEnd().split('\n').map((l) => l.split(':')[0]!.trim()), [path, 'secrets.keyFile'], run.stderr);
      assert.match(run.stderr, pattern);
      assert.doesNotMatch(run.stderr + run.stdout, /c2hvcnQta2V5/);
      const json = await cli(['config', 'validate', '--json', '--config', path]);
      assert.equal(json.code, 1);
      assert.match(JSON.parse(json.stdout).problems[0], pattern);
    }
    const missing = join(dir, 'new.key');
    const ok = await cli(['config', 'validate', '--config', config(missing)]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.throws(() => readFileSync(missing), /ENOENT/, 'validate creates no key file');
    writeFileSync(missing, `${Buffer.alloc(32, 7).toString('base64')}\n`);
    assert.equal((await cli(['config', 'validate', '--config', config(missing)])).code, 0);
  });

  test('config validate: a file: secret other users may read is OK with a warning naming the key, the file and its mode, never the secret', { skip: process.platform === 'win32' }, async () => {
    const token = join(dir, 'scim-token');
    writeFileSync(token, 'scim-s3cret-value\n');
    chmodSync(token, 0o644);
    const path = file('readable-secret.yaml', `${HUB}    scim: { tokens: [file:scim-token] }\n`);
    const run = await cli(['config', 'validate', '--config', path]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^OK /);
    assert.equal(run.stderr, `warning: hubs[0].scim.tokens[0]: ${token} holds a secret and is readable or writable by other users (mode 644); chmod 600 it\n`);
    const json = await cli(['config', 'validate', '--json', '--config', path]);
    assert.deepEqual(JSON.parse(json.stdout).warnings, [run.stderr.slice('warning: '.length).trimEnd()]);
    assert.doesNotMatch(run.stdout + run.stderr + json.stdout, /s3cret/);
    chmodSync(token, 0o600);
    const quiet = await cli(['config', 'validate', '--config', path]);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stderr, '');
  });

  test('store check, repair and migrate where no store is (--path or the config\'s store.path mistyped): exit 1, one line naming the path, nothing created', async () => {
    const where = join(dir, 'no-store-here');
    mkdirSync(where);
    const missing = join(where, 'hubwraden.json');
    const quoted = missing.replace(/[.*+?^$()|[\]{}\\]/g, '\\$&');
    const config = file('typo-store.yaml', `store: { kind: lowdb, path: ${JSON.stringify(missing)} }\n${HUB}`);
    const to = ['--to', 'env:HW_MIGRATE_URL'];
    const env = { HW_MIGRATE_URL: 'postgres://hubwarden:Pa55word@127.0.0.1:1/test' };
    for (const from of [['--path', missing], ['--config', config]]) {
      for (const [args, name] of [[['store', 'check'], 'store check'], [['store', 'repair', '--accept-loss'], 'store repair'], [['store', 'migrate', ...to], 'store migrate']] as const) {
        const run = await cli([...args, ...from], env);
        assertOneLineError(run, 1, new RegExp(`^hubwarden: ${name}: no lowdb store at ${quoted}: neither its snapshot nor a journal is there; check --path or store\\.path`));
        assert.equal(run.stdout, '', `${name} ${from[0]}: nothing on stdout`);
        assert.doesNotMatch(run.stderr, /Pa55word/);
      }
    }
    assert.deepEqual(readdirSync(where), [], 'no store file, journal or lock file created');
  });
});
