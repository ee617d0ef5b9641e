/**
 * What the watchdog logs while the store is unavailable: every hub's round fails alike, and one
 * error line per hub per round buried the log (an hour's round over many hubs, for as long as the
 * database stays down). One line per round naming how many hubs were skipped, one when it recovers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { Transaction } from '../store/store.ts';
import { StoreUnavailable } from '../store/store-unavailable.ts';
import { startWatchdog } from './watchdog.ts';

/** A memory store whose transactions are refused while `down`, as an unreachable database's are. */
class DownStore extends MemoryStore {
  down = false;
  override transact<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    if (this.down) return Promise.reject(new StoreUnavailable('connection refused', 2));
    return super.transact(fn);
  }
}

const connector: HubConnector = { id: 'fake', limits: { assetsPerAssignmentRead: 50 }, async checkCredential() { return { valid: true, scopes: [], missingScopes: [] }; } };

test('the store down: one line per round naming the hubs skipped, one line when it recovers', async () => {
  const store = new DownStore();
  const lines: Array<{ level: string; msg: string }> = [];
  const log = {
    info: (msg: string) => lines.push({ level: 'info', msg }),
    warn: (msg: string) => lines.push({ level: 'warn', msg }),
    error: (msg: string) => lines.push({ level: 'error', msg }),
  };
  const hubs = ['h1', 'h2', 'h3'].map((id) => ({ id }) as never);
  const dog = startWatchdog({ store, hubs, log, intervalMs: 3_600_000, connectorFor: () => connector });
  dog.stop();

  store.down = true;
  for (let n = 0; n < 3; n++) await dog.runOnce();
  assert.deepEqual(lines.map((l) => l.level), ['error', 'warn', 'warn'], `one line per round, not one per hub: ${JSON.stringify(lines)}`);
  assert.ok(lines.every((l) => /store is unavailable \(connection refused\): 3 of 3 hub\(s\) skipped/.test(l.msg)), JSON.stringify(lines));

  store.down = false;
  await dog.runOnce();
  await dog.runOnce();
  assert.equal(lines.length, 4, JSON.stringify(lines));
  assert.equal(lines[3]!.level, 'info');
  assert.match(lines[3]!.msg, /store is available again; every hub checked \(3 round\(s\)/);
  assert.equal((await store.get('credentialChecks', '', 'h2'))?.valid, true, 'the round after the outage checked the hubs');
});
