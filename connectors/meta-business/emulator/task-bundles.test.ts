import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTaskBundle } from './task-bundles.ts';
import { GraphError } from './graph-error.ts';
import type { AssetType } from './model.ts';

const ok: Array<[AssetType, string[]]> = [
  ['ad_account', ['ANALYZE']],
  ['ad_account', ['ADVERTISE', 'ANALYZE']],
  ['ad_account', ['ANALYZE', 'ADVERTISE', 'MANAGE']],
  ['ad_account', ['MANAGE', 'ADVERTISE', 'ANALYZE', 'DRAFT', 'AA_ANALYZE']],
  ['page', ['MANAGE', 'CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE']],
  ['page', ['MANAGE', 'CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE', 'DRAFT', 'MESSAGING']],
  ['page', ['ADVERTISE', 'ANALYZE', 'DRAFT']],
  ['page', ['DRAFT']],
  ['catalog', ['MANAGE', 'ADVERTISE']],
  ['catalog', ['ADVERTISE', 'AA_ANALYZE']],
  ['pixel', ['EDIT', 'ADVERTISE', 'ANALYZE', 'UPLOAD']],
];
const unsupported: Array<[AssetType, string[]]> = [
  ['ad_account', ['MANAGE']],
  ['ad_account', ['MANAGE', 'ANALYZE']],
  ['ad_account', ['ADVERTISE']],
  ['ad_account', ['DRAFT']],
  ['ad_account', []],
  ['page', ['MANAGE', 'ANALYZE']],
  ['page', ['MESSAGING']],
  ['catalog', ['MANAGE_AR']],
  ['catalog', ['MANAGE']],
  ['catalog', ['MANAGE', 'AA_ANALYZE']],
  ['pixel', ['EDIT']],
];
const badNames: Array<[AssetType, string[]]> = [
  ['ad_account', ['ADMIN']],
  ['catalog', ['ANALYZE']],
  ['pixel', ['MANAGE']],
];

describe('asset task bundles (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users, https://developers.facebook.com/docs/marketing-api/business-manager/system-user/permissions)', () => {
  for (const [type, tasks] of ok) test(`${type} accepts ${tasks.join('+')}`, () => assert.deepEqual(checkTaskBundle(type, tasks).sort(), [...new Set(tasks)].sort()));
  for (const [type, tasks] of unsupported) {
    test(`${type} rejects ${tasks.join('+') || '(none)'} with 100/1752129`, () =>
      assert.throws(() => checkTaskBundle(type, tasks), (e: unknown) => e instanceof GraphError && e.code === 100 && e.subcode === 1752129));
  }
  for (const [type, tasks] of badNames) {
    test(`${type} rejects unknown task ${tasks[0]} as a bad enum (100, no subcode)`, () =>
      assert.throws(() => checkTaskBundle(type, tasks), (e: unknown) => e instanceof GraphError && e.code === 100 && e.subcode === undefined && /must be one of/.test(e.message)));
  }
});
