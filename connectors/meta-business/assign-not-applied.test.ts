import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { HubConnector } from '../sdk/connector.ts';
import { log } from './alternative-fetch.test-double.ts';

/**
 * An assign says whether it may have reached Meta (ConnectorError.notApplied): the agent counts a
 * grant it tried to make and never recorded as its own (agent/app-state/grant-maker.ts), so one
 * Meta refused or throttled, or never sent, must say it made nothing; one whose answer was lost
 * must not.
 */
describe('meta-business assignAsset: refused or unsent is not applied, a lost answer may have landed', () => {
  const server = listeningEmulator();
  const { emulator } = server;
  const connector = (): HubConnector => {
    emulator.control.seed(sandboxFixture());
    emulator.control.setFaults({});
    return createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
  };
  const input = { asset: { type: 'ad_account' as const, id: SANDBOX.adAccounts[1] }, userId: SANDBOX.employees[3], tasks: ['ADVERTISE', 'ANALYZE'] };
  const notApplied = (kind: string) => (e: unknown) => e instanceof ConnectorError && e.kind === kind && e.notApplied === true;

  test('a throttled POST (code 17) made nothing', async () => {
    const c = connector();
    // The read of the asset's people passes; the POST is throttled.
    emulator.control.setFaults({ throttle: { code: 17, afterCalls: 1, match: 'assigned_users' } });
    await assert.rejects(c.assignAsset!(input), notApplied('rate-limited'));
  });

  test('a failed read before the POST sent nothing', async () => {
    const c = connector();
    emulator.control.setFaults({ throttle: { code: 17, match: 'assigned_users' } });
    await assert.rejects(c.assignAsset!(input), notApplied('rate-limited'));
  });

  test('a task bundle Meta does not support is refused before any call', async () => {
    const c = connector();
    await assert.rejects(c.assignAsset!({ ...input, tasks: ['MANAGE'] }), notApplied('invalid-argument'));
  });

  test('a POST whose answer was lost may have landed: not marked', async () => {
    const c = connector();
    emulator.control.setFaults({ lostReply: { match: 'assigned_users' } });
    await assert.rejects(c.assignAsset!(input), (e: unknown) => e instanceof ConnectorError && !e.notApplied);
  });

  test('a member no longer business-scoped (100/1752100) is not-found, the contract\'s word for a stale view', async () => {
    const c = connector();
    // Not a user of the business: Graph answers 100/1752100 "User is not business-scoped".
    await assert.rejects(c.assignAsset!({ ...input, userId: '99999999999' }), (e: unknown) => notApplied('not-found')(e) && (e as ConnectorError).providerCode === '100/1752100');
  });
});
