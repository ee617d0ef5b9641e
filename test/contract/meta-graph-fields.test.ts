/**
 * The Graph fields hubwarden uses are Meta's: every `fields=` list the connector sends (a full
 * check for updates, every write, the targeted re-read) and every field the emulator can render
 * is in connectors/meta-business/emulator/graph-fields.json, which is checked against the shared
 * reference copy when one is beside the repository. An unknown field gets Meta's #100 wording.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createMetaEmulator, SANDBOX, type RecordedCall } from '../../connectors/meta-business/emulator/index.ts';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { parseFields, type FieldRequest } from '../../connectors/meta-business/emulator/field-selection.ts';
import { NODE_TYPES } from '../../connectors/meta-business/emulator/node-types.ts';
import { readApp } from '../../agent/check-for-updates/read-app.ts';

const FILE = new URL('../../connectors/meta-business/emulator/graph-fields.json', import.meta.url);
const SHARED = new URL('../../../shared/reference/meta-graph-fields.json', import.meta.url);
interface FieldsFile { apiVersion: string; nodes: Record<string, { fields: string[]; defaults: string[] }>; edges: Record<string, { node: string; edgeFields: string[] }> }
const file: FieldsFile = JSON.parse(readFileSync(FILE, 'utf8'));
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** What may be asked of a node type read on an edge: its fields, the edge's fields, its own edges (expansion). */
function allowed(node: string, edge?: string): Set<string> {
  assert.ok(file.nodes[node], `node type ${node} is in graph-fields.json`);
  const set = new Set(file.nodes[node].fields);
  if (edge) {
    assert.ok(file.edges[edge], `edge ${edge} is in graph-fields.json`);
    for (const f of file.edges[edge].edgeFields) set.add(f);
  }
  for (const k of Object.keys(file.edges)) if (k.startsWith(`${node}/`)) set.add(k.slice(node.length + 1));
  return set;
}

/** Node types of nested fields the connector may select into (`business{id,name}`). */
const NESTED: Record<string, string> = { business: 'Business', owner: 'Business', owner_business: 'Business', business_role_request: 'BusinessRoleRequest' };

function check(node: string, edge: string | undefined, fields: FieldRequest[], where: string, problems: string[]): void {
  const ok = allowed(node, edge);
  for (const f of fields) {
    if (!ok.has(f.name)) problems.push(`${where}: ${f.name} is not a field of ${edge ?? node}`);
    if (!f.children) continue;
    const expanded = file.edges[`${node}/${f.name}`];
    const child = expanded ? expanded.node : NESTED[f.name];
    if (!child) problems.push(`${where}: cannot tell the node type of ${f.name}{…}`);
    else check(child, expanded ? `${node}/${f.name}` : undefined, f.children, where, problems);
  }
}

test('every fields= list the connector sends is in graph-fields.json (full check for updates, every write, the targeted re-read)', async () => {
  const emulator = createMetaEmulator({ inviteVisibility: 'keep-expired' });
  const { url, close } = await emulator.listen(0);
  try {
    const P = SANDBOX.partner;
    const connector = createMetaBusiness({
      businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: url, managedAssetTypes: ['ad_account', 'page', 'catalog', 'pixel'],
      partners: [{ businessId: P.businessId, token: P.token }],
    }, { log: silent });
    const reading = await readApp(connector, { assetTypes: ['ad_account', 'page', 'catalog', 'pixel'], partnersWithToken: [P.businessId] });
    assert.deepEqual(reading.unavailable, [], 'every section read (an unknown field would make one unavailable with Meta\'s #100)');
    assert.ok(reading.members.length > 0 && reading.partners.length > 0 && reading.partnerUsers.length > 0 && reading.assignments.length > 0, 'a full read');
    const [eve, dan] = [reading.members.find((m) => m.email?.startsWith('eve'))!, reading.members.find((m) => m.email?.startsWith('dan'))!];
    const expired = reading.invites.find((i) => i.status === 'expired')!;
    const fresh = await connector.invite!({ email: 'fields.first@sandbox.example', role: 'EMPLOYEE', firstAttempt: true });
    const looked = await connector.invite!({ email: 'fields.retry@sandbox.example', role: 'EMPLOYEE' });
    await connector.changeInviteRole!(fresh.inviteId, 'ADMIN');
    await connector.cancelInvite!(looked.inviteId);
    await connector.reinvite!({ inviteId: expired.id, email: expired.email, role: 'EMPLOYEE' });
    await assert.rejects(connector.invite!({ email: eve.email!, role: 'EMPLOYEE' }), (e: Error & { kind?: string }) => e.kind === 'conflict');
    await connector.changeMemberRole!(eve.id, 'ADMIN');
    await connector.changeMemberRole!(eve.id, 'EMPLOYEE');
    for (const asset of [{ type: 'ad_account' as const, id: 'act_112' }, { type: 'page' as const, id: '222' }, { type: 'catalog' as const, id: '333' }, { type: 'pixel' as const, id: '444' }]) {
      const tasks = asset.type === 'catalog' ? ['ADVERTISE'] : asset.type === 'page' ? ['ADVERTISE', 'ANALYZE', 'DRAFT'] : ['ANALYZE'];
      await connector.assignAsset!({ asset, userId: eve.id, tasks });
      if (asset.type !== 'pixel') await connector.unassignAsset!({ asset, userId: eve.id });
      await connector.shareAsset!({ asset, partnerBusinessId: P.businessId, tasks: asset.type === 'catalog' ? ['ADVERTISE'] : ['ANALYZE'] });
      if (asset.type !== 'pixel') await connector.unshareAsset!({ asset, partnerBusinessId: P.businessId });
    }
    await connector.readPerson!({ email: eve.email, memberId: eve.id, assets: [{ type: 'ad_account', id: 'act_111' }, { type: 'pixel', id: '444' }] });
    await connector.readPerson!({ email: 'accepted.later@sandbox.example', assets: [{ type: 'ad_account', id: 'act_999999' }] });
    await connector.removeMember!(dan.id);
    await connector.checkCredential!();

    const calls: RecordedCall[] = emulator.calls;
    const withFields = calls.filter((c) => typeof (c.query.fields ?? c.body.fields) === 'string');
    assert.ok(withFields.length >= 20, `the connector selects fields on its reads (${withFields.length} calls)`);
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const c of withFields) {
      const where = `${c.method} ${c.path}?fields=${c.query.fields ?? c.body.fields}`;
      if (!c.readOn && c.code === 100) continue; // an id that names nothing (100/33): no node type to check against
      if (!c.readOn) { problems.push(`${where}: the emulator could not tell the node type`); continue; }
      seen.add(c.readOn.edge ?? c.readOn.node);
      const edge = c.readOn.edge ? file.edges[c.readOn.edge] : undefined;
      if (c.readOn.edge && !edge) { problems.push(`${where}: ${c.readOn.edge} is not an edge in graph-fields.json`); continue; }
      check(edge ? edge.node : c.readOn.node, c.readOn.edge, parseFields(String(c.query.fields ?? c.body.fields))!, where, problems);
    }
    assert.deepEqual(problems, []);
    for (const edge of ['Business/business_users', 'Business/pending_users', 'Business/system_users', 'Business/agencies', 'Business/clients', 'Business/owned_ad_accounts', 'Business/client_pixels', 'AdAccount/assigned_users', 'AdsPixel/shared_agencies', 'BusinessUser']) {
      assert.ok(seen.has(edge), `the run read ${edge} with fields (seen: ${[...seen].join(', ')})`);
    }
    assert.deepEqual(calls.filter((c) => c.code === 100 && c.method === 'GET' && c.readOn).map((c) => c.path), [], 'no read of an existing node was refused with #100');
  } finally {
    await close();
  }
});

test('every field the emulator can render is in graph-fields.json for its node type', () => {
  const problems: string[] = [];
  for (const type of NODE_TYPES) {
    const edges = Object.entries(file.edges).filter(([, e]) => e.node === type.name);
    const ok = new Set([...allowed(type.name), ...edges.flatMap(([, e]) => e.edgeFields)]);
    for (const name of Object.keys(type.fields)) if (!ok.has(name)) problems.push(`${type.name}.${name}`);
  }
  assert.deepEqual(problems, [], 'fields the emulator serves that Meta does not have');
});

test('an unknown field gets Meta\'s #100 with the node type it was asked of', async () => {
  const emulator = createMetaEmulator();
  const { url, close } = await emulator.listen(0);
  const get = async (path: string, fields: string) => {
    const r = await fetch(`${url}/v25.0/${path}?fields=${fields}&access_token=${SANDBOX.token}`);
    return { status: r.status, body: (await r.json()) as { error?: { code: number; message: string } } };
  };
  try {
    const cases: Array<[string, string, string]> = [
      [`${SANDBOX.businessId}/agencies`, 'id,pixel_permissions', '(#100) Tried accessing nonexisting field (pixel_permissions) on node type (Business)'],
      [`${SANDBOX.businessId}/business_users`, 'id,permitted_tasks', '(#100) Tried accessing nonexisting field (permitted_tasks) on node type (BusinessUser)'],
      [`${SANDBOX.businessId}/owned_ad_accounts`, 'id,tasks', '(#100) Tried accessing nonexisting field (tasks) on node type (AdAccount)'],
      [`${SANDBOX.businessId}/pending_users`, 'id,name', '(#100) Tried accessing nonexisting field (name) on node type (BusinessRoleRequest)'],
      ['act_111', 'permitted_tasks', '(#100) Tried accessing nonexisting field (permitted_tasks) on node type (AdAccount)'],
      [SANDBOX.businessId, 'business{id,foo}', '(#100) Tried accessing nonexisting field (business) on node type (Business)'],
    ];
    for (const [path, fields, message] of cases) {
      const r = await get(path, fields);
      assert.equal(r.status, 400, path);
      assert.equal(r.body.error?.code, 100, path);
      assert.equal(r.body.error?.message, message);
    }
    // The same fields on an edge that has them are served.
    assert.equal((await get(`${SANDBOX.businessId}/client_ad_accounts`, 'id,permitted_tasks')).status, 200);
    assert.equal((await get(`${SANDBOX.businessId}/agencies`, 'id,adaccount_permissions,shared_ca_count')).status, 200);
  } finally {
    await close();
  }
});

const shared = existsSync(SHARED);
test('the in-repo graph-fields.json equals the shared reference copy', { skip: shared ? false : 'no ../shared/reference/meta-graph-fields.json beside the repository' }, () => {
  const ref: FieldsFile = JSON.parse(readFileSync(SHARED, 'utf8'));
  assert.equal(file.apiVersion, ref.apiVersion);
  assert.deepEqual(file.nodes, ref.nodes);
  const shape = (edges: FieldsFile['edges']) => Object.fromEntries(Object.entries(edges).map(([k, e]) => [k, { node: e.node, edgeFields: e.edgeFields }]));
  assert.deepEqual(shape(file.edges), shape(ref.edges));
});
