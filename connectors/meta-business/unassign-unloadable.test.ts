import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../sdk/connector-error.ts';
import { SANDBOX } from './emulator/index.ts';
import { graphError, servedEmulator, type Reading } from './alternative-fetch.test-double.ts';

/**
 * Removing someone from an asset whose people Graph answers as a missing object (100/33). Graph's
 * words for it: "does not exist, cannot be loaded due to missing permissions, or does not support
 * this operation" (https://developers.facebook.com/docs/graph-api/guides/error-handling), and a
 * Page's people are documented for a Page token
 * (https://developers.facebook.com/docs/graph-api/reference/page/assigned_users): a Graph written
 * from the same Meta docs may answer a system user's token so for a Page the business owns. Taken
 * as "nobody there", the removal was audited done while the person kept the Page.
 */
const unsupported = (id: string) => graphError(100, `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`, { error_subcode: 33, type: 'GraphMethodException' });

/** Page 222's people answered 100/33 (GET and DELETE), everything else as our emulator answers. */
const pagePeopleUnloadable: Reading = async (op, forward) => (op.path === '222/assigned_users' ? unsupported('222') : forward());

describe('unassign when Graph will not load the asset\'s people (100/33)', () => {
  const served = servedEmulator();
  const dan = SANDBOX.employees[3];

  test('the business still lists the asset: the removal fails (not applied), never already-done, and no DELETE is sent', async () => {
    const deletes: string[] = [];
    const c = served.connector(async (op, forward) => {
      if (op.method === 'DELETE') deletes.push(op.path);
      return pagePeopleUnloadable(op, forward);
    });
    assert.ok(served.emulator.control.state().assignments.some((a) => a.assetId === '222' && a.userId === dan), 'Dan holds tasks on page 222');
    await assert.rejects(c.unassignAsset!({ asset: { type: 'page', id: '222' }, userId: dan }), (e: unknown) =>
      e instanceof ConnectorError && e.kind === 'not-found' && e.notApplied === true && /still lists it/.test(e.message) && /nothing was removed/.test(e.message));
    assert.ok(served.emulator.control.state().assignments.some((a) => a.assetId === '222' && a.userId === dan), 'Dan still holds page 222');
    assert.deepEqual(deletes, [], 'nothing was sent to remove him on a guess');
  });

  test('the asset has left the business (deleted or unshared): already-done, as before', async () => {
    const c = served.connector();
    assert.equal(await c.unassignAsset!({ asset: { type: 'ad_account', id: 'act_999999' }, userId: dan }), 'already-done');
  });

  test('the DELETE refused and the re-read answers 100/33 for an asset still listed: the error stands', async () => {
    // The first read loads the people; from the DELETE on, Graph will not load them.
    let refusing = false;
    const c = served.connector(async (op, forward) => {
      if (op.path === '222/assigned_users' && op.method === 'DELETE') refusing = true;
      return refusing && op.path === '222/assigned_users' ? unsupported('222') : forward();
    });
    await assert.rejects(c.unassignAsset!({ asset: { type: 'page', id: '222' }, userId: dan }), (e: unknown) =>
      e instanceof ConnectorError && e.kind === 'not-found' && e.notApplied === true && /still lists it/.test(e.message));
    assert.ok(served.emulator.control.state().assignments.some((a) => a.assetId === '222' && a.userId === dan), 'Dan still holds page 222');
  });

  test('the client edge refused (a listing marked incomplete, not thrown): a client ad account whose people answer 100/33 is not known gone, the removal fails (not applied)', async () => {
    // Meta limits client_ad_accounts (README [INF]): the owned edge lists, the client edge answers #200.
    const c = served.connector(async (op, forward) => {
      if (op.path.endsWith('/client_ad_accounts')) return graphError(200, '(#200) Permissions error');
      return op.path === 'act_555/assigned_users' ? unsupported('act_555') : forward();
    });
    await assert.rejects(c.unassignAsset!({ asset: { type: 'ad_account', id: 'act_555' }, userId: dan }), (e: unknown) =>
      e instanceof ConnectorError && e.kind === 'not-found' && e.notApplied === true && /nothing was removed/.test(e.message));
    // Its assignments read by a check for updates: unknown (unavailable), never "nobody assigned".
    await assert.rejects(c.listAssignments!([{ type: 'ad_account', id: 'act_555' }]), (e: unknown) =>
      e instanceof ConnectorError && e.kind === 'unavailable' && /act_555/.test(e.message) && /only in part/.test(e.message));
  });

  test('a check for updates reading assignments: a listed asset whose people answer 100/33 fails the read (unavailable), never "nobody assigned"', async () => {
    const c = served.connector(pagePeopleUnloadable);
    const assets = [{ type: 'ad_account' as const, id: 'act_111' }, { type: 'page' as const, id: '222' }];
    await assert.rejects(c.listAssignments!(assets), (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable' && /page 222/.test(e.message));
    // An asset that has left the business (deleted, unshared) still reads as nobody assigned.
    const gone = await c.listAssignments!([{ type: 'ad_account', id: 'act_111' }, { type: 'ad_account', id: 'act_999999' }]);
    assert.ok(gone.length > 0 && gone.every((a) => a.asset.id === 'act_111'));
  });

  test('a person\'s re-read: a listed asset whose people answer 100/33 fails the read (unavailable), never reported gone', async () => {
    const c = served.connector(pagePeopleUnloadable);
    await assert.rejects(c.readPerson!({ memberId: dan, assets: [{ type: 'ad_account', id: 'act_111' }, { type: 'page', id: '222' }] }), (e: unknown) =>
      e instanceof ConnectorError && e.kind === 'unavailable' && /page 222/.test(e.message));
    // An asset that has left the business (deleted, unshared) is still reported gone.
    const gone = await c.readPerson!({ memberId: dan, assets: [{ type: 'ad_account', id: 'act_999999' }] });
    assert.deepEqual(gone.missingAssets, [{ type: 'ad_account', id: 'act_999999' }]);
  });
});
