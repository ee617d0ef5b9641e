import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import type { MetaFixture } from './emulator/fixture.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { BATCH_LIMIT } from './graph-client.ts';
import { log } from './alternative-fetch.test-double.ts';
import { runCheckForUpdates } from '../../agent/check-for-updates/run-check.ts';
import { actualOf } from '../../agent/plan/plan-input.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { configSchema } from '../../config/schema.ts';
import '../../agent/app-state/records.ts';

/**
 * `GET /{business}/system_users` is listed by the check for updates (the system users section),
 * and the holders of the assets are typed against that listing by the agent
 * (agent/check-for-updates/read-app.ts holdersByListing). The assignments read asks Graph nothing
 * more about who is a system user: every call counts against the business's rate limit
 * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting), so one check lists the
 * system users once, however many batches of assets it reads the holders of.
 */
const HUB = 'acme-meta';
const hub = configSchema.parse({ hubs: [{ id: HUB, connector: 'meta-business', meta: { businessId: SANDBOX.businessId } }] }).hubs[0];
const silent = { info() {}, warn() {} };
let clock = Date.parse('2026-12-01T10:00:00.000Z');
const now = () => new Date((clock += 1000));
const SYSTEM_USERS = `/${SANDBOX.businessId}/system_users`;
const employee = SANDBOX.employees[0];

/** The sandbox with `extra` more ad accounts, each held by an employee and the system user. */
function business(extra: number): MetaFixture {
  const f = sandboxFixture();
  for (let i = 0; i < extra; i++) {
    const id = `act_${9000 + i}`;
    f.assets.push({ type: 'ad_account', id, name: `Account ${i}`, ownerBusinessId: SANDBOX.businessId });
    f.assignments.push({ assetId: id, userId: employee, tasks: ['ANALYZE'] }, { assetId: id, userId: SANDBOX.systemUserId, tasks: ['MANAGE'] });
  }
  return f;
}

describe('meta-business: one check for updates lists the system users once', () => {
  const server = listeningEmulator();
  const { emulator } = server;

  for (const extra of [0, 2 * BATCH_LIMIT]) {
    test(`${5 + extra} assets (${Math.ceil((5 + extra) / BATCH_LIMIT)} assignment batches): system_users asked once, every holder typed`, async () => {
      emulator.control.seed(business(extra));
      emulator.control.setFaults({});
      emulator.control.clearCalls();
      let requests = 0;
      const connector = createMetaBusiness(
        { businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url },
        { log, onCall: () => void requests++ },
      );
      const store = new MemoryStore();
      const run = await runCheckForUpdates({ store, hub, connector, trigger: { type: 'admin', actor: 'test' }, taskId: 't1', now, log: silent });
      assert.equal(run.outcome, 'completed');
      const asked = emulator.calls.filter((c) => c.path === SYSTEM_USERS);
      assert.equal(asked.length, 1, `system_users asked ${asked.length} times in one check (${requests} Graph requests in all)`);
      // Every HTTP request the connector made is one the emulator logged (batch operations aside).
      assert.equal(emulator.calls.filter((c) => !c.batch).length, requests);
      const actual = await actualOf(store, HUB);
      assert.equal(actual.complete, true);
      const typeOf = (userId: string) => [...new Set(actual.assignments.filter((a) => a.userId === userId).map((a) => a.userType))];
      assert.equal(actual.assignments.filter((a) => a.userId === SANDBOX.systemUserId).length, 5 + extra);
      assert.deepEqual(typeOf(SANDBOX.systemUserId), ['system-user']);
      assert.deepEqual(typeOf(employee), ['member']);
      console.log(`# ${5 + extra} assets: ${requests} Graph requests, system_users asked ${asked.length} time(s)`);
    });
  }
});
