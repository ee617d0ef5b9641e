import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { defineConnector, type ConnectorDefinition } from '../connectors/sdk/connector.ts';
import { secretRef } from '../connectors/sdk/secret-ref.ts';
import { formatPath } from './load.ts';
import { hubSchemaOf } from './schema.ts';

/**
 * The hub schema comes from a connector's definition, not from any one app: a made-up one-role-
 * per-asset connector gets its own block, roles and grant fields checked, with path-naming errors.
 */
const ranks = ['ADMIN', 'OPERATOR', 'ANALYST'];
const demo = defineConnector({
  id: 'demo-hub', label: 'Demo', hub: { key: 'demo', schema: z.object({ centerId: z.string().regex(/^\d+$/), token: secretRef.optional() }).strict() },
  partner: z.object({ centerId: z.string() }).strict(),
  roles: { ranking: ['ADMIN', 'STANDARD'], assignable: ['ADMIN', 'STANDARD'], admin: 'ADMIN' },
  assetTypes: {
    account: {
      label: 'account', id: z.string().regex(/^\d+$/, 'expected digits'), grant: { role: z.enum(ranks) },
      accessOf: (g) => [g.role as string], isSupported: (a) => a.length === 1 && ranks.includes(a[0]!),
      combine: (all) => [all.flat().sort((a, b) => ranks.indexOf(a) - ranks.indexOf(b))[0]!],
    },
  },
  rateLimitScope: () => 'app', meanings: {}, config: z.object({}), settings: () => ({}),
  create: () => ({ id: 'demo-hub', limits: { assetsPerAssignmentRead: 1 } }),
}) as unknown as ConnectorDefinition;

const problems = (hub: unknown) => {
  const r = hubSchemaOf(demo).safeParse(hub);
  return r.success ? [] : r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
};

test('a connector definition gives its hubs their block, roles and grant fields', () => {
  const ok = { id: 'd', connector: 'demo-hub', demo: { centerId: '7' }, teams: [{ group: 'G', appRole: 'STANDARD', assets: [{ type: 'account', id: '71', role: 'OPERATOR' }] }], partners: [{ centerId: '9' }] };
  assert.deepEqual(problems(ok), []);
  const parsed = hubSchemaOf(demo).parse(ok) as { teams: Array<{ hubRole: string }> };
  assert.equal(parsed.teams[0]!.hubRole, 'collaborator', 'common defaults still apply');
});

test('what the definition does not allow is named by its path', () => {
  const found = problems({
    id: 'd', connector: 'demo-hub', demo: { centerId: 'x' }, meta: { businessId: '1' },
    teams: [{ group: 'G', appRole: 'EMPLOYEE', assets: [{ type: 'account', id: '71', tasks: ['ADVERTISE'] }, { type: 'page', id: '1', role: 'ADMIN' }] }],
  });
  assert.ok(found.some((p) => /^demo\.centerId: /.test(p)), found.join('\n'));
  assert.ok(found.some((p) => /^\(root\): Unrecognized key: "meta"/.test(p)), found.join('\n'));
  assert.ok(found.some((p) => /^teams\[0\]\.appRole: .*"ADMIN".*"STANDARD"/.test(p)), found.join('\n'));
  assert.ok(found.some((p) => /^teams\[0\]\.assets\[0\]\.role: /.test(p)), found.join('\n'));
  assert.ok(found.some((p) => /^teams\[0\]\.assets\[1\]\.type: .*"account"/.test(p)), found.join('\n'));
});
