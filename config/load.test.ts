import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectorBlock, isClaimTeam, withCollections } from './schema.ts';
import { ConfigError, loadConfig, parseConfig } from './load.ts';
import { configProblems } from './config-problems.ts';

const minimal = `
hubs:
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1234567890" }
`;

const problemsOf = (text: string, env: NodeJS.ProcessEnv = {}, file = '/etc/hubwarden/hubwarden.yaml'): string[] => configProblems(text, file, env);

describe('loadConfig', () => {
  test('a bad file gives one line per problem, each naming its path', () => {
    const problems = problemsOf(`
server: { port: 99999 }
hubs:
  - id: Meta_Main
    connector: meta-business
    meta: { businessId: "12ab", apiVersion: "25" }
    teams:
      - { group: Meta Admins, appRole: ADMIN }
      - { group: Meta Advertisers, appRole: advertiser }
      - { group: meta admins, appRole: EMPLOYEE, hubRole: boss }
    surprise: true
`);
    assert.deepEqual(problems.map((p) => p.split(':')[0]), [
      'server.port',
      'hubs[0].id',
      'hubs[0].meta.businessId',
      'hubs[0].meta.apiVersion',
      'hubs[0].teams[1].appRole',
      'hubs[0].teams[2].hubRole',
      'hubs[0].surprise',
    ]);
    assert.match(problems.find((p) => p.startsWith('hubs[0].teams[1].appRole'))!, /expected one of .*"ADMIN".*"EMPLOYEE"/);
    assert.match(problems.find((p) => p.startsWith('hubs[0].id'))!, /Okta rejects "_"/);
    assert.match(problems.at(-1)!, /surprise/);
  });

  test('a publicUrl with "_" is refused when a hub is provisioned by Okta (its SCIM base URL would have one); fine for Entra', () => {
    const config = (idp: 'okta' | 'entra') => `
server: { publicUrl: "https://hub.example.com/my_proxy" }
identityProviders:
  okta: { kind: okta, orgUrl: "https://acme.okta.example" }
  entra: { kind: entra, tenantId: t, clientId: c, clientSecret: "env:ENTRA_SECRET", extensionAppId: x }
hubs:
  - { id: meta-main, connector: meta-business, meta: { businessId: "1" }, identityProvider: ${idp} }
`;
    assert.deepEqual(problemsOf(config('okta'), { ENTRA_SECRET: 's' }), ['server.publicUrl: contains "_", which Okta refuses in a SCIM base URL (hub "meta-main" is provisioned by Okta); serve hubwarden at a URL without "_"']);
    assert.equal(parseConfig(config('entra'), '/etc/hubwarden/hubwarden.yaml', { ENTRA_SECRET: 's' }).file.server.publicUrl, 'https://hub.example.com/my_proxy');
  });

  test('cross-field checks: duplicate hub ids, group mapped twice, unknown identity provider', () => {
    const problems = problemsOf(`
hubs:
  - { id: a, connector: meta-business, meta: { businessId: "1" }, identityProvider: okta,
      teams: [{ group: X, appRole: ADMIN }, { group: x, appRole: EMPLOYEE }] }
  - { id: a, connector: meta-business, meta: { businessId: "2" } }
`);
    assert.deepEqual(problems, [
      'hubs[0].identityProvider: no identity provider named "okta" under identityProviders',
      'hubs[0].teams[1].group: group "x" is mapped twice (also teams[0], "X": the same name but for case or Unicode form)',
      'hubs[1].id: duplicate hub id "a"',
    ]);
  });

  test('a check-for-updates schedule that is not a cron expression is a problem at its path (config validate catches it)', () => {
    const problems = problemsOf(`
hubs:
  - { id: a, connector: meta-business, meta: { businessId: "1" }, checkForUpdates: { schedule: "0 3 * * *" } }
  - { id: b, connector: meta-business, meta: { businessId: "2" }, checkForUpdates: { schedule: "every monday" } }
  - { id: c, connector: meta-business, meta: { businessId: "3" }, checkForUpdates: { schedule: "61 * * * *" } }
`);
    assert.deepEqual(problems.map((p) => p.split(':')[0]), ['hubs[1].checkForUpdates.schedule', 'hubs[2].checkForUpdates.schedule']);
    assert.match(problems[0]!, /"every monday" is not a valid cron expression/);
  });

  /** Collections, then one hub with these teams (YAML flow mappings). */
  const withTeams = (collections: string[], teams: string[]) => [
    'collections:', ...collections.map((c) => `  - ${c}`),
    'hubs:', '  - id: a', '    connector: meta-business', '    meta: { businessId: "1" }', '    teams:', ...teams.map((t) => `      - ${t}`),
  ].join('\n');

  test('hub roles, seat-less teams and collections: each rule names its path', () => {
    const problems = problemsOf(withTeams(['{ id: brand-hubs, label: Brand hubs }', '{ id: brand-hubs, label: Again }'], [
      '{ group: IT, hubRole: owner, seat: false }',
      '{ group: Staff, seat: false, appRole: EMPLOYEE }',
      '{ group: Leads, hubRole: manager, seat: false, assets: [{ type: ad_account, id: act_1, tasks: [ANALYZE] }] }',
      '{ group: Claimers, hubRole: manager, seat: false, claim: true }',
      '{ group: Brand, appRole: EMPLOYEE, collection: no-such }',
      '{ group: NoRole }',
    ]));
    assert.deepEqual(problems, [
      'collections[1].id: duplicate collection id "brand-hubs"',
      'hubs[0].teams[1].seat: seat: false is for owners and managers only (hubRole: owner or manager); a collaborator only holds a seat',
      'hubs[0].teams[2].assets: a team with seat: false grants no assets (assets need a seat)',
      'hubs[0].teams[3].claim: a team with seat: false has no seat to offer (claim and collection need a seat)',
      'hubs[0].teams[4].collection: no collection with id "no-such" under collections',
      'hubs[0].teams[5].appRole: required unless seat: false',
    ]);
  });

  test('asset tasks Meta does not accept on the asset type are refused at load, at their path', () => {
    const problems = problemsOf(withTeams(['{ id: c, label: C }'], [
      '{ group: A, appRole: EMPLOYEE, assets: [{ type: ad_account, id: act_1, tasks: [MANAGE] }, { type: ad_account, id: act_2, tasks: [ADVERTISE, ANALYZE, DRAFT] }] }',
      '{ group: B, appRole: EMPLOYEE, assets: [{ type: page, id: "2", tasks: [ANALYZE, ADVERTISE] }, { type: page, id: "3", tasks: [CREATE_CONTENT] }] }',
      '{ group: C, appRole: EMPLOYEE, assets: [{ type: pixel, id: "4", tasks: [ANALYZE, FLY] }, { type: catalog, id: "5", tasks: [MANAGE, ADVERTISE] }] }',
    ]));
    assert.deepEqual(problems.map((p) => p.split(':')[0]), ['hubs[0].teams[0].assets[0].tasks', 'hubs[0].teams[1].assets[1].tasks', 'hubs[0].teams[2].assets[0].tasks']);
    assert.match(problems[0]!, /\[MANAGE\] is not an access the app accepts on this ad account/);
    assert.match(problems[2]!, /\[ANALYZE, FLY\] .* pixel/);
  });

  test('catalog and pixel tasks are any of the API spec\'s (Meta documents no combinations): [MANAGE] or [EDIT] alone load, an unknown task does not', () => {
    const problems = problemsOf(withTeams(['{ id: c, label: C }'], [
      '{ group: A, appRole: EMPLOYEE, assets: [{ type: catalog, id: "5", tasks: [MANAGE] }, { type: catalog, id: "6", tasks: [ADVERTISE] }, { type: pixel, id: "7", tasks: [EDIT] }, { type: catalog, id: "8", tasks: [ANALYZE] }] }',
    ]));
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^hubs\[0\]\.teams\[0\]\.assets\[3\]\.tasks: \[ANALYZE\] is not an access the app accepts on this catalog/);
  });

  test('a valid file with collections: defaults, and offerDays carried onto claim teams', () => {
    const { file } = parseConfig(withTeams(['{ id: brand-hubs, label: Brand hubs, offerDays: 7 }', '{ id: other, label: Other }'], [
      '{ group: IT, hubRole: owner, seat: false }',
      '{ group: Brand, appRole: EMPLOYEE, collection: brand-hubs }',
      '{ group: Other, appRole: EMPLOYEE, collection: other, claim: false }',
      '{ group: Ask, appRole: EMPLOYEE, claim: true }',
      '{ group: Staff, appRole: EMPLOYEE }',
    ]), '/x.yaml', {});
    assert.deepEqual(file.collections[1], { id: 'other', label: 'Other', offerDays: 30 });
    const teams = file.hubs[0]!.teams;
    assert.deepEqual(teams.map((t) => [t.hubRole, t.seat, t.claim]), [['owner', false, false], ['collaborator', true, false], ['collaborator', true, false], ['collaborator', true, true], ['collaborator', true, false]]);
    assert.deepEqual(teams.map(isClaimTeam), [false, true, true, true, false], 'a collection makes a team claim-only whatever claim says');
    assert.deepEqual(withCollections(file)[0]!.teams.map((t) => t.offerDays), [undefined, 7, 30, 30, undefined]);
  });

  test('YAML syntax errors name the line; an empty file says hubs are missing', () => {
    assert.match(problemsOf('hubs:\n  - id: a\n   connector: x\n')[0]!, /^line 3, column 1: /);
    assert.deepEqual(problemsOf(''), ['hubs: missing: expected array']);
  });

  test('a missing file is one clear line', () => {
    assert.throws(() => loadConfig('/nonexistent/hubwarden.yaml'), (err: ConfigError) => {
      assert.deepEqual(err.problems, ['cannot read the file: ENOENT']);
      return err.file === '/nonexistent/hubwarden.yaml';
    });
  });

  test('env: and file: secret references resolve; the file is read relative to the config and loses one trailing newline', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-config-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'scim-token'), 'from-a-file\n');
    await writeFile(join(dir, 'hubwarden.yaml'), `
server: { adminTokens: [env:ADMIN_TOKEN] }
hubs:
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    scim: { tokens: [file:scim-token, env:SCIM_TOKEN_2] }
`);
    const config = loadConfig(join(dir, 'hubwarden.yaml'), { ADMIN_TOKEN: 'adm', META_TOKEN: 'EAAB', SCIM_TOKEN_2: 'second' });
    assert.equal(config.secret('file:scim-token').reveal(), 'from-a-file');
    assert.equal(config.secret('env:META_TOKEN').reveal(), 'EAAB');
    assert.equal(config.secret('env:ADMIN_TOKEN').reveal(), 'adm');
    // a resolved secret never prints its value
    assert.equal(String(config.secret('env:META_TOKEN')), '[secret env:META_TOKEN]');
    assert.equal(JSON.stringify({ t: config.secret('env:META_TOKEN') }), '{"t":"[secret env:META_TOKEN]"}');
    assert.throws(() => config.secret('env:NOT_IN_FILE'), /does not appear/);
  });

  test('a secret pasted after env: or file: is never quoted whole by the load error', () => {
    // A Meta token and a TikTok one (40 hex digits), written where the variable's name goes.
    const meta = 'EAAGm0PX4ZCpsBAKsecretTOKENvalue123ZD';
    const tiktok = '3f9a0c1d2e4b5a6978f0e1d2c3b4a59687f0e1d2';
    const problems = problemsOf(`
hubs:
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:${meta} }
    scim: { tokens: [file:${tiktok}] }
`, {}, join(tmpdir(), 'hubwarden.yaml'));
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0]!, /^hubs\[0\]\.meta\.accessToken: environment variable EAAG… \(37 characters, shortened: .*env: takes a variable's name.*\) is not set$/);
    assert.match(problems[1]!, /^hubs\[0\]\.scim\.tokens\[0\]: cannot read file 3f9a… \(40 characters, shortened: .*\): ENOENT$/);
    for (const secret of [meta, tiktok]) {
      for (let i = 0; i + 8 <= secret.length; i++) assert.ok(!problems.join('\n').includes(secret.slice(i, i + 8)), `a piece of ${secret} is quoted`);
    }
  });

  test('a missing env variable or file is reported at the path that needs it, all at once', () => {
    const problems = problemsOf(`
hubs:
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    scim: { tokens: [file:does-not-exist] }
`, {}, join(tmpdir(), 'hubwarden.yaml'));
    assert.deepEqual(problems, [
      'hubs[0].meta.accessToken: environment variable META_TOKEN is not set',
      `hubs[0].scim.tokens[0]: cannot read ${join(tmpdir(), 'does-not-exist')}: ENOENT`,
    ]);
    // The shipped config's token files come from the first npm start: its missing ones say so.
    const shipped = fileURLToPath(new URL('./hubwarden.yaml', import.meta.url));
    const missingToken = `${minimal}    scim: { tokens: [file:../data/no-such-token-file] }\n`;
    assert.deepEqual(problemsOf(missingToken, {}, shipped), [
      `hubs[0].scim.tokens[0]: cannot read ${join(dirname(shipped), '../data/no-such-token-file')}: ENOENT (the shipped config's token files are created by the first \`npm start\`)`,
    ]);
    assert.doesNotMatch(problemsOf(missingToken, {}, join(tmpdir(), 'config', 'hubwarden.yaml'))[0]!, /npm start/, 'only the shipped config\'s');
    assert.deepEqual(problemsOf(minimal.replace('"1234567890" }', '"1", accessToken: "plain-token" }')), [
      'hubs[0].meta.accessToken: expected a secret reference, env:NAME or file:PATH',
    ]);
  });

  test('only secret keys are resolved: a group or label that starts with env: or file: is plain text', () => {
    const env = { A: 'a', O: 'o', P: 'p', H: 'h', T: 't', E: 'e', D: 'postgres://h/db', M: 'm', MP: 'mp', K: 'k', S: 's' };
    const config = parseConfig(`
server:
  adminTokens: [env:A]
  oidc: { issuer: https://idp.example, clientId: c, clientSecret: env:O }
store: { kind: postgres, url: env:D }
identityProviders:
  okta: { kind: okta, orgUrl: https://acme.okta.example, token: env:T, privateKey: env:P, eventHookSecret: env:H }
  entra: { kind: entra, tenantId: t, clientId: c, clientSecret: env:E, extensionAppId: x }
hubs:
  - id: meta-main
    label: "env: production"
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:M }
    scim: { tokens: [env:S] }
    teams: [{ group: "env:prod-advertisers", appRole: EMPLOYEE }, { group: "file:shared-drive", appRole: EMPLOYEE }]
    partners: [{ businessId: "42", token: env:MP }]
  - id: tiktok-main
    connector: tiktok-business
    tiktok: { businessCenterId: "7000000000000000001", accessToken: env:K }
`, '/x.yaml', env);
    assert.deepEqual(config.file.hubs[0]!.teams.map((t) => t.group), ['env:prod-advertisers', 'file:shared-drive']);
    for (const [name, value] of Object.entries(env)) assert.equal(config.secret(`env:${name}`).reveal(), value, `env:${name} resolved`);
    assert.throws(() => config.secret('env:prod-advertisers'), /does not appear/);
    // Found once at load, the list the server registers with the log redactor (compose.ts).
    assert.deepEqual(config.secretRefs, ['env:A', 'env:O', 'env:D', 'env:T', 'env:P', 'env:H', 'env:E', 'env:M', 'env:S', 'env:MP', 'env:K']);
  });

  test('an empty secret file is refused at the path that needs it, as an empty env variable is', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-config-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'empty'), '');
    await writeFile(join(dir, 'newline-only'), '\n');
    const problems = problemsOf(`
server: { adminTokens: [file:empty, env:ADMIN_TOKEN] }
hubs:
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: file:newline-only }
`, { ADMIN_TOKEN: '' }, join(dir, 'hubwarden.yaml'));
    assert.deepEqual(problems, [
      `server.adminTokens[0]: ${join(dir, 'empty')} is empty`,
      'server.adminTokens[1]: environment variable ADMIN_TOKEN is not set',
      `hubs[0].meta.accessToken: ${join(dir, 'newline-only')} is empty`,
    ]);
  });

  test('HUBWARDEN_LOG_LEVEL is one of the documented levels; a misspelt one is named, not taken as "log nothing"', () => {
    for (const level of ['debug', 'info', 'warn', 'error', 'silent', '']) assert.doesNotThrow(() => parseConfig(minimal, '/x.yaml', { HUBWARDEN_LOG_LEVEL: level }), level);
    for (const level of ['warning', 'DEBUG', 'verbose', ' info']) {
      assert.deepEqual(problemsOf(minimal, { HUBWARDEN_LOG_LEVEL: level }), [`HUBWARDEN_LOG_LEVEL: expected one of debug, info, warn, error, silent, got "${level}"`]);
    }
  });

  test('a bad HUBWARDEN_LOG_LEVEL or PORT is listed with the file\'s problems, not instead of them (README: one line per problem)', () => {
    // Before: the environment's problem was the only line, and the file's were named one run later.
    const env = { HUBWARDEN_LOG_LEVEL: 'verbose', PORT: 'eighty' };
    assert.deepEqual(problemsOf(`${minimal}    teams: [{ group: Sales, appRole: BOSS }]\n`, env).map((p) => p.split(': ')[0]), ['PORT', 'HUBWARDEN_LOG_LEVEL', 'hubs[0].teams[0].appRole']);
    // A file that passes the schema: the environment's problems come with the unset secret's.
    assert.deepEqual(problemsOf(`server: { adminTokens: [env:ADMIN_TOKEN] }\n${minimal}`, { HUBWARDEN_LOG_LEVEL: 'verbose' }), [
      'HUBWARDEN_LOG_LEVEL: expected one of debug, info, warn, error, silent, got "verbose"',
      'server.adminTokens[0]: environment variable ADMIN_TOKEN is not set',
    ]);
  });

  test('PORT overrides server.port; a non-numeric PORT is named', () => {
    assert.equal(parseConfig(minimal, '/x.yaml', {}).file.server.port, 8080);
    assert.equal(parseConfig(`server: { port: 9000 }\n${minimal}`, '/x.yaml', { PORT: '0' }).file.server.port, 0);
    assert.equal(parseConfig(minimal, '/x.yaml', { PORT: '3000' }).file.server.port, 3000);
    assert.deepEqual(problemsOf(minimal, { PORT: 'eighty' }), ['PORT: expected a whole number from 0 to 65535, got "eighty"']);
    // PORT is not in the file: a bad one is named as PORT, never as a server.port the file does not have.
    for (const port of ['99999', '-1', '0x1F90', '1e3', '80.5']) {
      assert.deepEqual(problemsOf(`server: { port: 9000 }\n${minimal}`, { PORT: port }), [`PORT: expected a whole number from 0 to 65535, got "${port}"`]);
    }
    // A server key that is not a mapping is refused at server, PORT or not: with PORT set it was
    // replaced by { port } and the file's broken server settings were dropped without a word.
    for (const server of ['server: [0.0.0.0]', 'server: "0.0.0.0:8080"', 'server:']) {
      assert.deepEqual(problemsOf(`${server}\n${minimal}`, { PORT: '9000' }).map((p) => p.split(': ')[0]), ['server'], server);
    }
    // A file that is not a mapping is refused by the schema, with its path, PORT or not.
    for (const text of ['hello', '- a\n- b']) {
      assert.throws(() => parseConfig(text, '/x.yaml', { PORT: '9000' }), (e: unknown) => e instanceof ConfigError && /\/x\.yaml/.test(e.message) && /expected object/.test(e.message));
    }
  });

  test('defaults fill what the file leaves out', () => {
    const { file } = parseConfig(minimal, '/x.yaml', {});
    assert.deepEqual(file.store, { kind: 'lowdb', path: 'data/hubwarden.json', taskRetentionDays: 30 });
    assert.deepEqual(file.secrets, { keyFile: 'data/hubwarden.key' });
    assert.equal((connectorBlock(file.hubs[0]!) as { graphBaseUrl: string }).graphBaseUrl, 'https://graph.facebook.com');
    assert.deepEqual(file.hubs[0]!.safety, { settleSeconds: 120, removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning: true, drift: 'report', offboards: 'immediate' });
  });
});
