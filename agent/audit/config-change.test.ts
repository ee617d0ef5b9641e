import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../config/load.ts';
import { postgresForTests } from '../../test/postgres.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import { createAgent } from '../agent.ts';
import { auditConfigChange, recordConfigChange } from './config-change.ts';
import { queryAudit } from './audit-query.ts';

const ENV = { SCIM_TOKEN: 'scim-token-config-change-0123456789', APP_TOKEN: 'app-token-config-change-0123456789' };
const PATH = '/etc/hubwarden/hubwarden.yaml';

function configOf(o: { role?: string; threshold?: number; comment?: string; extraTeam?: boolean; offboards?: string } = {}) {
  return parseConfig(`# ${o.comment ?? 'hubwarden'}
hubs:
  - id: main
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:APP_TOKEN }
    scim: { tokens: [env:SCIM_TOKEN] }
    checkForUpdates: { onConnect: false }
    teams:
      - { group: Admins, hubRole: owner, appRole: ADMIN }
      - group: Advertisers
        appRole: ${o.role ?? 'EMPLOYEE'}
        assets: [{ type: ad_account, id: act_111, tasks: [ADVERTISE, ANALYZE] }]
${o.extraTeam ? '      - { group: Analysts, appRole: EMPLOYEE }\n' : ''}    safety: { removalThresholdPercent: ${o.threshold ?? 20}${o.offboards ? `, offboards: ${o.offboards}` : ''} }
`, PATH, ENV);
}

const changed = async (store: MemoryStore | PostgresStore | LowdbStore) => (await queryAudit(store, { action: 'config-changed' })).items;

describe('config-changed: the config file\'s governance settings audited at start', () => {
  test('a view an earlier release recorded in file order (its lists unsorted) is no change when only that order differs', async () => {
    const store = new MemoryStore();
    const config = parseConfig(`
server: { adminTokens: [env:ADMIN_B, env:ADMIN_A] }
hubs:
  - id: main
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:APP_TOKEN }
    scim: { tokens: [env:SCIM_TOKEN] }
    checkForUpdates: { onConnect: false }
    teams: []
`, PATH, { ...ENV, ADMIN_A: 'admin-token-a-0123456789', ADMIN_B: 'admin-token-b-0123456789' });
    assert.ok(await auditConfigChange(store, config), 'the first start records it');
    // As an earlier release stored it: the admin tokens in the file's order.
    await store.transact(async (tx) => {
      const recorded = (await tx.get('configState', '', 'governance'))!;
      tx.put('configState', '', 'governance', { ...recorded, view: { ...recorded.view, administration: { ...recorded.view.administration, adminTokens: ['env:ADMIN_B', 'env:ADMIN_A'] } } });
    });
    assert.equal(await auditConfigChange(store, config), undefined);
    assert.equal((await changed(store)).length, 1);
  });

  test('a view an earlier release recorded without a key added since (safety.offboards) is no change: unset is its default; an explicit change still is', async () => {
    const store = new MemoryStore();
    assert.ok(await auditConfigChange(store, configOf()), 'the first start records it');
    // As a release before safety.offboards stored it: no such key.
    await store.transact(async (tx) => {
      const recorded = (await tx.get('configState', '', 'governance'))!;
      const { offboards: _o, ...safety } = recorded.view.hubs.main!.safety as Record<string, unknown>;
      tx.put('configState', '', 'governance', { ...recorded, view: { ...recorded.view, hubs: { main: { ...recorded.view.hubs.main, safety } } } });
    });
    assert.equal(await auditConfigChange(store, configOf()), undefined, 'no "safety.offboards (unset) → immediate"');
    assert.equal(await auditConfigChange(store, configOf({ offboards: 'immediate' })), undefined, 'the default written out is no change either');
    const braked = await auditConfigChange(store, configOf({ offboards: 'threshold' }));
    assert.deepEqual(braked?.detail?.changes, ['hub main: safety.offboards immediate → threshold']);
    assert.equal((await changed(store)).length, 2);
  });

  test('first start records the config with one entry; the same settings again (a comment changed) add none; a change adds one saying what changed', async () => {
    const store = new MemoryStore();
    await store.open();
    const first = await auditConfigChange(store, configOf());
    assert.ok(first);
    assert.equal(first.action, 'config-changed');
    assert.deepEqual(first.trigger, { type: 'config', actor: `config file ${PATH}`, detail: `sha256 ${configOf().sha256}` });
    assert.equal(first.why, 'service started with a changed config');
    assert.equal(first.outcome, 'ok');
    assert.equal(first.detail?.previous, 'none recorded');
    assert.deepEqual(first.detail?.changes, ['hub main: added (connector meta-business, 2 team(s))']);
    assert.ok(!JSON.stringify(first).includes(ENV.SCIM_TOKEN) && !JSON.stringify(first).includes(ENV.APP_TOKEN), 'no secret value');

    const comment = configOf({ comment: 'only a comment changed' });
    assert.notEqual(comment.sha256, configOf().sha256, 'the file did change');
    assert.equal(await auditConfigChange(store, comment), undefined);
    assert.equal((await changed(store)).length, 1);

    const next = configOf({ role: 'ADMIN', threshold: 5, extraTeam: true });
    const entry = await auditConfigChange(store, next);
    assert.ok(entry);
    assert.deepEqual(entry.detail?.changes, [
      'hub main: safety.removalThresholdPercent 20 → 5',
      'hub main, team "Advertisers": appRole EMPLOYEE → ADMIN',
      'hub main, team "Analysts": added (hubRole collaborator, appRole EMPLOYEE, 0 asset grant(s))',
    ]);
    assert.equal(entry.detail?.previousSha256, configOf().sha256, 'the file last recorded (a comment-only edit records nothing)');
    assert.equal(entry.detail?.sha256, next.sha256);
    assert.equal(entry.subject?.label, (entry.detail?.changes as string[]).join('; '), 'up to three changes in the one-line summary');
    assert.equal((await changed(store)).length, 2);
    assert.equal(await auditConfigChange(store, next), undefined, 'a restart on it adds nothing');
  });

  test("per hub, the revision that last changed its access rules: kept across an edit of other settings, taken by an edit of its teams", async () => {
    const store = new MemoryStore();
    await store.open();
    const first = await recordConfigChange(store, configOf());
    assert.deepEqual(first.hubRules, { main: { sha256: configOf().sha256, at: first.entry!.at, auditSeq: first.entry!.seq } });
    // A brake changed (audited), the teams not: the rules are still those the first revision set.
    const brake = await recordConfigChange(store, configOf({ threshold: 5 }));
    assert.ok(brake.entry);
    assert.deepEqual(brake.hubRules, first.hubRules);
    // A replica starting on the same config reads them from the record.
    assert.deepEqual(await recordConfigChange(store, configOf({ threshold: 5, comment: 'x' })), { hubRules: first.hubRules });
    const role = await recordConfigChange(store, configOf({ threshold: 5, role: 'ADMIN' }));
    assert.deepEqual(role.hubRules, { main: { sha256: configOf({ threshold: 5, role: 'ADMIN' }).sha256, at: role.entry!.at, auditSeq: role.entry!.seq } });
    // Recorded by an earlier release (no revision per hub): the revision it recorded stands for them.
    const legacyAt = await store.transact(async (tx) => {
      const { hubRules: _h, auditSeq: _s, ...legacy } = (await tx.get('configState', '', 'governance'))!;
      tx.put('configState', '', 'governance', legacy);
      return legacy.recordedAt;
    });
    const after = await recordConfigChange(store, configOf({ threshold: 20, role: 'ADMIN' }));
    assert.ok(after.entry);
    assert.deepEqual(after.hubRules, { main: { sha256: configOf({ threshold: 5, role: 'ADMIN' }).sha256, at: legacyAt } });
  });

  test('the service wiring: an agent started with auditConfig audits the change before its runner starts, and mirrors it to audit.file', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-config-change-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'store.json');
    const auditFile = join(dir, 'audit.log');
    const start = async (config: ReturnType<typeof configOf>) => {
      const store = new LowdbStore(path);
      await store.open();
      const agent = createAgent({ config, store, connectorFor: () => undefined, log: { info() {}, warn() {}, error() {} } as never, auditFile, auditConfig: true });
      await agent.start();
      await agent.stop(0);
      const entries = await changed(store);
      await store.close();
      return entries;
    };
    assert.equal((await start(configOf())).length, 1);
    assert.equal((await start(configOf())).length, 1, 'a restart with the same config adds nothing');
    const after = await start(configOf({ role: 'ADMIN' }));
    assert.equal(after.length, 2);
    assert.deepEqual(after[0]!.detail?.changes, ['hub main, team "Advertisers": appRole EMPLOYEE → ADMIN']);
    const lines = (await readFile(auditFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { audit: { action: string } });
    assert.deepEqual(lines.map((l) => l.audit.action), ['config-changed', 'config-changed']);
  });
});

const db = await postgresForTests();

describe('config-changed on PostgreSQL', { skip: db.skip }, () => {
  const freshSchema = freshSchemas(db);
  test('replicas starting at once with the same changed config: exactly one entry', async (t) => {
    const schema = freshSchema('config_change');
    const replicas = Array.from({ length: 4 }, () => new PostgresStore({ url: db.url, schema, poolSize: 2 }));
    for (const r of replicas) await r.open();
    t.after(() => Promise.all(replicas.map((r) => r.close())));
    await auditConfigChange(replicas[0]!, configOf());
    const next = configOf({ threshold: 40 });
    const results = await Promise.all(replicas.map((r) => auditConfigChange(r, next)));
    assert.equal(results.filter(Boolean).length, 1, 'one replica recorded it');
    const entries = await changed(replicas[1]!);
    assert.equal(entries.length, 2);
    assert.deepEqual(entries[0]!.detail?.changes, ['hub main: safety.removalThresholdPercent 20 → 40']);
    assert.deepEqual(await Promise.all(replicas.map((r) => auditConfigChange(r, next))), [undefined, undefined, undefined, undefined]);
  });
});
