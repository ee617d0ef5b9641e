import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeGovernanceChanges, governanceView } from './governance.ts';
import { parseConfig } from './load.ts';

const file = (o: { role?: string; threshold?: number; assets?: string; extraTeam?: boolean; label?: string; businessId?: string; offboards?: string } = {}) => parseConfig(`
server: { adminTokens: [env:ADMIN_TOKEN] }
collections:
  - { id: interns, label: Interns, offerDays: 14 }
hubs:
  - id: main
    label: ${o.label ?? 'Main'}
    connector: meta-business
    meta: { businessId: "${o.businessId ?? '1234567890'}", accessToken: env:APP_TOKEN }
    scim: { tokens: [env:SCIM_TOKEN] }
    teams:
      - { group: Admins, hubRole: owner, appRole: ADMIN }
      - group: Advertisers
        appRole: ${o.role ?? 'EMPLOYEE'}
        assets: ${o.assets ?? '[{ type: ad_account, id: act_111, tasks: [ADVERTISE, ANALYZE] }, { type: page, id: "222", tasks: [ANALYZE] }]'}
${o.extraTeam ? '      - { group: Interns, appRole: EMPLOYEE, collection: interns }\n' : ''}    safety: { removalThresholdPercent: ${o.threshold ?? 20}${o.offboards ? `, offboards: ${o.offboards}` : ''} }
`, '/etc/hubwarden/hubwarden.yaml', { ADMIN_TOKEN: 'admin-secret-value-1', APP_TOKEN: 'app-secret-value-2', SCIM_TOKEN: 'scim-secret-value-3' }).file;

test('the governance view names secret references, never their values, and leaves out what changes nobody\'s access', () => {
  const view = governanceView(file());
  const text = JSON.stringify(view);
  for (const value of ['admin-secret-value-1', 'app-secret-value-2', 'scim-secret-value-3']) assert.ok(!text.includes(value), value);
  assert.match(text, /env:APP_TOKEN/);
  assert.match(text, /1234567890/);
  assert.deepEqual(governanceView(file({ label: 'Renamed' })), view, 'a label is no change');
  assert.deepEqual(Object.keys(view.hubs.main!.teams as object), ['admins', 'advertisers']);
});

test('changes are described per hub and team: team added, role changed, grant added and removed, brake changed, connector id changed', () => {
  const before = governanceView(file());
  const after = governanceView(file({
    role: 'ADMIN',
    threshold: 50,
    extraTeam: true,
    businessId: '999',
    assets: '[{ type: ad_account, id: act_111, tasks: [ANALYZE] }, { type: page, id: "333", tasks: [ANALYZE] }]',
  }));
  assert.deepEqual(describeGovernanceChanges(before, after), [
    'hub main: meta.businessId 1234567890 → 999',
    'hub main: safety.removalThresholdPercent 20 → 50',
    'hub main, team "Advertisers": appRole EMPLOYEE → ADMIN',
    'hub main, team "Advertisers", grant ad_account act_111: tasks [ADVERTISE, ANALYZE] → [ANALYZE]',
    'hub main, team "Advertisers", grant page 222: removed (was page 222 (tasks [ANALYZE]))',
    'hub main, team "Advertisers", grant page 333: added (page 333 (tasks [ANALYZE]))',
    'hub main, team "Interns": added (hubRole collaborator, appRole EMPLOYEE, 0 asset grant(s), offered in collection interns)',
  ]);
  assert.deepEqual(describeGovernanceChanges(after, before).filter((l) => l.includes('Interns')), ['hub main, team "Interns": removed (was hubRole collaborator, appRole EMPLOYEE, 0 asset grant(s), offered in collection interns)']);
  assert.deepEqual(describeGovernanceChanges(before, before), []);
});

test('turning the offboarding brake on is a governance change (safety.offboards)', () => {
  assert.deepEqual(describeGovernanceChanges(governanceView(file()), governanceView(file({ offboards: 'threshold' }))), ['hub main: safety.offboards immediate → threshold']);
  assert.deepEqual(describeGovernanceChanges(governanceView(file()), governanceView(file({ offboards: 'immediate' }))), [], 'the default written out is no change');
});

test('with nothing recorded before, every hub is listed as added, and the collections and admin access too', () => {
  assert.deepEqual(describeGovernanceChanges(undefined, governanceView(file())), [
    'hub main: added (connector meta-business, 2 team(s))',
    'collections.interns: added ({"offerDays":14})',
    'server.adminTokens: [] → [env:ADMIN_TOKEN]',
  ]);
});

test('admin access changes name the config keys an operator edits (server.adminTokens, server.oidc)', () => {
  const before = governanceView(file());
  const after = structuredClone(before);
  after.administration.adminTokens = ['env:ADMIN_TOKEN', 'file:/etc/hubwarden/second-token'];
  after.administration.dashboard = { allowedEmails: [], allowedGroups: ['IT'], clientId: 'hw', groupsClaim: 'groups', issuer: 'https://idp.example.com' };
  const lines = describeGovernanceChanges(before, after);
  assert.deepEqual(lines, [
    'server.adminTokens: [env:ADMIN_TOKEN] → [env:ADMIN_TOKEN, file:/etc/hubwarden/second-token]',
    'server.oidc: added ({"allowedEmails":[],"allowedGroups":["IT"],"clientId":"hw","groupsClaim":"groups","issuer":"https://idp.example.com"})',
  ]);
  const lessAdmins = structuredClone(after);
  lessAdmins.administration.dashboard = { ...after.administration.dashboard!, allowedGroups: [] };
  assert.deepEqual(describeGovernanceChanges(after, lessAdmins), ['server.oidc: allowedGroups [IT] → []']);
});

test('one asset listed twice in a team (granted both combined): a change to either entry is a change; their order is not', () => {
  const twice = (first: string, second: string) => governanceView(file({ assets: `[{ type: ad_account, id: act_111, tasks: [${first}] }, { type: ad_account, id: act_111, tasks: [${second}] }]` }));
  const before = twice('ADVERTISE, ANALYZE', 'ANALYZE');
  const after = twice('ANALYZE', 'ANALYZE');
  assert.notDeepEqual(after, before);
  const lines = describeGovernanceChanges(before, after);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^hub main, team "Advertisers", grant ad_account act_111: .*ADVERTISE.* → /);
  assert.deepEqual(twice('ANALYZE', 'ADVERTISE, ANALYZE'), before, 'the same two entries in the other order');
});

test('reordering a set-like list (SCIM tokens, partners, admin tokens, dashboard groups and emails) is no change; adding to one is', () => {
  const ENV = { A1: 'admin-secret-1', A2: 'admin-secret-2', S1: 'scim-secret-1', S2: 'scim-secret-2', OIDC: 'oidc-secret' };
  const withOrder = (flip: boolean, extraGroup = false) => {
    const pair = (a: string, b: string) => (flip ? `${b}, ${a}` : `${a}, ${b}`);
    return governanceView(parseConfig(`
server:
  adminTokens: [${pair('env:A1', 'env:A2')}]
  oidc: { issuer: "https://idp.example", clientId: hw, clientSecret: env:OIDC, allowedGroups: [${pair('Ops', 'Sec')}${extraGroup ? ', Audit' : ''}], allowedEmails: [${pair('a@x.example', 'b@x.example')}] }
hubs:
  - id: main
    connector: meta-business
    meta: { businessId: "1234567890", graphBaseUrl: sandbox }
    scim: { tokens: [${pair('env:S1', 'env:S2')}] }
    teams: []
    partners: [${pair('{ businessId: "2" }', '{ businessId: "3" }')}]
`, '/etc/hubwarden/hubwarden.yaml', ENV).file);
  };
  assert.deepEqual(describeGovernanceChanges(withOrder(false), withOrder(true)), []);
  assert.equal(JSON.stringify(withOrder(true)), JSON.stringify(withOrder(false)), 'the same text: the stored view compares equal');
  assert.deepEqual(describeGovernanceChanges(withOrder(false), withOrder(true, true)), ['server.oidc: allowedGroups [Ops, Sec] → [Audit, Ops, Sec]']);
});
