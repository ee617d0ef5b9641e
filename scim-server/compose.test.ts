/**
 * What composeHubwarden wires that `npm start` relies on and no single module shows: here, that
 * the service's start audits a config change (agent/audit/config-change.ts) once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../agent/store/memory-store.ts';
import { queryAudit } from '../agent/audit/audit-query.ts';
import { parseConfig } from '../config/load.ts';
import { composeHubwarden } from './compose.ts';

const ENV = { ADMIN_TOKEN: 'admin-token-compose-0123456789', SCIM_A: 'scim-token-compose-0123456789' };
const configWith = (threshold: number) => parseConfig(`
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
`, '/tmp/hubwarden-compose/hubwarden.yaml', ENV);

test('the service audits a changed config at start, once: config-changed with the file and what changed', async () => {
  const store = new MemoryStore();
  await store.open();
  const startWith = async (threshold: number) => {
    const hubwarden = composeHubwarden({ config: configWith(threshold), store, auditFile: false });
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
