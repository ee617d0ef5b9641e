import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../config/load.ts';
import { postgresForTests } from '../../test/postgres.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { MEMORY_STORE, suiteStores, type AnyStore } from '../../test/suite-stores.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import { Keyring } from '../secrets/keyring.ts';
import { createAgent } from '../agent.ts';
import { auditCredentialRotations, CREDENTIAL_FINGERPRINT_PURPOSE } from './credential-rotation.ts';
import { queryAudit } from './audit-query.ts';

/**
 * A secret rotated behind the same `env:`/`file:` reference changes no byte of the config, so
 * `config-changed` never saw it: the rotation of an admin, SCIM or app token went unaudited.
 */
const PATH = '/etc/hubwarden/hubwarden.yaml';
const ENV = {
  SCIM_TOKEN: 'scim-token-rotation-before-0123456789',
  SCIM_SPARE: 'scim-token-rotation-spare-0123456789',
  APP_TOKEN: 'app-token-rotation-before-0123456789',
  ADMIN_TOKEN: 'admin-token-rotation-before-0123456789',
  HOOK_SECRET: 'hook-secret-rotation-before-0123456789',
};
const KEY = Keyring.fromKey(Buffer.alloc(32, 7)).derive(CREDENTIAL_FINGERPRINT_PURPOSE);

function configOf(env: Partial<typeof ENV> = {}, tokens = '[env:SCIM_TOKEN, env:SCIM_SPARE]') {
  return parseConfig(`
server: { adminTokens: [env:ADMIN_TOKEN] }
identityProviders:
  okta-main: { kind: okta, orgUrl: "https://example.okta.com", eventHookSecret: env:HOOK_SECRET }
hubs:
  - id: main
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:APP_TOKEN }
    scim: { tokens: ${tokens} }
    checkForUpdates: { onConnect: false }
    teams: []
`, PATH, { ...ENV, ...env });
}

const rotated = async (store: AnyStore) => (await queryAudit(store, { action: 'credential-rotated' })).items;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** No secret, nor its plain SHA-256 (whole or as a label's prefix), in `text`. */
function assertNoSecret(text: string, secrets: string[], what: string): void {
  for (const s of secrets) {
    assert.ok(!text.includes(s), `${what} holds a secret`);
    assert.ok(!text.includes(sha256(s).slice(0, 12)), `${what} holds an unkeyed hash of a secret`);
  }
}

for (const s of await suiteStores('memory', 'lowdb', 'postgres')) {
  describe(`credential-rotated (${s.kind})`, { skip: s.skip }, () => {
    test('the secret behind an env: reference rotated: one entry naming the hub and slot, never the secret; the same secret again: none', async (t) => {
      const { store, dispose } = await s.open();
      t.after(dispose);
      const first = await auditCredentialRotations(store, configOf(), KEY);
      assert.deepEqual(first, { entries: [], rekeyed: false }, 'a first start records, audits nothing');
      assert.deepEqual((await auditCredentialRotations(store, configOf(), KEY)).entries, [], 'a restart with the same secrets');

      const NEW = 'scim-token-rotation-after-0123456789';
      const { entries } = await auditCredentialRotations(store, configOf({ SCIM_TOKEN: NEW }), KEY);
      assert.equal(entries.length, 1);
      const all = await rotated(store);
      assert.equal(all.length, 1, 'exactly one entry');
      const entry = all[0]!;
      assert.equal(entry.hubId, 'main');
      assert.deepEqual(entry.trigger, { type: 'config', actor: `config file ${PATH}`, detail: `sha256 ${configOf({ SCIM_TOKEN: NEW }).sha256}` });
      assert.equal(entry.subject?.label, 'hub main: scim.tokens[0]');
      assert.equal(entry.outcome, 'ok');
      assert.match(entry.why, /the secret behind env:SCIM_TOKEN changed since the last start/);
      assert.equal(entry.detail?.reference, 'env:SCIM_TOKEN');
      assert.equal(entry.detail?.slot, 'scim.tokens[0]');
      assert.match(String(entry.detail?.previous), /^fingerprint:[0-9a-f]{6}$/);
      assert.notEqual(entry.detail?.previous, entry.detail?.now);
      const recorded = await store.transact((tx) => tx.get('credentialState', '', 'fingerprints'));
      assertNoSecret(JSON.stringify([all, recorded]), [ENV.SCIM_TOKEN, NEW, ENV.APP_TOKEN, ENV.ADMIN_TOKEN, ENV.HOOK_SECRET], 'the audit or the record');

      assert.deepEqual((await auditCredentialRotations(store, configOf({ SCIM_TOKEN: NEW }), KEY)).entries, [], 'the rotated secret again: no entry');
      assert.equal((await rotated(store)).length, 1);
    });
  });
}

describe('credential-rotated: which slots, and what is no rotation', () => {
  test('an admin token and an org\'s event hook secret name their scope; a list reordered, a reference replaced or a key file changed audits nothing', async (t) => {
    const { store, dispose } = await MEMORY_STORE.open();
    t.after(dispose);
    await auditCredentialRotations(store, configOf(), KEY);
    const both = await auditCredentialRotations(store, configOf({ ADMIN_TOKEN: 'admin-token-rotation-after-0123456789', HOOK_SECRET: 'hook-secret-rotation-after-0123456789' }), KEY);
    assert.deepEqual(both.entries.map((e) => [e.hubId, e.subject?.label, e.detail?.scope ?? e.detail?.identityProvider]), [
      [undefined, 'server: adminTokens[0]', 'server'],
      [undefined, 'identity provider okta-main: eventHookSecret', 'okta-main'],
    ]);
    const after = { ADMIN_TOKEN: 'admin-token-rotation-after-0123456789', HOOK_SECRET: 'hook-secret-rotation-after-0123456789' };
    assert.deepEqual((await auditCredentialRotations(store, configOf(after, '[env:SCIM_SPARE, env:SCIM_TOKEN]'), KEY)).entries, [], 'SCIM tokens reordered');
    // Another reference with another value is a config edit (config-changed), not a rotation behind one reference.
    assert.deepEqual((await auditCredentialRotations(store, configOf({ ...after, SCIM_SPARE: 'scim-token-other-0123456789' }, '[env:SCIM_TOKEN]'), KEY)).entries, []);
    const rekeyed = await auditCredentialRotations(store, configOf({ ...after, APP_TOKEN: 'app-token-rotation-after-0123456789' }), Keyring.fromKey(Buffer.alloc(32, 9)).derive(CREDENTIAL_FINGERPRINT_PURPOSE));
    assert.deepEqual([rekeyed.entries, rekeyed.rekeyed], [[], true], 'fingerprints of another key are not compared');
    assert.equal((await rotated(store)).length, 2);
  });

  test('the secrets.keyFile key changed (rotated, replaced, another mounted): one secrets-key-changed entry saying a rotation since the last start cannot be told; none again with the same key', async (t) => {
    const { store, dispose } = await MEMORY_STORE.open();
    t.after(dispose);
    await auditCredentialRotations(store, configOf(), KEY, new Date('2026-01-01T00:00:00Z'));
    const OTHER = Keyring.fromKey(Buffer.alloc(32, 9)).derive(CREDENTIAL_FINGERPRINT_PURPOSE);
    const NEW = 'app-token-rotation-after-0123456789';
    const rekeyed = await auditCredentialRotations(store, configOf({ APP_TOKEN: NEW }), OTHER);
    assert.equal(rekeyed.rekeyed, true);
    const changed = (await queryAudit(store, { action: 'secrets-key-changed' })).items;
    assert.equal(changed.length, 1, 'the key change is audited, not only logged');
    const entry = changed[0]!;
    assert.deepEqual(rekeyed.keyChanged, entry);
    assert.deepEqual(entry.trigger, { type: 'config', actor: `config file ${PATH}`, detail: `sha256 ${configOf({ APP_TOKEN: NEW }).sha256}` });
    assert.equal(entry.subject?.label, 'secrets.keyFile');
    assert.equal(entry.outcome, 'ok');
    assert.match(entry.why, /recorded with on 2026-01-01T00:00:00\.000Z/);
    assert.match(entry.why, /a credential rotated since the last start cannot be told/);
    assert.equal(entry.detail?.rotationsCompared, false);
    assertNoSecret(JSON.stringify(entry), [ENV.APP_TOKEN, NEW, ENV.SCIM_TOKEN, ENV.ADMIN_TOKEN, ENV.HOOK_SECRET], 'the entry');
    const again = await auditCredentialRotations(store, configOf({ APP_TOKEN: NEW }), OTHER);
    assert.deepEqual([again.entries, again.rekeyed, again.keyChanged], [[], false, undefined]);
    assert.equal((await queryAudit(store, { action: 'secrets-key-changed' })).total, 1, 'a restart with the same key adds none');
  });

  test('the service wiring: a restart after a rotation audits it once, mirrors it to audit.file, and logs the slot, never the secret', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-credential-rotation-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const auditFile = join(dir, 'audit.log');
    const logged: string[] = [];
    const log = { info: (m: string) => logged.push(m), warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) };
    const start = async (config: ReturnType<typeof configOf>) => {
      const store = new LowdbStore(join(dir, 'store.json'));
      await store.open();
      const agent = createAgent({ config, store, connectorFor: () => undefined, log: log as never, auditFile, auditConfig: true, credentialKey: () => KEY });
      await agent.start();
      await agent.stop(0);
      const entries = await rotated(store);
      await store.close();
      return entries;
    };
    const NEW = 'app-token-rotation-after-0123456789';
    assert.equal((await start(configOf())).length, 0);
    const entries = await start(configOf({ APP_TOKEN: NEW }));
    assert.deepEqual(entries.map((e) => e.subject?.label), ['hub main: meta.accessToken']);
    assert.equal((await start(configOf({ APP_TOKEN: NEW }))).length, 1, 'a restart with the same secret adds none');
    assert.ok(logged.some((l) => l.includes('audited as credential-rotated (hub main: meta.accessToken)')));
    const mirrored = await readFile(auditFile, 'utf8');
    assert.equal(mirrored.split('\n').filter((l) => l.includes('"credential-rotated"')).length, 1);
    const files = await Promise.all((await readdir(dir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile()).map((f) => readFile(join(f.parentPath, f.name), 'utf8')));
    assert.ok(files.length >= 2, 'the store and audit.file were read');
    assertNoSecret(files.join('\n') + logged.join('\n'), [ENV.APP_TOKEN, NEW], 'audit.file, the log or the store files');
  });
});

const db = await postgresForTests();

describe('credential-rotated on PostgreSQL', { skip: db.skip }, () => {
  const freshSchema = freshSchemas(db);
  test('replicas starting at once after a rotation: exactly one entry', async (t) => {
    const schema = freshSchema('credential_rotation');
    const replicas = Array.from({ length: 4 }, () => new PostgresStore({ url: db.url, schema, poolSize: 2 }));
    for (const r of replicas) await r.open();
    t.after(() => Promise.all(replicas.map((r) => r.close())));
    await auditCredentialRotations(replicas[0]!, configOf(), KEY);
    const next = configOf({ SCIM_TOKEN: 'scim-token-rotation-after-0123456789' });
    const results = await Promise.all(replicas.map((r) => auditCredentialRotations(r, next, KEY)));
    assert.equal(results.reduce((n, r) => n + r.entries.length, 0), 1, 'one replica recorded it');
    assert.equal((await rotated(replicas[2]!)).length, 1);
  });
});
