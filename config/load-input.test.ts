import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from './load.ts';
import { configProblems } from './config-problems.ts';

/**
 * Input the schema alone let through or mangled: YAML aliases and tags, URL schemes, empty names,
 * a token shared between SCIM and the admin API. Each is refused with the file's path and the
 * key's path (or the line, for YAML itself).
 */
const FILE = '/etc/hubwarden/hubwarden.yaml';
const hub = (extra = '') => `hubs:\n  - id: meta-main\n    connector: meta-business\n    meta: { businessId: "1234567890" }\n${extra}`;

const problemsOf = (text: string, env: NodeJS.ProcessEnv = {}, options?: Parameters<typeof configProblems>[3]): string[] => configProblems(text, FILE, env, options);

describe('config input', () => {
  test('a YAML alias bomb is refused, naming the alias\'s line, without expanding it', () => {
    let bomb = 'x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 9; i++) bomb += `x-a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    const started = Date.now();
    const problems = problemsOf(bomb + hub());
    assert.ok(Date.now() - started < 2_000, 'refused, not expanded');
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /^line 9, column \d+: the alias \*a7 expands to about 111,111,111 values .*alias bomb/);
  });

  test('anchors and aliases a config uses sparingly still work; an alias without its anchor names its line', () => {
    const { file } = parseConfig(`hubs:
  - { id: a, connector: meta-business, meta: { businessId: "1" }, teams: &teams [{ group: Staff, appRole: EMPLOYEE }] }
  - { id: b, connector: meta-business, meta: { businessId: "2" }, teams: *teams }
`, FILE, {});
    assert.deepEqual(file.hubs.map((h) => h.teams[0]!.group), ['Staff', 'Staff']);
    assert.deepEqual(problemsOf(`x: *nowhere\n${hub()}`), ['line 1, column 4: the alias *nowhere has no anchor &nowhere before it']);
  });

  test('a second YAML document ("---") is named at its line, in the words of a config, not of the yaml library', () => {
    assert.deepEqual(problemsOf(`${hub()}---\nserver: { port: 9000 }\n`), [
      'line 5, column 1: a second YAML document starts here ("---"); a config file is one document: remove the "---" line (and move what follows into the first document if it belongs to the config)',
    ]);
    // A "---" that opens the only document is fine.
    assert.equal(parseConfig(`---\n${hub()}`, FILE, {}).file.hubs.length, 1);
  });

  test('a YAML syntax error names its line and column, once per line; an unquoted * schedule is told to be quoted', () => {
    // A tab as indentation: the parser's follow-on complaints on the same line are left out.
    assert.deepEqual(problemsOf(`${hub('    teams:\n      - group: A\n\t      appRole: ADMIN\n')}`), ['line 7, column 1: Tabs are not allowed as indentation']);
    assert.deepEqual(problemsOf(`${hub('    teams:\n      - group: A: B\n')}`), ['line 6, column 16: Nested mappings are not allowed in compact mappings']);
    // `* * * * *` unquoted is an alias in YAML: said in a config's words, not only "Alias cannot be an empty string".
    assert.deepEqual(problemsOf(hub('    checkForUpdates: { schedule: * * * * * }\n')), [
      'line 5, column 34: Alias cannot be an empty string: a value starting with * is read as a YAML alias; quote it (a cron schedule: "* * * * *")',
    ]);
  });

  test('a key given twice in one mapping is named by its path, not only as "Map keys must be unique"', () => {
    // A second safety: block or confirmDeprovisioning: yaml refuses either; the line alone left the admin to find which key.
    const twice = hub('    safety: { confirmDeprovisioning: true }\n    safety: { confirmDeprovisioning: false }\n');
    assert.deepEqual(problemsOf(twice), ['line 6, column 5: hubs[0].safety is given twice in the same mapping; keep one']);
    const flow = hub('    safety: { confirmDeprovisioning: true, confirmDeprovisioning: false }\n');
    assert.deepEqual(problemsOf(flow), ['line 5, column 44: hubs[0].safety.confirmDeprovisioning is given twice in the same mapping; keep one']);
    assert.deepEqual(problemsOf(`server:\n  port: 1\n  port: 2\n${hub()}`), ['line 3, column 3: server.port is given twice in the same mapping; keep one']);
  });

  test('an id written without quotes (a number to YAML) is told to be quoted', () => {
    assert.deepEqual(problemsOf('hubs:\n  - { id: m, connector: meta-business, meta: { businessId: 1000000000000001 } }\n'), [
      'hubs[0].meta.businessId: Invalid input: expected string, received number: put the value in quotes (YAML reads unquoted digits as a number)',
    ]);
  });

  test('unknown or custom YAML tags are refused at their line, not read as plain strings', () => {
    const problems = problemsOf(`server:\n  host: !!js/function "function () { return 1 }"\n  publicUrl: !secret https://x.example\nstore: !!binary aGVsbG8=\n${hub()}`);
    assert.deepEqual(problems.map((p) => p.split(': the YAML tag ')), [['line 2, column 9', '!!js/function is not supported; a config takes plain values (strings, numbers, booleans, lists, mappings): remove the tag'], ['line 3, column 14', '!secret is not supported; a config takes plain values (strings, numbers, booleans, lists, mappings): remove the tag'], ['line 4, column 8', '!!binary is not supported; a config takes plain values (strings, numbers, booleans, lists, mappings): remove the tag']]);
    // The core schema's own tags are plain values.
    assert.equal(parseConfig(`server: { host: !!str 127.0.0.1, port: !!int "0" }\n${hub()}`, FILE, {}).file.server.host, '127.0.0.1');
  });

  test('every URL in the config is http or https: javascript:, file:, ftp: are refused at their path', () => {
    const problems = problemsOf(`server:
  publicUrl: "javascript:alert(1)"
  oidc: { issuer: "file:///etc/passwd", clientId: c, clientSecret: env:O }
identityProviders:
  okta: { kind: okta, orgUrl: "ftp://acme.okta.example" }
  entra: { kind: entra, tenantId: t, clientId: c, clientSecret: env:E, extensionAppId: x, graphBaseUrl: "data:text/html,hi", authorityUrl: "ws://login.example" }
hubs:
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1", graphBaseUrl: "gopher://graph.example" }
    scim: { jwt: { issuer: i, audience: a, jwksUrl: "file:jwks.json" } }
`, { O: 'o', E: 'e' });
    assert.deepEqual(problems.map((p) => p.split(': ')[0]), [
      'server.publicUrl', 'server.oidc.issuer', 'identityProviders.okta.orgUrl', 'identityProviders.entra.graphBaseUrl', 'identityProviders.entra.authorityUrl',
      'hubs[0].meta.graphBaseUrl', 'hubs[0].scim.jwt.jwksUrl',
    ]);
    for (const p of problems) assert.match(p, /: expected an http or https URL, such as https:\/\/example\.com$/);
  });

  test('a URL a credential is sent to, or signing keys are fetched from, is https (plain http only on this machine)', () => {
    const problems = problemsOf(`server:
  publicUrl: http://hubwarden.internal:8080
  oidc: { issuer: "http://idp.example", clientId: c, clientSecret: env:O }
identityProviders:
  okta: { kind: okta, orgUrl: "http://acme.okta.example", token: env:T }
  entra: { kind: entra, tenantId: t, clientId: c, clientSecret: env:E, extensionAppId: x, graphBaseUrl: "http://graph.example", authorityUrl: "http://login.example", lifecycleWorkflows: { jwksUrl: "http://login.example/keys" } }
hubs:
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1", graphBaseUrl: "http://graph.example", accessToken: env:M }
    scim: { jwt: { issuer: i, audience: a, jwksUrl: "http://idp.example/jwks.json" } }
`, { O: 'o', E: 'e', T: 't', M: 'm' });
    assert.deepEqual(problems.map((p) => p.split(': ')[0]), [
      'server.oidc.issuer', 'identityProviders.okta.orgUrl', 'identityProviders.entra.graphBaseUrl', 'identityProviders.entra.authorityUrl', 'identityProviders.entra.lifecycleWorkflows.jwksUrl',
      'hubs[0].meta.graphBaseUrl', 'hubs[0].scim.jwt.jwksUrl',
    ], 'server.publicUrl is hubwarden\'s own address (a proxy may end TLS before it): http is fine there');
    for (const p of problems) assert.match(p, /: expected an https URL \(plain http only for 127\.0\.0\.1, localhost or \[::1\]\): a credential or signing keys would travel in clear text$/);
    // On this machine (emulators, tests) http is fine.
    const local = parseConfig(`identityProviders:
  okta: { kind: okta, orgUrl: "http://127.0.0.1:9001", token: env:T }
hubs:
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1", graphBaseUrl: "http://localhost:9002", accessToken: env:M }
    scim: { jwt: { issuer: i, audience: a, jwksUrl: "http://[::1]:9003/jwks.json" } }
`, FILE, { T: 't', M: 'm' });
    assert.equal(local.file.hubs.length, 1);
  });

  test('an empty server.host, audit.file, store.path, key file or other name is refused at its path', () => {
    const problems = problemsOf(`server:
  host: ""
  oidc: { issuer: https://idp.example, clientId: c, clientSecret: env:O, groupsClaim: "", allowedGroups: [" "] }
store: { kind: lowdb, path: "  " }
secrets: { keyFile: " " }
audit: { file: "" }
${hub()}`, { O: 'o' });
    assert.deepEqual(problems, [
      'server.host: expected a host name or IP address without spaces, such as 127.0.0.1 or 0.0.0.0',
      'server.oidc.allowedGroups[0]: must not be empty',
      'server.oidc.groupsClaim: must not be empty',
      'store.path: must not be empty',
      'secrets.keyFile: must not be empty',
      'audit.file: must not be empty',
    ]);
    assert.match(problemsOf(`server: { host: " 127.0.0.1" }\n${hub()}`)[0]!, /^server\.host: /);
  });

  test('a SCIM token that is also an admin token is refused, naming both paths and never the token', () => {
    const text = `server: { adminTokens: [env:ADMIN_TOKEN, env:OPS_TOKEN] }\n${hub('    scim: { tokens: [env:SCIM_TOKEN, env:OPS_TOKEN] }\n')}`;
    const env = { ADMIN_TOKEN: 'a-long-admin-secret', OPS_TOKEN: 'ops-secret', SCIM_TOKEN: 'a-long-admin-secret' };
    const expected = [
      'hubs[0].scim.tokens[0]: the same token as server.adminTokens[0]; a SCIM token must differ from every admin token (the identity provider holding it could call the admin API)',
      'hubs[0].scim.tokens[1]: the same token as server.adminTokens[1]; a SCIM token must differ from every admin token (the identity provider holding it could call the admin API)',
    ];
    const problems = problemsOf(text, env);
    assert.deepEqual(problems, expected);
    assert.ok(!problems.join('\n').includes('secret'), 'the token is not in the message');
    // The CLI resolves secrets on use: the same secret reference is still caught at load.
    assert.deepEqual(problemsOf(text, env, { secrets: 'on-use' }), expected.slice(1));
    const distinct = text.replace('env:SCIM_TOKEN, env:OPS_TOKEN', 'env:SCIM_TOKEN');
    assert.equal(parseConfig(distinct, FILE, env, { secrets: 'on-use' }).file.hubs[0]!.scim.tokens.length, 1, 'distinct references are compared by value only once resolved');
    assert.equal(parseConfig(distinct, FILE, { ...env, SCIM_TOKEN: 'another' }).file.hubs[0]!.scim.tokens.length, 1);
  });

  test("a SCIM token that is also another hub's is refused, naming both paths and never the token", () => {
    const two = `hubs:
  - { id: hub-a, connector: meta-business, meta: { businessId: "1" }, scim: { tokens: [env:SCIM_A] } }
  - { id: hub-b, connector: meta-business, meta: { businessId: "2" }, scim: { tokens: [env:SCIM_B, env:SCIM_A] } }
`;
    const env = { SCIM_A: 'scim-token-of-hub-a', SCIM_B: 'scim-token-of-hub-a' };
    const problems = problemsOf(two, env);
    assert.deepEqual(problems, [
      "hubs[1].scim.tokens[0]: the same token as hubs[0].scim.tokens[0]; each hub needs its own SCIM token (the identity provider app of one hub could push to the other)",
      "hubs[1].scim.tokens[1]: the same token as hubs[0].scim.tokens[0]; each hub needs its own SCIM token (the identity provider app of one hub could push to the other)",
    ]);
    assert.ok(!problems.join('\n').includes('scim-token-of'), 'the token is not in the message');
    // The CLI resolves secrets on use: the same secret reference is still caught at load.
    assert.deepEqual(problemsOf(two, env, { secrets: 'on-use' }).length, 1);
    const distinct = two.replace('env:SCIM_B, env:SCIM_A', 'env:SCIM_B');
    assert.equal(parseConfig(distinct, FILE, { SCIM_A: 'one', SCIM_B: 'two' }).file.hubs.length, 2, 'distinct tokens pass');
  });

  test("an Okta org's event hook secret that is also another org's is refused, naming both paths and never the secret", () => {
    // A delivery is told apart by its Authorization header (https://developer.okta.com/docs/concepts/event-hooks/)
    // and acts on its org's hubs only: with one secret, org B's deliveries were taken as org A's.
    const orgs = (b: string) => `identityProviders:
  okta-a: { kind: okta, orgUrl: https://a.okta.example, eventHookSecret: env:HOOK_A }
  okta-b: { kind: okta, orgUrl: https://b.okta.example, eventHookSecret: ${b} }
${hub()}`;
    const expected = ['identityProviders.okta-b.eventHookSecret: the same secret as identityProviders.okta-a.eventHookSecret; each Okta org needs its own event hook secret (a delivery is told apart by it, and one org\'s events would be taken as the other\'s)'];
    const env = { HOOK_A: 'shared-hook-value', HOOK_B: 'shared-hook-value' };
    const problems = problemsOf(orgs('env:HOOK_B'), env);
    assert.deepEqual(problems, expected);
    assert.ok(!problems.join('\n').includes('shared-hook-value'), 'the secret is not in the message');
    assert.deepEqual(problemsOf(orgs('env:HOOK_A'), env, { secrets: 'on-use' }), expected, 'the same secret reference, also before it is resolved');
    assert.equal(Object.keys(parseConfig(orgs('env:HOOK_B'), FILE, { HOOK_A: 'one', HOOK_B: 'two' }).file.identityProviders).length, 2, 'distinct secrets pass');
  });

  test('a mapped group that is empty, only spaces or has spaces around it is refused at its path', () => {
    const problems = problemsOf(hub(`    teams:
      - { group: "", appRole: EMPLOYEE }
      - { group: "   ", appRole: EMPLOYEE }
      - { group: " Meta Admins", appRole: ADMIN }
      - { group: "Meta Advertisers\\t", appRole: EMPLOYEE }
      - { group: "Meta  Staff", appRole: EMPLOYEE }
`));
    assert.deepEqual(problems, [
      'hubs[0].teams[0].group: must not be empty',
      'hubs[0].teams[1].group: must not be empty',
      'hubs[0].teams[2].group: " Meta Admins" has spaces at its start or end; group names are matched exactly (ignoring case), so remove them',
      'hubs[0].teams[3].group: "Meta Advertisers\t" has spaces at its start or end; group names are matched exactly (ignoring case), so remove them',
    ]);
  });

  test('a store url whose value is not a PostgreSQL URL is refused at store.url, naming the secret reference and never the value', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-config-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'db-url'), 'mysql://root:file-hunter2@db/x\n');
    const pg = (ref: string) => `store: { kind: postgres, url: ${ref} }\n${hub()}`;
    const expected = (ref: string) => `store.url: ${ref} does not hold a PostgreSQL URL: expected postgres://user:password@host:5432/database (or postgresql://…)`;
    for (const value of ['mysql://root:hunter2@db/x', 'hunter2', 'https://u:hunter2@db.example/x']) {
      const problems = problemsOf(pg('env:DATABASE_URL'), { DATABASE_URL: value });
      assert.deepEqual(problems, [expected('env:DATABASE_URL')]);
      assert.ok(!problems.join('\n').includes('hunter2'), 'the value is not in the message');
    }
    const inFile = join(dir, 'hubwarden.yaml');
    try {
      parseConfig(pg('file:db-url'), inFile, {});
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [expected('file:db-url')]);
      assert.ok(!err.message.includes('hunter2'));
    }
    // The CLI resolves secrets on use: the check holds when the URL is asked for.
    const onUse = parseConfig(pg('env:DATABASE_URL'), FILE, { DATABASE_URL: 'mysql://root:hunter2@db/x' }, { secrets: 'on-use' });
    assert.throws(() => onUse.secret('env:DATABASE_URL'), (e: unknown) => e instanceof ConfigError && e.problems[0] === expected('env:DATABASE_URL') && !e.message.includes('hunter2'));
    // libpq's URI forms pass: postgres://, postgresql://, a socket folder as host.
    for (const value of ['postgres://hubwarden:pw@db.example:5432/hubwarden', 'postgresql:///test?host=/var/run/postgresql&user=postgres', 'postgres://postgres@%2Fvar%2Frun%2Fpostgresql/test']) {
      assert.equal(parseConfig(pg('env:DATABASE_URL'), FILE, { DATABASE_URL: value }).secret('env:DATABASE_URL').reveal(), value);
    }
  });

  test('an Okta service app with a client id and no private key (or a key and no client id) is refused at the missing key, not at the first write-back', () => {
    const idp = (keys: string) => `identityProviders:\n  okta: { kind: okta, orgUrl: https://acme.okta.example, ${keys} }\n${hub('    identityProvider: okta\n')}`;
    assert.deepEqual(problemsOf(idp('clientId: 0oa-service-app'), {}), ['identityProviders.okta.privateKey: required with clientId (the service app signs its token requests with it), unless token is set']);
    assert.deepEqual(problemsOf(idp('privateKey: env:OKTA_KEY'), { OKTA_KEY: 'pem' }), ['identityProviders.okta.clientId: required with privateKey (the service app it belongs to), unless token is set']);
    // Either credential whole, or an org used for its event hooks only, is fine.
    for (const keys of ['clientId: 0oa-service-app, privateKey: env:OKTA_KEY', 'token: env:OKTA_TOKEN', 'eventHookSecret: env:HOOK']) {
      assert.equal(parseConfig(idp(keys), FILE, { OKTA_KEY: 'pem', OKTA_TOKEN: 't', HOOK: 'h' }).file.hubs.length, 1, keys);
    }
  });

  test('a partner listed twice in a hub is refused at the second entry (one of its two settings would be silently ignored)', () => {
    const meta = hub('    partners: [{ businessId: "2000" }, { businessId: "3000" }, { businessId: "2000", token: env:PARTNER }]\n');
    assert.deepEqual(problemsOf(meta, { PARTNER: 'p' }), ['hubs[0].partners[2]: partner 2000 is listed twice (also partners[0]); list each partner once']);
    const tiktok = 'hubs:\n  - id: tt\n    connector: tiktok-business\n    tiktok: { businessCenterId: "1", apiBaseUrl: sandbox }\n    partners: [{ businessCenterId: "9" }, { businessCenterId: "9" }]\n';
    assert.deepEqual(problemsOf(tiktok), ['hubs[0].partners[1]: partner 9 is listed twice (also partners[0]); list each partner once']);
  });

  test('server.trustProxy of a kind it never takes (a mapping, a list of numbers) says what it takes', () => {
    for (const value of ['{ hops: 1 }', '[1, 2]']) {
      assert.deepEqual(problemsOf(`server: { trustProxy: ${value} }\n${hub()}`), [
        'server.trustProxy: expected true or false, a hop count, or addresses/subnets (10.0.0.0/8) or loopback/linklocal/uniquelocal as a comma-separated string or a list',
      ]);
    }
    assert.deepEqual(problemsOf(`server: { trustProxy: "10.0.0.0/8,proxy" }\n${hub()}`), ['server.trustProxy: expected addresses, subnets (10.0.0.0/8) or loopback/linklocal/uniquelocal, comma-separated; a subnet is an address with a prefix from 1 to 32 (IPv4) or 128 (IPv6), such as 10.0.0.0/8, or an IPv4 netmask such as 10.0.0.0/255.0.0.0']);
  });

  test('an identity provider name the schema refuses says what a name must be', () => {
    assert.deepEqual(problemsOf(`identityProviders:\n  Corp_IdP: { kind: okta, orgUrl: https://acme.okta.example }\n${hub()}`), [
      'identityProviders.Corp_IdP: not a valid key here: expected a name of lower-case letters, digits and "-" only',
    ]);
  });

  test("a hub holding the other connector's block (meta: in a TikTok hub, tiktok: in a Meta hub) names which connector the block is for", () => {
    assert.deepEqual(problemsOf('hubs:\n  - { id: tt, connector: tiktok-business, meta: { businessId: "1" } }\n'), [
      'hubs[0].tiktok: missing: expected object',
      'hubs[0].meta: unknown key (meta: is the block of a connector: meta-business hub; this hub is connector: tiktok-business, whose block is tiktok:)',
    ]);
    assert.deepEqual(problemsOf(`${hub()}  - { id: m2, connector: meta-business, tiktok: { businessCenterId: "7" } }\n`), [
      'hubs[1].meta: missing: expected object',
      'hubs[1].tiktok: unknown key (tiktok: is the block of a connector: tiktok-business hub; this hub is connector: meta-business, whose block is meta:)',
    ]);
    // Any other unknown key is named as before, without a hint.
    assert.deepEqual(problemsOf(hub('    team: []\n')), ['hubs[0].team: unknown key (did you mean teams?)']);
  });

  test('a misspelt key is named at its own path with the key it was meant to be; its value is never shown', () => {
    assert.deepEqual(problemsOf(`server: { adminToken: [env:ADMIN], publicURL: "https://hw.example" }
${hub(`    checkforUpdates: { schedule: "0 3 * * *" }
    safety: { settleSecond: 60, drift: report }
    teams: [{ group: A, appRole: ADMIN, asset: [] }]
`)}`), [
      'server.adminToken: unknown key (did you mean adminTokens?)',
      'server.publicURL: unknown key (did you mean publicUrl?)',
      'hubs[0].teams[0].asset: unknown key (did you mean assets?)',
      'hubs[0].safety.settleSecond: unknown key (did you mean settleSeconds?)',
      'hubs[0].checkforUpdates: unknown key (did you mean checkForUpdates?)',
    ]);
    // Nothing close: the keys taken there are listed, so the right one can be picked.
    const problems = problemsOf(`store: { kind: postgres, url: env:DB, password: "s3cret-pw" }\n${hub()}`);
    assert.deepEqual(problems, ['store.password: unknown key (the keys here: kind, url, schema, poolSize, taskRetentionDays)']);
    assert.ok(!/s3cret/.test(problems.join('\n')));
  });

  test('unknown and misspelled keys, wrong types, unknown names and inline secrets: each at its path, no value echoed', () => {
    const problems = problemsOf(`hubz: 1
server: { port: "eighty", adminTokens: [inline-admin-s3cret] }
store: { kind: mongo }
identityProviders:
  corp: { kind: entra, tenantId: t, clientId: c, clientSecret: "inline~entra~s3cret", extensionAppId: x }
hubs:
  - id: m
    connector: meta-business
    meta: { businessId: "1", accessToken: EAAinline-meta-s3cret }
    scim: { tokens: [inline-scim-s3cret] }
    teams:
      - { group: A, approle: ADMIN }
      - { group: B, appRole: GOD, assets: [{ type: pixelz, id: "1", tasks: [ANALYZE] }] }
      - null
    checkForUpdates: { schedule: 5 }
    partners: [{ businessId: "2", token: inline-partner-s3cret }]
  - id: t
    connector: tiktok-business
    tiktok: { businessCenterId: "7" }
    teams: [{ group: C, appRole: ADMIN, assets: [{ type: ad_account, id: "1", tasks: [ANALYZE] }] }]
  - { id: x, connector: linkedin }
`);
    assert.deepEqual(problems, [
      'server.port: Invalid input: expected number, received string',
      'server.adminTokens[0]: expected a secret reference, env:NAME or file:PATH',
      "store.kind: Invalid discriminator value. Expected 'lowdb' | 'postgres'",
      'identityProviders.corp.clientSecret: expected a secret reference, env:NAME or file:PATH',
      'hubs[0].meta.accessToken: expected a secret reference, env:NAME or file:PATH',
      'hubs[0].scim.tokens[0]: expected a secret reference, env:NAME or file:PATH',
      'hubs[0].teams[0].approle: unknown key (did you mean appRole?)',
      'hubs[0].teams[1].appRole: Invalid option: expected one of "ADMIN"|"EMPLOYEE"|"FINANCE_EDITOR"|"FINANCE_ANALYST"|"DEVELOPER"|"ADS_RIGHTS_REVIEWER"',
      'hubs[0].teams[1].assets[0].type: Invalid option: expected one of "ad_account"|"page"|"catalog"|"pixel"',
      'hubs[0].teams[2]: Invalid input: expected object, received null',
      'hubs[0].checkForUpdates.schedule: Invalid input: expected string, received number: put the value in quotes (YAML reads unquoted digits as a number)',
      'hubs[0].partners[0].token: expected a secret reference, env:NAME or file:PATH',
      'hubs[1].teams[0].assets[0].role: Invalid option: expected one of "ADMIN"|"OPERATOR"|"ANALYST"',
      'hubs[1].teams[0].assets[0].tasks: unknown key (the keys here: type, id, role)',
      'hubs[2].connector: Invalid option: expected one of "meta-business"|"tiktok-business"',
      'hubz: unknown key (did you mean hubs?)',
    ]);
    // The cross-field rules run once the shapes are right: the misspelled appRole is then named as missing.
    assert.deepEqual(problemsOf(hub('    teams: [{ group: A, approle: ADMIN }]\n')), ['hubs[0].teams[0].approle: unknown key (did you mean appRole?)', 'hubs[0].teams[0].appRole: required unless seat: false']);
    assert.ok(!/s3cret/.test(problems.join('\n')), 'no inline secret in the message');
  });
});
