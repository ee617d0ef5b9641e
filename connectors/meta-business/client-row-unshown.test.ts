import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { AppPartner } from '../sdk/hub-model.ts';
import { createMetaBusiness } from './connector.ts';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { all, alternativeFetch, log, type Reading } from './alternative-fetch.test-double.ts';
import { listeningEmulator } from './test-emulator.ts';

/**
 * The `clients` half of the partner listing, read by the business a partner shared with (here the
 * sandbox's partner, to which the sandbox business shares act_111). Meta's B2B guide
 * (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business)
 * gives the permission lists of `GET /{business}/clients` as default edge fields and says nothing
 * of a row without one. Such a kind is read from the business's own `client_*` edge (API spec
 * `Business.json`; `fields=id,permitted_tasks,business`, all in the fields file), each asset
 * attributed to the client its `business` names (read/partners.ts `clientShares`); an asset
 * answered without `business` fails the listing, never a share dropped as "not that client's".
 */
const CLIENT = SANDBOX.businessId;
const ME = SANDBOX.partner.businessId;

/** `GET /{me}/clients` answered without `adaccount_permissions` on any row; `also` rewrites other answers. */
const listLeftOut = (also: Reading = (_op, forward) => forward()): Reading => async (op, forward) => {
  const a = await also(op, forward);
  if (op.method === 'GET' && op.path === `${ME}/clients`) for (const row of a.body.data ?? []) delete row.adaccount_permissions;
  return a;
};

const adAccountShares = (partners: AppPartner[]) => partners
  .filter((p) => p.businessId === CLIENT && p.relation === 'client')
  .flatMap((p) => p.assets.filter((a) => a.type === 'ad_account').map((a) => `${a.id}:${[...a.permittedTasks].sort().join(',')}`))
  .sort();

describe('partner listing: a client row without its ad account permissions', () => {
  const server = listeningEmulator();
  const connector = (reading?: Reading) => {
    server.emulator.control.seed(sandboxFixture());
    server.emulator.control.setFaults({});
    return createMetaBusiness({ businessId: ME, accessToken: SANDBOX.partner.token, graphBaseUrl: server.url }, { log, ...(reading ? { fetch: alternativeFetch(reading) } : {}) });
  };

  test('the ad account shares are read from client_ad_accounts by their owner, the same as the row shows them', async () => {
    const whole = adAccountShares(await all((cur) => connector().listPartners!(cur)));
    assert.deepEqual(whole, ['act_111:ADVERTISE,ANALYZE'], 'the sandbox business shares act_111 with its partner');
    server.emulator.control.clearCalls();
    const partners = await all((cur) => connector(listLeftOut()).listPartners!(cur));
    assert.deepEqual(adAccountShares(partners), whole, 'not read as "no ad account shared"');
    const asked = server.emulator.calls.filter((c) => c.path === `/${ME}/client_ad_accounts`);
    assert.deepEqual(asked.map((c) => c.query.fields), ['id,permitted_tasks,business'], 'one documented read of the client edge settles the row');
  });

  test('a client asset answered without its owning business: the listing fails, never the share dropped', async () => {
    const ownerLeftOut: Reading = async (op, forward) => {
      const a = await forward();
      if (op.method === 'GET' && op.path === `${ME}/client_ad_accounts`) for (const row of a.body.data ?? []) delete row.business;
      return a;
    };
    await assert.rejects(all((cur) => connector(listLeftOut(ownerLeftOut)).listPartners!(cur)),
      (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable' && e.providerCode === 'field-missing' && /without its business/.test(e.message));
  });
});
