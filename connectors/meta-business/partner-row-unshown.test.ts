import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { AppPartner } from '../sdk/hub-model.ts';
import { SANDBOX } from './emulator/index.ts';
import { all, graphError, log, servedEmulator, type Reading } from './alternative-fetch.test-double.ts';

/**
 * Reading the partners when a partner row cannot show its shares. Meta's B2B guide
 * (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business)
 * gives `adaccount_permissions`, `page_permissions` and `productcatalog_permissions` as default edge
 * fields of `GET /{business}/agencies` and `/clients`, each permission object with its `id` and
 * `permitted_tasks`, and says nothing of a row without them. Read as "no share of that kind", a
 * check for updates audited every share of it as gone. A row without a list is settled on each
 * asset (`GET /{asset}/agencies`); a read that cannot settle it fails, never "not shared".
 */
const catalog = SANDBOX.catalogId;
const partner = SANDBOX.partner.businessId;
const agencies = `${SANDBOX.businessId}/agencies`;

/** The business's agencies answered without `field` on any row; `refuse`: GET paths answered 2500. */
function listLeftOut(field: string, refuse: (path: string) => boolean = () => false): Reading {
  return async (op, forward) => {
    if (op.method === 'GET' && refuse(op.path)) return graphError(2500, `Unknown path components: /${op.path.split('/').pop()}`);
    const a = await forward();
    if (op.method === 'GET' && op.path === agencies) for (const row of a.body.data ?? []) delete row[field];
    return a;
  };
}

const unavailable = (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable';
const sharesOf = (partners: AppPartner[], type: string) => partners.filter((p) => p.businessId === partner && p.relation === 'agency').flatMap((p) => p.assets.filter((a) => a.type === type).map((a) => `${a.id}:${[...a.permittedTasks].sort().join(',')}`)).sort();

describe('partner listing when a partner row cannot show its shares', () => {
  const served = servedEmulator();

  test('a partner row without productcatalog_permissions: the catalog share is read on the catalog, not dropped', async () => {
    const share = served.connector();
    assert.equal(await share.shareAsset!({ asset: { type: 'catalog', id: catalog }, partnerBusinessId: partner, tasks: ['ADVERTISE'] }), 'done');
    const whole = sharesOf(await all((c) => share.listPartners!(c)), 'catalog');
    assert.deepEqual(whole, [`${catalog}:ADVERTISE`]);
    const c = served.connector(listLeftOut('productcatalog_permissions'));
    await c.shareAsset!({ asset: { type: 'catalog', id: catalog }, partnerBusinessId: partner, tasks: ['ADVERTISE'] });
    assert.deepEqual(sharesOf(await all((cur) => c.listPartners!(cur)), 'catalog'), whole);
  });

  test('a partner row without adaccount_permissions: the ad account shares are read on each ad account', async () => {
    const whole = sharesOf(await all((c) => served.connector().listPartners!(c)), 'ad_account');
    assert.ok(whole.length > 0, 'the sandbox shares an ad account with the partner');
    const c = served.connector(listLeftOut('adaccount_permissions'));
    assert.deepEqual(sharesOf(await all((cur) => c.listPartners!(cur)), 'ad_account'), whole);
  });

  test('the list left out and the assets\' own partners not readable: the listing fails, never "not shared"', async () => {
    const c = served.connector(listLeftOut('adaccount_permissions', (path) => path.startsWith('act_') && path.endsWith('/agencies')));
    await assert.rejects(all((cur) => c.listPartners!(cur)), (e: unknown) => e instanceof ConnectorError && /agencies/.test(e.message));
  });

  test('a Graph that refuses GET /{catalog}/agencies (2500) and a row without productcatalog_permissions: no catalog share, the other shares listed, one warning', async () => {
    const whole = sharesOf(await all((c) => served.connector().listPartners!(c)), 'ad_account');
    assert.ok(whole.length > 0, 'the sandbox shares an ad account with the partner');
    const warnings: Array<[string, unknown]> = [];
    const logTo = { ...log, warn: (msg: string, fields?: object) => void warnings.push([msg, fields]) };
    const c = served.connector(listLeftOut('productcatalog_permissions', (path) => path === `${catalog}/agencies`), logTo);
    const partners = await all((cur) => c.listPartners!(cur));
    assert.deepEqual(sharesOf(partners, 'ad_account'), whole);
    assert.deepEqual(sharesOf(partners, 'catalog'), []);
    const catalogWarnings = warnings.filter(([msg]) => /catalog/.test(msg));
    assert.equal(catalogWarnings.length, 1);
    const text = JSON.stringify(catalogWarnings[0]);
    assert.match(text, /partner lists of the business's catalogs could not be read/);
    assert.match(text, /2500/);
    assert.ok(!text.includes(SANDBOX.token), 'no token in the warning');
  });

  test('a 5xx on GET /{catalog}/agencies still fails the listing', async () => {
    const c = served.connector(async (op, forward) => {
      if (op.method === 'GET' && op.path === `${catalog}/agencies`) return { status: 500, body: { error: { message: 'An unexpected error has occurred. Please retry your request later.', type: 'OAuthException', code: 2, is_transient: true, fbtrace_id: 'alt' } } };
      return listLeftOut('productcatalog_permissions')(op, forward);
    });
    await assert.rejects(all((cur) => c.listPartners!(cur)), (e: unknown) => unavailable(e) && /catalog/.test((e as Error).message));
  });

  test('a permission object without permitted_tasks: the listing fails, never a share of no tasks', async () => {
    const c = served.connector(async (op, forward) => {
      const a = await forward();
      if (op.method === 'GET' && op.path === agencies) for (const row of a.body.data ?? []) for (const p of row.adaccount_permissions ?? []) delete p.permitted_tasks;
      return a;
    });
    await assert.rejects(all((cur) => c.listPartners!(cur)), (e: unknown) => unavailable(e) && /permitted_tasks/.test((e as Error).message));
  });

  test('a pixel partner without permitted_tasks: the listing fails', async () => {
    const c = served.connector(async (op, forward) => {
      const a = await forward();
      if (op.method === 'GET' && op.path.endsWith('/shared_agencies')) for (const row of a.body.data ?? []) delete row.permitted_tasks;
      return a;
    });
    assert.equal(await c.shareAsset!({ asset: { type: 'pixel', id: SANDBOX.pixelId }, partnerBusinessId: partner, tasks: ['ANALYZE'] }), 'done');
    await assert.rejects(all((cur) => c.listPartners!(cur)), (e: unknown) => unavailable(e) && /permitted_tasks/.test((e as Error).message));
  });
});
