import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { emptyApp, fakeConnector, type FakeApp } from './fake-app.test-double.ts';
import { TEST_ASSET_TYPES } from './fake-app.test-double.ts';
import { READS_IN_FLIGHT, readApp } from './read-app.ts';

/** The connector with every listing answering after `ms`, and the most calls seen in flight at once (and now). */
function slow(connector: HubConnector, ms: number): HubConnector & { maxInFlight: () => number; inFlightNow: () => number } {
  let inFlight = 0;
  let max = 0;
  const wrapped = new Proxy(connector, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || !prop.startsWith('list')) return value;
      return async (...args: unknown[]) => {
        inFlight++;
        max = Math.max(max, inFlight);
        try {
          await new Promise((r) => setTimeout(r, ms));
          return await value.apply(target, args);
        } finally {
          inFlight--;
        }
      };
    },
  });
  return Object.assign(wrapped, { maxInFlight: () => max, inFlightNow: () => inFlight });
}

function business(): FakeApp {
  const app = emptyApp();
  for (let i = 0; i < 9; i++) app.members.push({ id: `m${i}`, email: `m${i}@example.com`, name: `M ${i}`, role: 'EMPLOYEE' });
  for (let i = 0; i < 3; i++) app.invites.push({ id: `i${i}`, email: `i${i}@example.com`, role: 'EMPLOYEE', status: 'pending' });
  app.assets.push({ type: 'page', id: 'p1', ownership: 'owned' }, { type: 'ad_account', id: 'act_1', ownership: 'owned' }, { type: 'ad_account', id: 'act_2', ownership: 'owned' });
  for (let i = 0; i < 20; i++) app.assets.push({ type: 'catalog', id: `c${i}`, ownership: 'owned' });
  for (const a of app.assets) app.assignments.push({ asset: { type: a.type, id: a.id }, userId: 'm1', userType: 'member', tasks: ['MANAGE'] });
  return app;
}

describe('reading the whole app', () => {
  test('independent listings and assignment chunks are read side by side, results in a fixed order', async () => {
    const app = business();
    const connector = slow(fakeConnector(app, 2), 5);
    const reading = await readApp(connector, { assetTypes: TEST_ASSET_TYPES, partnersWithToken: [] });
    assert.ok(connector.maxInFlight() > 1, `one call at a time (${connector.maxInFlight()})`);
    assert.ok(connector.maxInFlight() <= READS_IN_FLIGHT + 8, `too many calls at once (${connector.maxInFlight()})`);
    assert.deepEqual(reading.members.map((m) => m.id), app.members.map((m) => m.id));
    // Assets by type in the fixed type order, whatever listing answered first.
    assert.deepEqual(reading.assets.map((a) => a.id), ['act_1', 'act_2', 'p1', ...Array.from({ length: 20 }, (_, i) => `c${i}`)]);
    assert.deepEqual(reading.assignments.map((a) => a.asset.id), reading.assets.map((a) => a.id));
    assert.deepEqual(reading.assetTypes, ['ad_account', 'page', 'catalog', 'pixel']);
  });

  test('a listing that fails stops the others: no further pages are read', async () => {
    const app = business();
    for (let i = 9; i < 200; i++) app.members.push({ id: `m${i}`, email: `m${i}@example.com`, name: `M ${i}`, role: 'EMPLOYEE' });
    const fake = fakeConnector(app, 2);
    fake.failOn = { listing: 'listInvites', kind: 'unavailable' };
    await assert.rejects(readApp(slow(fake, 2), { assetTypes: TEST_ASSET_TYPES, partnersWithToken: [] }), /listInvites: unavailable/);
    await new Promise((r) => setTimeout(r, 30));
    const memberPages = fake.calls.filter((c) => c === 'listMembers').length;
    assert.ok(memberPages < 10, `members kept being read after the failure (${memberPages} pages of 100)`);
    assert.equal(fake.calls.filter((c) => c === 'listAssignments').length, 0);
  });

  test('a read that failed or was stopped rejects only once none of its calls is in flight (none left calling the app unwatched)', async () => {
    const app = business();
    for (let i = 9; i < 200; i++) app.members.push({ id: `m${i}`, email: `m${i}@example.com`, name: `M ${i}`, role: 'EMPLOYEE' });
    const fake = fakeConnector(app, 2);
    fake.failOn = { listing: 'listInvites', kind: 'unavailable' };
    const connector = slow(fake, 20);
    let inFlightAtRejection = -1;
    await assert.rejects(readApp(connector, { assetTypes: TEST_ASSET_TYPES, partnersWithToken: [] }).finally(() => (inFlightAtRejection = connector.inFlightNow())), /listInvites: unavailable/);
    assert.equal(inFlightAtRejection, 0);

    const stop = new AbortController();
    fake.failOn = undefined;
    const stopped = readApp(connector, { assetTypes: TEST_ASSET_TYPES, partnersWithToken: [], signal: stop.signal }).finally(() => (inFlightAtRejection = connector.inFlightNow()));
    setTimeout(() => stop.abort(new Error('agent stopping')), 30);
    await assert.rejects(stopped, /agent stopping/);
    assert.equal(inFlightAtRejection, 0);
  });
});
