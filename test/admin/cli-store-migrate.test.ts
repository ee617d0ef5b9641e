import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendAudit } from '../../agent/audit/audit-log.ts';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';
import { postgresForTests } from '../postgres.ts';
import { freshSchemas } from '../fresh-schemas.ts';
import { assertOneLineError, cli } from './cli-run.ts';

const db = await postgresForTests();
const HUB = 'hubs:\n  - id: acme\n    connector: meta-business\n    meta: { businessId: "1" }\n';
const PASSWORD = 'Migr8-S3cret-pw';

/** The test database's URL with a password in it (trust authentication ignores it). */
function urlWithPassword(): string {
  const u = new URL(db.url);
  u.password = PASSWORD;
  return u.toString();
}

describe('hubwarden store migrate: what the operator reads', { skip: db.skip }, () => {
  const freshSchema = freshSchemas(db);

  test('the final output names the key file to carry along and the audit file left behind, with the config\'s paths; the password appears nowhere', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-cli-migrate-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'store.json');
    const store = new LowdbStore(path);
    await store.open();
    for (let i = 0; i < 3; i++) await store.transact((tx) => appendAudit(tx, { hubId: 'acme', trigger: { type: 'admin', actor: 'test' }, action: 'invite', subject: { email: `p${i}@example.com` }, why: `invite ${i}`, outcome: 'ok' }));
    await store.close();
    const config = join(dir, 'hubwarden.yaml');
    await writeFile(config, `store: { kind: lowdb, path: ${JSON.stringify(path)} }\nsecrets: { keyFile: ${JSON.stringify(join(dir, 'hw.key'))} }\naudit: { file: ${JSON.stringify(join(dir, 'audit.log'))} }\n${HUB}`);
    const schema = freshSchema('cli_migrate');
    const args = ['--config', config, 'store', 'migrate', '--to', 'env:HW_MIGRATE_URL', '--schema', schema];
    const run = await cli(args, { HW_MIGRATE_URL: urlWithPassword() });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.ok(lines.includes(`not in the schema, carry it along: secrets.keyFile (${join(dir, 'hw.key')}): every server on PostgreSQL needs this same key file (the credentials' labels in the audit log and the OIDC sign-in cookie are derived from it; a new key changes every label)`), run.stdout);
    assert.ok(lines.includes(`not copied, nothing to do: audit.file (${join(dir, 'audit.log')}) is each process's own JSON-lines copy of the audit log; the complete log (3 entries) is now in the schema. Keep the old file with the lowdb files as a backup`), run.stdout);
    assert.match(lines.at(-1)!, new RegExp(`^next: set store: \\{ kind: postgres, url: env:DATABASE_URL, schema: ${schema} \\}`));
    assert.doesNotMatch(run.stdout + run.stderr, new RegExp(PASSWORD));
    assert.match(run.stdout, /at postgres:\/\/postgres:\*\*\*@/, 'the target named with its password masked');

    // Run again: the schema is filled, refused in one line, the password not in it either.
    const again = await cli(args, { HW_MIGRATE_URL: urlWithPassword() });
    assertOneLineError(again, 1, new RegExp(`^hubwarden: store migrate: the previous copy into schema "${schema}" completed: it copied 3 record\\(s\\) from .*; nothing was copied, and there is nothing left to do for that copy`));
    assert.doesNotMatch(again.stdout + again.stderr, new RegExp(PASSWORD));
  });
});
