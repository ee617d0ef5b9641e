import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from './load.ts';
import { connectorBlock } from './schema.ts';
import { readFileSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));

test('the shipped config (config/hubwarden.yaml) is valid and describes the sandbox hub', () => {
  const path = join(here, 'hubwarden.yaml');
  // token files are created by `npm start` on first start; stand them in through env-free parsing
  const text = readFileSync(path, 'utf8').replaceAll('file:../data/sandbox-scim-token', 'env:T1').replaceAll('file:../data/admin-token', 'env:T2');
  const { file } = parseConfig(text, path, { T1: 'a', T2: 'b' });
  assert.equal(file.hubs.length, 1);
  const hub = file.hubs[0]!;
  assert.equal(hub.id, 'sandbox');
  const block = connectorBlock(hub) as { graphBaseUrl: string; businessId: string };
  assert.equal(block.graphBaseUrl, 'sandbox');
  assert.equal(block.businessId, '1000000000000001');
  assert.deepEqual(hub.teams.map((t) => [t.group, t.appRole, t.hubRole]), [['Meta Admins', 'ADMIN', 'owner'], ['Meta Advertisers', 'EMPLOYEE', 'collaborator']]);
  assert.deepEqual(hub.teams[1]!.assets.map((a) => [a.type, a.id, a.tasks]), [['ad_account', 'act_111', ['ADVERTISE', 'ANALYZE']], ['page', '222', ['ADVERTISE', 'ANALYZE']]]);
  assert.equal(hub.checkForUpdates.schedule, '0 3 * * *');
  assert.equal(file.store.kind, 'lowdb');
  // the references main.ts creates files for on first start
  assert.match(readFileSync(path, 'utf8'), /tokens: \[file:\.\.\/data\/sandbox-scim-token\]/);
  assert.match(readFileSync(path, 'utf8'), /adminTokens: \[file:\.\.\/data\/admin-token\]/);
});
