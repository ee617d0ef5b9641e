/**
 * What composeHubwarden wires that `npm start` relies on and no single module shows: here, that
 * the service's start audits a config change (agent/audit/config-change.ts) once, and does not
 * start when the store refuses that record.
 */
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { Keyring } from '../agent/secrets/keyring.ts';
import assert from 'node:assert/strict';
import { MemoryStore } from '../agent/store/memory-store.ts';
import { queryAudit } from '../agent/audit/audit-query.ts';
import { parseConfig } from '../config/load.ts';
import { composeHubwarden } from './compose.ts';
import { StoreUnavailable } from '../agent/store/store-unavailable.ts';

const ENV = { ADMIN_TOKEN: 'admin-token-compose-0123456789', SCIM_A: 'scim-token-compose-0123456789' };
const configWith = (threshold: number, env: Record<string, string> = {}) => parseConfig(`
server: { adminTokens: [env:ADMIN_TOKEN] }
hubs:
  - id: hub-a
    connector: meta-business
    meta: { businessId: "1111111111", graphBaseUrl: sandbox }
    scim: { tokens: [env:SCIM_A] }
    checkForUpdates: { onConnect: false }
    teams:
      - { group: Admins, hubRole: owner, appRole: ADMIN }
    safety: { removalThresholdPercent: ${threshold} }
`, '/tmp/hubwarden-compose/hubwarden.yaml', { ...ENV, ...env });

test('the service audits a changed config at start, once: config-changed with the file and what changed', async () => {
  const store = new MemoryStore();
  await store.open();
  const startWith = async (threshold: number) => {
    // Its own key (the config's default key file is ./data/hubwarden.key: the checkout's, when tests run there).
    const hubwarden = composeHubwarden({ config: configWith(threshold), store, auditFile: false, keyring: Keyring.fromKey(randomBytes(32)) });
    await hubwarden.start();
    await hubwarden.stop(0);
    return (await queryAudit(store, { action: 'config-changed' })).items;
  };
  assert.equal((await startWith(20)).length, 1, 'the first start records the config');
  assert.equal((await startWith(20)).length, 1, 'the same config again: nothing');
  const entries = await startWith(35);
  assert.equal(entries.length, 2);
  assert.equal(entries[0]!.trigger.actor, 'config file /tmp/hubwarden-compose/hubwarden.yaml');
  assert.deepEqual(entries[0]!.detail?.changes, ['hub hub-a: safety.removalThresholdPercent 20 → 35']);
});

test('a store that refuses the config-changed record at start stops the start: it rejects naming the store, no task runs, and a later start records the change', async () => {
  const store = new MemoryStore();
  await store.open();
  // The store refuses the one transaction that records the config (its `writes` name configState),
  // as a full disk or an unreachable PostgreSQL would; every other transaction goes through.
  let refuse = true;
  const transact = store.transact.bind(store);
  store.transact = ((fn: Parameters<typeof transact>[0], options?: { writes?: ReadonlyArray<readonly [string, string, string]> }) => {
    if (refuse && options?.writes?.some(([collection]) => collection === 'configState')) return Promise.reject(new StoreUnavailable('ENOSPC while appending to the journal', 5));
    return (transact as (f: typeof fn, o?: typeof options) => Promise<unknown>)(fn, options);
  }) as typeof store.transact;

  const refused = composeHubwarden({ config: configWith(20), store, auditFile: false, keyring: Keyring.fromKey(randomBytes(32)) });
  await assert.rejects(refused.start(), (err: Error) => err instanceof StoreUnavailable && /unavailable \(ENOSPC/.test(err.message));
  assert.equal(refused.running(), false, 'not running: the start stopped before the runner');
  assert.equal(refused.agent.runner.running, 0, 'no task was started');
  await refused.stop(0);
  assert.deepEqual((await queryAudit(store, { action: 'config-changed' })).items, [], 'nothing recorded');

  // The store takes writes again: the next start records the config it could not record before.
  refuse = false;
  const next = composeHubwarden({ config: configWith(20), store, auditFile: false, keyring: Keyring.fromKey(randomBytes(32)) });
  await next.start();
  await next.stop(0);
  assert.equal((await queryAudit(store, { action: 'config-changed' })).items.length, 1);
});

test('the service audits a secret rotated behind the same secret reference at start, once, with the key file\'s key (agent/audit/credential-rotation.ts)', async () => {
  const store = new MemoryStore();
  await store.open();
  const keyring = Keyring.fromKey(randomBytes(32)); // one key file across the restarts
  const startWith = async (scimToken: string) => {
    const hubwarden = composeHubwarden({ config: configWith(20, { SCIM_A: scimToken }), store, auditFile: false, keyring });
    await hubwarden.start();
    await hubwarden.stop(0);
    return (await queryAudit(store, { action: 'credential-rotated' })).items;
  };
  assert.equal((await startWith(ENV.SCIM_A)).length, 0, 'the first start records the fingerprints');
  const entries = await startWith('scim-token-compose-rotated-0123456789');
  assert.deepEqual(entries.map((e) => [e.hubId, e.subject?.label]), [['hub-a', 'hub hub-a: scim.tokens[0]']]);
  assert.equal((await startWith('scim-token-compose-rotated-0123456789')).length, 1, 'the same secret again: nothing');
});
