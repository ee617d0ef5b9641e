/**
 * Meta limits access to client_ad_accounts to apps that called it in the last 30 days (README
 * [INF] "Limited access to client_ad_accounts"): a token refused there still lists the business's
 * own ad accounts, with the client part marked incomplete, instead of failing the whole type.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { AppAsset, ListingGap } from '../sdk/hub-model.ts';
import { CLIENT_AD_ACCOUNT, withClientAdAccount } from './client-share.test-double.ts';

const log = { debug() {}, info() {}, warn() {}, error() {} };

describe('meta-business listAssets when the client edge is refused', () => {
  const server = listeningEmulator({ fixture: withClientAdAccount() });
  const { emulator } = server;

  async function listAll(type: string): Promise<{ items: AppAsset[]; gaps: ListingGap[] }> {
    const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
    const items: AppAsset[] = [];
    const gaps: ListingGap[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.listAssets!(type, cursor);
      items.push(...page.items);
      if (page.incomplete) gaps.push(page.incomplete);
      cursor = page.next;
    } while (cursor);
    return { items, gaps };
  }

  test('with access: owned and client ad accounts, nothing incomplete', async () => {
    emulator.control.setGuards({});
    const { items, gaps } = await listAll('ad_account');
    assert.deepEqual(items.map((a) => `${a.ownership}:${a.id}`).sort(), ['client:act_555', 'owned:act_111', 'owned:act_112']);
    assert.deepEqual(gaps, []);
  });

  test('client_ad_accounts refused (permission): the owned ad accounts are listed and the client part is marked incomplete', async () => {
    emulator.control.setGuards({ clientAdAccountsLimited: true });
    try {
      const { items, gaps } = await listAll('ad_account');
      assert.deepEqual(items.map((a) => `${a.ownership}:${a.id}`).sort(), ['owned:act_111', 'owned:act_112']);
      assert.equal(gaps.length, 1);
      assert.equal(gaps[0].ownership, 'client');
      assert.match(gaps[0].reason, /^client ad accounts: .*\(#200\) Permissions error/);
      assert.doesNotMatch(gaps[0].reason, new RegExp(SANDBOX.token));
      assert.ok(!items.some((a) => a.id === CLIENT_AD_ACCOUNT));
      // Other types' client edges stay open and complete.
      assert.deepEqual((await listAll('page')).gaps, []);
    } finally {
      emulator.control.setGuards({});
    }
  });

  test('any other error on the client edge, and any error on the owned edge, still fails the listing', async () => {
    emulator.control.setFaults({ errorRate: 1, match: '/client_ad_accounts$' });
    try {
      await assert.rejects(listAll('ad_account'), (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable');
    } finally {
      emulator.control.setFaults({});
    }
    emulator.control.setFaults({ throttle: { code: 80004, match: '/client_ad_accounts$' } });
    try {
      await assert.rejects(listAll('ad_account'), (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited');
    } finally {
      emulator.control.setFaults({});
    }
    // A token of another business is refused on the owned edge too (Token scoping, README [INF]).
    const stranger = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.partner.token, graphBaseUrl: server.url }, { log });
    await assert.rejects(stranger.listAssets!('ad_account'), (e: unknown) => e instanceof ConnectorError && e.kind === 'permission-denied');
  });
});
