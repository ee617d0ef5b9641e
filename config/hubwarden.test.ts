import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from './load.ts';
import { connectorBlock } from './schema.ts';
import { readFileSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));

test('the shipped config (config/hubwarden.yaml) is valid and describes the Meta and TikTok sandbox hubs', () => {
  const path = join(here, 'hubwarden.yaml');
  // token files are created by `npm start` on first start; stand them in through env-free parsing
  const text = readFileSync(path, 'utf8').replaceAll('file:../data/sandbox-scim-token', 'env:T1').replaceAll('file:../data/admin-token', 'env:T2')
    .replaceAll('file:../data/tiktok-sandbox-scim-token', 'env:T3');
  const { file } = parseConfig(text, path, { T1: 'a', T2: 'b', T3: 'c' });
  assert.equal(file.hubs.length, 2);
  const hub = file.hubs[0]!;
  assert.equal(hub.id, 'sandbox');
  const block = connectorBlock(hub) as { graphBaseUrl: string; businessId: string };
  assert.equal(block.graphBaseUrl, 'sandbox');
  assert.equal(block.businessId, '1000000000000001');
  assert.deepEqual(hub.teams.map((t) => [t.group, t.appRole, t.hubRole]), [['Meta Admins', 'ADMIN', 'owner'], ['Meta Advertisers', 'EMPLOYEE', 'collaborator']]);
  assert.deepEqual(hub.teams[1]!.assets.map((a) => [a.type, a.id, a.tasks]), [['ad_account', 'act_111', ['ADVERTISE', 'ANALYZE']], ['page', '222', ['ADVERTISE', 'ANALYZE']]]);
  assert.equal(hub.checkForUpdates.schedule, '0 3 * * *');
  assert.equal(file.store.kind, 'lowdb');
  const tiktok = file.hubs[1]!;
  assert.deepEqual([tiktok.id, tiktok.connector], ['tiktok-sandbox', 'tiktok-business']);
  const tiktokBlock = connectorBlock(tiktok) as { apiBaseUrl: string; businessCenterId: string; apiVersion: string };
  assert.deepEqual([tiktokBlock.apiBaseUrl, tiktokBlock.businessCenterId, tiktokBlock.apiVersion], ['sandbox', '7000000000000000001', 'v1.3']);
  assert.deepEqual(tiktok.teams.map((t) => [t.group, t.appRole]), [['TikTok Admins', 'ADMIN'], ['TikTok Advertisers', 'STANDARD']]);
  assert.deepEqual(tiktok.teams[1]!.assets.map((a) => [a.type, a.id, (a as { role?: unknown }).role]), [['ad_account', '7100000000000000001', 'OPERATOR'], ['tiktok_account', '7100000000000000201', ['POST']]]);
  assert.deepEqual(tiktok.partners, [{ businessCenterId: '7000000000000000009' }]);
  // the secret references main.ts creates files for on first start
  assert.match(readFileSync(path, 'utf8'), /tokens: \[file:\.\.\/data\/sandbox-scim-token\]/);
  assert.match(readFileSync(path, 'utf8'), /tokens: \[file:\.\.\/data\/tiktok-sandbox-scim-token\]/);
  assert.match(readFileSync(path, 'utf8'), /adminTokens: \[file:\.\.\/data\/admin-token\]/);
});
