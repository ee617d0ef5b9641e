import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from './load.ts';
import { configProblems } from './config-problems.ts';

/**
 * Secret values as they come out of files and environments written by hand: a token file saved
 * with a byte order mark, one ending in two line breaks, an env file with Windows line ends.
 */
const hub = (tokens: string) => `server: { adminTokens: [env:ADMIN] }
hubs:
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1234567890" }
    scim: { tokens: [${tokens}] }
`;
const ADMIN = 'admin-token-0123456789';
const SCIM = 'scim-token-0123456789';

const problemsOf = (text: string, file: string, env: NodeJS.ProcessEnv, options?: Parameters<typeof configProblems>[3]): string[] => configProblems(text, file, env, options);

describe('secret values a client could never present, or that carry an encoding mark', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hw-token-chars-'));
    file = join(dir, 'hubwarden.yaml');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a file: secret saved with a UTF-8 byte order mark resolves without it (a token, a database URL)', async () => {
    await writeFile(join(dir, 'scim-token'), `\uFEFF${SCIM}\r\n`);
    await writeFile(join(dir, 'db-url'), '\uFEFFpostgres://app:pw@db.internal:5432/hw\n');
    const config = parseConfig(`${hub('file:scim-token')}store: { kind: postgres, url: file:db-url }\n`, file, { ADMIN });
    assert.equal(config.secret('file:scim-token').reveal(), SCIM);
    assert.equal(config.secret('file:db-url').reveal(), 'postgres://app:pw@db.internal:5432/hw');
  });

  test('a SCIM or admin token holding a space, a line break or a "\\r" is refused at its path, never quoting the token', async () => {
    await writeFile(join(dir, 'two-breaks'), `${SCIM}\n\n`);
    assert.deepEqual(problemsOf(hub('file:two-breaks'), file, { ADMIN }), [
      `hubs[0].scim.tokens[0]: file:two-breaks holds a line break (U+000A, character ${SCIM.length + 1} of ${SCIM.length + 1}); a bearer token is visible ASCII only (RFC 6750 §2.1), so no request could present it: remove it from the value`,
    ]);
    const problems = problemsOf(hub('env:SCIM'), file, { ADMIN: `${ADMIN}\r`, SCIM: `Bearer ${SCIM}` });
    assert.deepEqual(problems.map((p) => p.split(';')[0]), [
      `server.adminTokens[0]: env:ADMIN holds a carriage return ("\\r") (U+000D, character ${ADMIN.length + 1} of ${ADMIN.length + 1})`,
      `hubs[0].scim.tokens[0]: env:SCIM holds a space (U+0020, character 7 of ${SCIM.length + 7})`,
    ]);
    assert.ok(!problems.join('\n').includes('token-0123456789'), problems.join('\n'));
  });

  test('the CLI reading only the admin token (secrets on use) is told the same', () => {
    const config = parseConfig(hub('env:SCIM'), file, { ADMIN: `${ADMIN} ` }, { secrets: 'on-use' });
    assert.throws(() => config.secret('env:ADMIN'), (err: unknown) => err instanceof ConfigError && /^server\.adminTokens\[0\]: env:ADMIN holds a space/.test(err.problems[0]!));
  });

  test("an Okta event hook secret (the whole Authorization header value) may hold inner spaces, not a line break or a space at its end", () => {
    const okta = (refs: string) => `identityProviders: { corp: { kind: okta, orgUrl: "https://acme.okta.example", token: env:OKTA, eventHookSecret: ${refs} } }\n${hub('env:SCIM')}`;
    const env = { ADMIN, SCIM, OKTA: 'okta-api-token-0123', HOOK: 'Bearer hook-secret-0123456789', NEXT: 'hook-secret-9876543210\n', PADDED: 'hook-secret-5555555555 ' };
    assert.equal(parseConfig(okta('env:HOOK'), file, env).secret('env:HOOK').reveal(), env.HOOK);
    const problems = problemsOf(okta('[env:HOOK, env:NEXT]'), file, env).concat(problemsOf(okta('env:PADDED'), file, env));
    assert.deepEqual(problems.map((p) => p.split(';')[0]), [
      'identityProviders.corp.eventHookSecret[1]: env:NEXT holds a line break (U+000A, character 23 of 23)',
      'identityProviders.corp.eventHookSecret: env:PADDED holds a space (U+0020, character 23 of 23)',
    ]);
    assert.ok(!problems.join('\n').includes('hook-secret'), problems.join('\n'));
  });

  test('a connector credential or client secret with a line break inside is refused at its key, `file:` or `env:`, never quoting it; a line end after it is not', async () => {
    const tiktok = (ref: string) => `${hub('env:SCIM')}  - id: tt
    connector: tiktok-business
    tiktok: { businessCenterId: "7000000000000000001", accessToken: ${ref} }
`;
    const TOKEN = 'tiktok-access-token-0123456789abcdef';
    await writeFile(join(dir, 'tiktok-two-lines'), `${TOKEN}\nsecond-line-of-notes\n`);
    await writeFile(join(dir, 'tiktok-crlf-inside'), `${TOKEN.slice(0, 10)}\r\n${TOKEN.slice(10)}\r\n`);
    await writeFile(join(dir, 'tiktok-one-line'), `${TOKEN}\r\n`);
    const env = { ADMIN, SCIM, META: 'EAAB-meta\rtoken', OIDC: 'oidc-client-secret\nnext', TT: `${TOKEN}\n` };
    const problems = problemsOf(tiktok('file:tiktok-two-lines'), file, env)
      .concat(problemsOf(tiktok('file:tiktok-crlf-inside'), file, env))
      .concat(problemsOf(hub('env:SCIM').replace('businessId: "1234567890"', 'businessId: "1234567890", accessToken: env:META'), file, env))
      .concat(problemsOf(`${hub('env:SCIM')}server: { adminTokens: [env:ADMIN], publicUrl: "https://hw.example", oidc: { issuer: "https://idp.example", clientId: c, clientSecret: env:OIDC } }\n`.replace('server: { adminTokens: [env:ADMIN] }\n', ''), file, env));
    assert.deepEqual(problems.map((p) => p.split(';')[0]), [
      `hubs[1].tiktok.accessToken: file:tiktok-two-lines holds a line break (U+000A, character ${TOKEN.length + 1} of ${TOKEN.length + 21})`,
      `hubs[1].tiktok.accessToken: file:tiktok-crlf-inside holds a carriage return ("\\r") (U+000D, character 11 of ${TOKEN.length + 2})`,
      'hubs[0].meta.accessToken: env:META holds a carriage return ("\\r") (U+000D, character 10 of 15)',
      'server.oidc.clientSecret: env:OIDC holds a line break (U+000A, character 19 of 23)',
    ]);
    assert.match(problems[0]!, /a credential is one line/);
    assert.ok(!/tiktok-access|second-line|EAAB|oidc-client/.test(problems.join('\n')), problems.join('\n'));
    // One line with its line end: the file's last one is dropped, an env value's is left for the HTTP client to drop.
    assert.equal(parseConfig(tiktok('file:tiktok-one-line'), file, env).secret('file:tiktok-one-line').reveal(), TOKEN);
    assert.equal(parseConfig(tiktok('env:TT'), file, env).secret('env:TT').reveal(), `${TOKEN}\n`);
  });

  test("an Okta service app's private key (a PEM block) keeps its lines", async () => {
    const pem = `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(64)}\n${'B'.repeat(20)}\n-----END PRIVATE KEY-----\n`;
    await writeFile(join(dir, 'okta-key.pem'), pem);
    const text = `identityProviders: { corp: { kind: okta, orgUrl: "https://acme.okta.example", clientId: app-1, privateKey: file:okta-key.pem } }\n${hub('env:SCIM')}`;
    assert.equal(parseConfig(text, file, { ADMIN, SCIM }).secret('file:okta-key.pem').reveal(), pem.slice(0, -1));
  });

  test('a connector credential is not held to the bearer token rule (it is not presented to hubwarden)', () => {
    const text = hub('env:SCIM').replace('businessId: "1234567890"', 'businessId: "1234567890", accessToken: env:META');
    const config = parseConfig(text, file, { ADMIN, SCIM, META: 'EAAB token with spaces' });
    assert.equal(config.secret('env:META').reveal(), 'EAAB token with spaces');
  });
});
