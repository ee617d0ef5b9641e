import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.ts';
import { postgresForTests } from '../../test/postgres.ts';
import { postgresReplicas, until } from '../../test/postgres-replicas.ts';
import { createHubConnector } from '../hub-connector.ts';
import { connectorBlocksToStore } from './scope-blocks.ts';
import { TaskRunner } from './task-runner.ts';
import { tiktokHubConfig } from '../../connectors/tiktok-business/test-setup.ts';

/**
 * A throttle one replica's connector finds by itself, outside any task's outcome: here a usage
 * header (X-Business-Use-Case-Usage) naming an ad account out of quota on an answer that
 * succeeded ("estimated_time_to_regain_access: Time in minutes until calls will not longer be
 * throttled", https://developers.facebook.com/docs/graph-api/overview/rate-limiting). The limits
 * are per business and app, and "continued calls extend the block": the other replicas must
 * hold the scope too, not call into it until their own call is throttled.
 */
const db = await postgresForTests();
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const ENV = { TOKEN: 'token-connector-blocks-0123456789' };
const config = parseConfig(`
hubs:
  - id: hub-a
    connector: meta-business
    meta: { businessId: "1111111111", accessToken: env:TOKEN, graphBaseUrl: "https://graph.test" }
    teams:
      - { group: Admins, hubRole: owner, appRole: ADMIN }
`, '/tmp/hubwarden-connector-blocks/hubwarden.yaml', ENV);
const hub = config.file.hubs[0]!;

/** Every answer: no members, and the ad account 222 out of quota for 7 minutes. */
const throttledHeader: typeof fetch = async () => new Response(JSON.stringify({ data: [] }), {
  status: 200,
  headers: {
    'content-type': 'application/json',
    'x-business-use-case-usage': JSON.stringify({ 222: [{ type: 'ads_management', call_count: 100, total_cputime: 20, total_time: 20, estimated_time_to_regain_access: 7 }] }),
  },
});

describe('rate-limit blocks a connector found, across replicas (PostgreSQL)', { skip: db.skip }, () => {
  const { freshSchema, replica } = postgresReplicas(db);

  test('a usage header seen by replica A holds the ad account on replica B', async (t) => {
    const schema = freshSchema('connector-blocks');
    const a = await replica(schema);
    const b = await replica(schema);
    t.after(() => Promise.all([a.close(), b.close()]));
    const connectorA = createHubConnector(hub, config, { log: silent, fetch: throttledHeader, onBlock: connectorBlocksToStore(a, silent) });
    const connectorB = createHubConnector(hub, config, { log: silent, fetch: throttledHeader, onBlock: connectorBlocksToStore(b, silent) });
    const runnerB = new TaskRunner({ store: b, handlers: [], hubs: () => new Map(), connectorFor: (id) => (id === hub.id ? connectorB : undefined), log: silent, pollMs: 50 });
    t.after(() => runnerB.stop());
    await runnerB.start();

    const before = Date.now();
    await connectorA.listMembers!();
    assert.ok((connectorA.rateLimits!().blockedUntil['222'] ?? 0) >= before + 6 * 60_000, 'A holds the ad account');
    await until('B holds the ad account A found throttled', () => (connectorB.rateLimits!().blockedUntil['222'] ?? 0) >= before + 6 * 60_000);
    const recorded = await b.get('rateLimitBlocks', hub.id, '222');
    assert.ok(recorded && Date.parse(recorded.until) >= before + 6 * 60_000, 'recorded in the store, for replicas started later');
  });

  test('a TikTok throttle (40100) seen by replica A pauses the hub on replica B', async (t) => {
    // TikTok's limits are per developer app ("Rate limits",
    // https://business-api.tiktok.com/portal/docs/rate-limits/v1.3): one replica's 40100 is the
    // whole app's, so the app scope, which every call counts against, holds on every replica.
    const tiktok = tiktokHubConfig('https://tiktok.test', 'connector-blocks').file.hubs[0]!;
    const throttled: typeof fetch = async () => new Response(JSON.stringify({ code: 40100, message: 'Requests made too frequently', request_id: 'r', data: {} }), { status: 200, headers: { 'content-type': 'application/json' } });
    const schema = freshSchema('connector-blocks-app');
    const a = await replica(schema);
    const b = await replica(schema);
    t.after(() => Promise.all([a.close(), b.close()]));
    const connectorA = createHubConnector(tiktok, config, { log: silent, fetch: throttled, onBlock: connectorBlocksToStore(a, silent) });
    const connectorB = createHubConnector(tiktok, config, { log: silent, fetch: throttled, onBlock: connectorBlocksToStore(b, silent) });
    const runnerB = new TaskRunner({ store: b, handlers: [], hubs: () => new Map(), connectorFor: (id) => (id === tiktok.id ? connectorB : undefined), log: silent, pollMs: 50 });
    t.after(() => runnerB.stop());
    await runnerB.start();

    await assert.rejects(connectorA.listMembers!(), { kind: 'rate-limited' });
    const blockedA = connectorA.rateLimits!().blockedUntil['app'] ?? 0;
    assert.ok(blockedA > Date.now(), 'A pauses the app scope');
    await until('B pauses the app scope A found throttled', () => (connectorB.rateLimits!().blockedUntil['app'] ?? 0) >= blockedA);
    await assert.rejects(connectorB.listMembers!(), { kind: 'rate-limited', providerCode: 'local' }, 'B refuses without calling');
  });
});
