import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from './load.ts';
import { secretFileExposure } from './secret-ref.ts';
import express from 'express';
import { configProblems } from './config-problems.ts';

/**
 * Input that was taken without a word though it could not be what was meant: bytes that are not
 * UTF-8, a secret of only spaces or that is itself a reference, one group under two Unicode forms,
 * a `__proto__` key, a Meta asset id no listing could ever report.
 */
const FILE = '/etc/hubwarden/hubwarden.yaml';
const hub = (extra = '') => `hubs:\n  - id: meta-main\n    connector: meta-business\n    meta: { businessId: "1234567890" }\n${extra}`;

const problemsOf = (text: string, env: NodeJS.ProcessEnv = {}, file = FILE): string[] => configProblems(text, file, env);

function loadProblems(path: string): string[] {
  try {
    loadConfig(path, {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config input edges', () => {
  test('a file with bytes that are not UTF-8 (Latin-1, UTF-16) is refused naming the line, not read with U+FFFD in a group name', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-config-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const latin1 = Buffer.concat([Buffer.from(hub('    teams:\n      - group: Caf'), 'utf8'), Buffer.from([0xe9]), Buffer.from('\n        appRole: EMPLOYEE\n')]);
    await writeFile(join(dir, 'latin1.yaml'), latin1);
    assert.deepEqual(loadProblems(join(dir, 'latin1.yaml')), ['line 6: holds bytes that are not UTF-8 text (a file saved as Latin-1 or Windows-1252?); save the file as UTF-8']);
    await writeFile(join(dir, 'utf16.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(hub(), 'utf16le')]));
    assert.deepEqual(loadProblems(join(dir, 'utf16.yaml')), ['the file is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8']);
    // UTF-8, with or without a byte order mark, is read as before.
    await writeFile(join(dir, 'utf8.yaml'), `\uFEFF${hub('    teams:\n      - { group: Café, appRole: EMPLOYEE }\n')}`);
    assert.equal(loadConfig(join(dir, 'utf8.yaml'), {}).file.hubs[0]!.teams[0]!.group, 'Café');
  });

  test('a file far larger than any config is refused before it is parsed', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-config-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'big.yaml'), `${hub()}# ${'x'.repeat(9 * 1024 * 1024)}\n`);
    const [problem, ...more] = loadProblems(join(dir, 'big.yaml'));
    assert.deepEqual(more, []);
    assert.match(problem!, /^the file is [\d,]+ bytes, more than a config file's 8,388,608: is it the config\?$/);
  });

  test('a secret of only spaces or line breaks is refused as missing, naming the variable or file, for connector credentials too', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-config-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'blank-lines'), '\n\n \n');
    const problems = problemsOf(`hubs:
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    partners: [{ businessId: "42", token: file:blank-lines }]
`, { META_TOKEN: '  \t ' }, join(dir, 'hubwarden.yaml'));
    assert.deepEqual(problems, [
      'hubs[0].meta.accessToken: environment variable META_TOKEN holds only spaces or line breaks',
      `hubs[0].partners[0].token: ${join(dir, 'blank-lines')} holds only spaces or line breaks`,
    ]);
  });

  test('a secret whose value is itself a reference (env:…, file:…) is refused, never followed, and the rest of the value is never shown', () => {
    const text = hub().replace('"1234567890" }', '"1234567890", accessToken: env:META_TOKEN }');
    const problems = problemsOf(text, { META_TOKEN: 'env:META_TOKEN_PROD', META_TOKEN_PROD: 'EAAB-real' });
    assert.deepEqual(problems, ['hubs[0].meta.accessToken: environment variable META_TOKEN holds a secret reference (env:…), not a secret: references are not followed; set it to the secret itself']);
    assert.doesNotMatch(problems.join('\n'), /META_TOKEN_PROD|EAAB/);
    assert.match(problemsOf(text, { META_TOKEN: 'file:/run/secrets/meta' })[0]!, /holds a secret reference \(file:…\)/);
  });

  test('a file: secret other users may read is a warning at its path (the file and its mode, never the secret); a 0600 one none', { skip: process.platform === 'win32' }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-config-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'meta-token'), 'EAAB-s3cret\n');
    await writeFile(join(dir, 'scim-token'), 'scim-s3cret\n');
    await chmod(join(dir, 'meta-token'), 0o640);
    await chmod(join(dir, 'scim-token'), 0o600);
    await writeFile(join(dir, 'hubwarden.yaml'), hub('    scim: { tokens: [file:scim-token] }\n').replace('"1234567890" }', '"1234567890", accessToken: file:meta-token }'));
    const config = loadConfig(join(dir, 'hubwarden.yaml'), {});
    assert.deepEqual(config.warnings, [`hubs[0].meta.accessToken: ${join(dir, 'meta-token')} holds a secret and is readable by its group (mode 640); chmod 600 it`]);
  });

  test('a secret file\'s exposure: other users always; its group only when this process owns the file (a Kubernetes Secret read through fsGroup is not)', () => {
    const me = 1000;
    const cases: Array<[mode: number, owner: number, expected: string | undefined]> = [
      [0o600, me, undefined],
      [0o400, me, undefined],
      [0o640, me, 'readable by its group'],
      [0o440, me, 'readable by its group'],
      [0o440, 0, undefined], // root-owned, read through the pod's fsGroup (defaultMode 0440)
      [0o460, 0, 'writable by its group'],
      [0o444, 0, 'readable or writable by other users'],
      [0o604, me, 'readable or writable by other users'],
    ];
    for (const [mode, uid, expected] of cases) assert.equal(secretFileExposure({ mode: 0o100000 | mode, uid }, me), expected, `mode ${mode.toString(8)}, owner ${uid}`);
  });

  test('one group under two Unicode forms (precomposed and decomposed "é") is mapped twice, as one differing in case is', () => {
    const problems = problemsOf(hub('    teams:\n      - { group: "Caf\\u00e9 Ads", appRole: EMPLOYEE }\n      - { group: "CAFE\\u0301 ADS", appRole: ADMIN }\n'));
    assert.deepEqual(problems, ['hubs[0].teams[1].group: group "CAFE\u0301 ADS" is mapped twice (also teams[0], "Caf\u00e9 Ads": the same name but for case or Unicode form)']);
  });

  test('a __proto__ key is named as unknown wherever it is (a hub and an asset grant dropped it without a word)', () => {
    assert.deepEqual(problemsOf(hub('    __proto__: { safety: { confirmDeprovisioning: false } }\n')), ['hubs[0].__proto__: unknown key (__proto__ is no config key)']);
    assert.deepEqual(problemsOf(hub('    teams:\n      - group: Ads\n        appRole: EMPLOYEE\n        assets: [{ type: page, id: "222", tasks: [ANALYZE], __proto__: { id: "333" } }]\n')), [
      'hubs[0].teams[0].assets[0].__proto__: unknown key (__proto__ is no config key)',
    ]);
  });

  test('a value written with no space after its colon ("url:postgres://…" read as one key) is named by its key, never with what follows the colon', () => {
    const colonKey = 'unknown key: YAML reads "name:value" with no space after the colon as one key (what follows the colon is not shown): write "name: value"';
    const okta = (entry: string) => `identityProviders:\n  ${entry}\n${hub()}`;
    const cases: Array<[string, string]> = [
      [`store: { kind: postgres, url: env:DB, url:postgres://hubwarden:s3cret-pw@db.example/x }\n${hub()}`, `store.url:…: ${colonKey}`],
      [okta('corp: { kind: okta, orgUrl: "https://corp.okta.com", token:00s3cret-okta-token }'), `identityProviders.corp.token:…: ${colonKey}`],
      [hub('    scim: { tokens: [env:SCIM] }\n').replace('businessId: "1234567890" }', 'businessId: "1234567890", accessToken:EAAs3cret }'), `hubs[0].meta.accessToken:…: ${colonKey}`],
      // A key given twice is named by its path as well (yaml's duplicate-key check).
      [hub().replace('businessId: "1234567890" }', 'businessId: "1", accessToken:EAAs3cret, accessToken:EAAs3cret }'), 'hubs[0].meta.accessToken:… is given twice'],
      [okta('"corp:s3cret-okta": { kind: okta, orgUrl: "https://corp.okta.com", token: env:OKTA }'), 'identityProviders.corp:…: not a valid key here'],
    ];
    for (const [text, expected] of cases) {
      const problems = problemsOf(text, { DB: 'postgres://hubwarden@db.example/x', OKTA: 'okta-token', SCIM: 'scim-token' });
      assert.ok(problems.some((p) => p.includes(expected)), `${expected}\n  in: ${problems.join('\n  ')}`);
      assert.doesNotMatch(problems.join('\n'), /s3cret/);
    }
  });

  test('yes/no/on/off for a boolean, and a YAML 1.1 merge key (<<), are named as such, not as a bare type error or an unknown key', () => {
    assert.deepEqual(problemsOf(hub('    safety: { confirmDeprovisioning: no }\n    checkForUpdates: { onConnect: On }\n')), [
      'hubs[0].checkForUpdates.onConnect: expected true or false, got "On" (text in YAML 1.2, not a boolean): write true or false',
      'hubs[0].safety.confirmDeprovisioning: expected true or false, got "no" (text in YAML 1.2, not a boolean): write true or false',
    ]);
    assert.deepEqual(problemsOf(hub('    safety:\n      <<: { settleSeconds: 5 }\n      drift: correct\n')), [
      'hubs[0].safety.<<: a YAML merge key (<<) is not supported (a config is YAML 1.2, which has none): write the keys out',
    ]);
  });

  test('a mapping or list as a key is an unknown key at its path, and yaml prints no warning of its own to stderr', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      assert.deepEqual(problemsOf(hub('    safety: { ? [a, b] : 2 }\n')).map((p) => p.split(': ')[0]), ['hubs[0].safety.[ a, b ]']);
      await new Promise((resolve) => setImmediate(resolve)); // process.emitWarning reports on a later tick
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, []);
  });

  test('a duration too long for a date (settleSeconds, offerDays, taskRetentionDays) is refused at its path, not left to make an invalid date at runtime', () => {
    const problems = problemsOf(`store: { kind: lowdb, taskRetentionDays: 1000000000 }\ncollections: [{ id: c, label: C, offerDays: 999999999 }]\n${hub('    safety: { settleSeconds: 9999999999999 }\n')}`);
    assert.deepEqual(problems.map((p) => p.split(': ')[0]), ['store.taskRetentionDays', 'collections[0].offerDays', 'hubs[0].safety.settleSeconds']);
    // What each would have made of a date: the settle window's run time, an offer's expiry.
    assert.throws(() => new Date(Date.now() + 9999999999999 * 1000).toISOString(), RangeError);
    assert.equal(parseConfig(hub('    safety: { settleSeconds: 604800 }\n'), FILE, {}).file.hubs[0]!.safety.settleSeconds, 604800);
  });

  test('a Meta asset id that is not a Graph id (digits; an ad account act_<digits>) is refused at its path', () => {
    const team = (assets: string) => hub(`    teams:\n      - group: Ads\n        appRole: EMPLOYEE\n        assets: [${assets}]\n`);
    assert.deepEqual(problemsOf(team('{ type: page, id: "my-page", tasks: [ANALYZE] }, { type: catalog, id: "555 ", tasks: [ADVERTISE] }, { type: pixel, id: act_1, tasks: [ANALYZE] }, { type: ad_account, id: act_act_1, tasks: [ANALYZE] }')), [
      'hubs[0].teams[0].assets[0].id: expected a page id, a digit string (quote it in YAML)',
      'hubs[0].teams[0].assets[1].id: expected a catalog id, a digit string (quote it in YAML)',
      'hubs[0].teams[0].assets[2].id: expected a pixel id, a digit string (quote it in YAML)',
      'hubs[0].teams[0].assets[3].id: expected an ad account id, act_<account id> or the account id alone (digits; quote it in YAML)',
    ]);
    const ok = parseConfig(team('{ type: ad_account, id: "111", tasks: [ANALYZE] }, { type: ad_account, id: act_0123, tasks: [ANALYZE] }, { type: page, id: "222", tasks: [ANALYZE] }'), FILE, {});
    assert.deepEqual(ok.file.hubs[0]!.teams[0]!.assets.map((a) => a.id), ['act_111', 'act_0123', '222']);
  });
  test('lists or mappings nested thousands deep are one readable problem, not the parser\'s stack overflow (thrown: a crash with a stack trace)', () => {
    const deep = '- '.repeat(50_000); // block sequences nested on one line: yaml's parser recurses per level
    for (const text of [`x:\n  ${deep}y\n${hub()}`, `x: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n${hub()}`]) {
      const problems = problemsOf(text);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, /^(?:line \d+, column \d+: )?lists or mappings nest far too deeply .*is it the config\?$/);
      assert.doesNotMatch(problems[0]!, /call stack/);
    }
  });

  test('server.trustProxy: a subnet express refuses (prefix past the address\'s bits, /0, a netmask not contiguous or on IPv6) is refused at its path; what is taken, express takes', () => {
    const bad = ['10.0.0.0/99', '10.0.0.0/33', '10.0.0.0/0', '::1/129', '::1/0', '10.0.0.0/255.0.255.0', '10.0.0.0/0.0.0.0', '::1/255.0.0.0'];
    for (const entry of bad) {
      assert.throws(() => express().set('trust proxy', [entry]), /invalid range/, entry);
      const problems = problemsOf(`server: { trustProxy: ["${entry}"] }\n${hub()}`);
      assert.deepEqual(problems.map((p) => p.split(': ')[0]), ['server.trustProxy[0]'], entry);
      assert.match(problems[0]!, /a prefix from 1 to 32 \(IPv4\) or 128 \(IPv6\)/);
      assert.deepEqual(problemsOf(`server: { trustProxy: "loopback, ${entry}" }\n${hub()}`).map((p) => p.split(': ')[0]), ['server.trustProxy'], entry);
    }
    for (const entry of ['10.0.0.0/1', '10.0.0.0/32', '::1/128', '10.0.0.0/255.0.0.0', '10.0.0.0/255.255.255.255', '::ffff:10.0.0.1/24', 'loopback', '10.0.0.1']) {
      const { file } = parseConfig(`server: { trustProxy: ["${entry}"] }\n${hub()}`, FILE, {});
      assert.doesNotThrow(() => express().set('trust proxy', file.server.trustProxy), entry);
    }
  });

  test('store.schema naming PostgreSQL\'s own (pg_…, information_schema) is refused at its path, not created or migrated into', () => {
    const env = { DATABASE_URL: 'postgres://hubwarden@db.internal:5432/hubwarden' };
    for (const schema of ['pg_catalog', 'pg_hubwarden', 'information_schema']) {
      const problems = problemsOf(`store: { kind: postgres, url: env:DATABASE_URL, schema: ${schema} }\n${hub()}`, env);
      assert.deepEqual(problems, ["store.schema: names a schema PostgreSQL keeps for itself (pg_… is reserved for system schemas, information_schema holds the SQL standard's views of the database); name a schema of hubwarden's own, such as hubwarden"]);
    }
    assert.equal(parseConfig(`store: { kind: postgres, url: env:DATABASE_URL, schema: hub_pg_data }\n${hub()}`, FILE, env).file.store.kind, 'postgres');
  });

  test('server.publicUrl with a query or a fragment is refused: the SCIM base URLs and the sign-in callback are appended to it', () => {
    for (const url of ['https://hubwarden.example.com/?tenant=a', 'https://hubwarden.example.com/#top', 'https://hubwarden.example.com?']) {
      assert.deepEqual(problemsOf(`server: { publicUrl: "${url}" }\n${hub()}`), ['server.publicUrl: expected no query (?…) or fragment (#…): paths are appended to it (SCIM base URLs, the sign-in callback)'], url);
    }
    assert.equal(parseConfig(`server: { publicUrl: "https://example.com/hubwarden/" }\n${hub()}`, FILE, {}).file.server.publicUrl, 'https://example.com/hubwarden/');
  });
});
