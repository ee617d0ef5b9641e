import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bundleName, compareRoles, highestRole, isSupportedTaskSet, unionTasks } from './task-bundles.ts';
import type { AssetType } from '../sdk/hub-model.ts';

describe('compareRoles', () => {
  const table: Array<[string, string, '>' | '<' | '=']> = [
    ['ADMIN', 'EMPLOYEE', '>'],
    ['EMPLOYEE', 'ADMIN', '<'],
    ['ADMIN', 'FINANCE_EDITOR', '>'],
    ['FINANCE_EDITOR', 'FINANCE_ANALYST', '>'],
    ['FINANCE_ANALYST', 'DEVELOPER', '>'],
    ['DEVELOPER', 'ADS_RIGHTS_REVIEWER', '>'],
    ['ADS_RIGHTS_REVIEWER', 'EMPLOYEE', '>'],
    ['EMPLOYEE', 'employee', '='],
    ['EMPLOYEE', 'SOMETHING_NEW', '>'],
  ];
  for (const [a, b, want] of table) {
    test(`${a} ${want} ${b}`, () => {
      const got = compareRoles(a, b);
      assert.equal(want === '>' ? got > 0 : want === '<' ? got < 0 : got === 0, true, `compareRoles=${got}`);
    });
  }
  test('highestRole picks the weightiest', () => {
    assert.equal(highestRole(['EMPLOYEE', 'DEVELOPER', 'FINANCE_ANALYST']), 'FINANCE_ANALYST');
    assert.equal(highestRole([]), undefined);
  });
});

describe('isSupportedTaskSet', () => {
  const table: Array<[AssetType, string[], boolean]> = [
    ['ad_account', ['ANALYZE'], true],
    ['ad_account', ['ADVERTISE', 'ANALYZE'], true],
    ['ad_account', ['ANALYZE', 'ADVERTISE', 'MANAGE'], true],
    ['ad_account', ['MANAGE', 'ADVERTISE', 'ANALYZE', 'DRAFT', 'AA_ANALYZE'], true],
    ['ad_account', ['ANALYZE', 'DRAFT'], true],
    ['ad_account', ['MANAGE'], false],
    ['ad_account', ['MANAGE', 'ANALYZE'], false],
    ['ad_account', ['DRAFT'], false],
    ['ad_account', [], false],
    ['page', ['MANAGE', 'CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE', 'DRAFT'], true],
    ['page', ['ANALYZE', 'DRAFT'], true],
    ['page', ['DRAFT'], true],
    ['page', ['ANALYZE'], true],
    ['page', ['MANAGE', 'CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE'], true],
    ['page', ['ADVERTISE', 'ANALYZE', 'MESSAGING'], true],
    ['page', ['MESSAGING'], false],
    ['page', ['MANAGE'], false],
    // Catalogs and pixels: any set of the API spec's tasks (Meta documents no combinations).
    ['catalog', ['ADVERTISE'], true],
    ['catalog', ['MANAGE', 'ADVERTISE', 'MANAGE_AR'], true],
    ['catalog', ['MANAGE'], true],
    ['catalog', ['ANALYZE'], false],
    ['catalog', [], false],
    ['pixel', ['ANALYZE'], true],
    ['pixel', ['EDIT', 'ADVERTISE', 'ANALYZE', 'UPLOAD'], true],
    ['pixel', ['UPLOAD'], true],
    ['pixel', ['MANAGE'], false],
  ];
  for (const [type, tasks, want] of table) {
    test(`${type} [${tasks.join(',')}] → ${want}`, () => assert.equal(isSupportedTaskSet(type, tasks), want));
  }
});

describe('unionTasks', () => {
  const table: Array<[AssetType, string[][], string[]]> = [
    ['ad_account', [['ANALYZE'], ['ADVERTISE', 'ANALYZE']], ['ADVERTISE', 'ANALYZE']],
    ['ad_account', [['ANALYZE'], ['MANAGE', 'ADVERTISE', 'ANALYZE']], ['MANAGE', 'ADVERTISE', 'ANALYZE']],
    ['ad_account', [['ANALYZE', 'DRAFT'], ['ADVERTISE', 'ANALYZE']], ['ADVERTISE', 'ANALYZE', 'DRAFT']],
    // MANAGE alone is unsupported, so the union lifts it to the admin bundle
    ['ad_account', [['MANAGE']], ['MANAGE', 'ADVERTISE', 'ANALYZE']],
    ['ad_account', [['DRAFT']], ['ANALYZE', 'DRAFT']],
    ['ad_account', [], []],
    ['page', [['ANALYZE', 'DRAFT'], ['MODERATE', 'ADVERTISE', 'ANALYZE', 'DRAFT']], ['MODERATE', 'ADVERTISE', 'ANALYZE', 'DRAFT']],
    ['page', [['DRAFT'], ['CREATE_CONTENT']], ['CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE', 'DRAFT']],
    ['page', [['DRAFT']], ['DRAFT']],
    ['page', [['ANALYZE'], ['MANAGE']], ['MANAGE', 'CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE']],
    ['catalog', [['ADVERTISE'], ['AA_ANALYZE']], ['ADVERTISE', 'AA_ANALYZE']],
    ['pixel', [['ANALYZE', 'UPLOAD'], ['EDIT']], ['EDIT', 'ANALYZE', 'UPLOAD']],
    ['catalog', [['MANAGE'], ['MANAGE_AR']], ['MANAGE', 'MANAGE_AR']],
  ];
  for (const [type, bundles, want] of table) {
    test(`${type} ${JSON.stringify(bundles)} → [${want.join(',')}]`, () => {
      const got = unionTasks(type, bundles);
      assert.deepEqual(got, want);
      if (got.length > 0) assert.equal(isSupportedTaskSet(type, got), true);
    });
  }
  test('an unknown task has no covering bundle', () => {
    assert.throws(() => unionTasks('ad_account', [['ANALYZE'], ['FLY']]), /unknown task FLY/);
    assert.throws(() => unionTasks('page', [['FLY']]), /no supported page task bundle/);
    assert.throws(() => unionTasks('pixel', [['EDIT'], ['FLY']]), /unknown task FLY/);
  });
  test('bundleName names the Meta role', () => {
    assert.equal(bundleName('ad_account', ['ANALYZE', 'ADVERTISE']), 'ADVERTISER');
    assert.equal(bundleName('page', ['ANALYZE', 'DRAFT']), 'INSIGHTS_ANALYST');
    assert.equal(bundleName('page', ['DRAFT']), 'CREATIVE_HUB_MOCKUPS_MANAGER');
    assert.equal(bundleName('ad_account', ['MANAGE']), undefined);
  });
});
