/**
 * Usage mistakes on the command line: one readable line on stderr and exit 2, before any request
 * (commander's help dump, a stack trace, or a request built from an empty argument are not).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';
import { MAX_REASON } from '../../agent/safe-text.ts';
import { TEST_ENV } from './test-server.ts';
import { assertOneLineError, cli, adminApiForCli, type Run } from './cli-run.ts';

/** Runs the CLI for each argument list, one after the other (in this process: see cli in cli-run.ts). */
async function cliAll(argLists: string[][], env: Record<string, string> = {}): Promise<Run[]> {
  const out: Run[] = [];
  for (const a of argLists) out.push(await cli(a, env));
  return out;
}

describe('hubwarden CLI: usage mistakes', () => {
  const server = adminApiForCli();
  const { agent, auth } = server;

  test('a command that needs a subcommand and got none: one line naming the choices, not the help text', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /^hubwarden: missing command \(see hubwarden --help\)$/],
      [['store'], /^hubwarden: store: missing command, one of check, repair, migrate \(see hubwarden store --help\)$/],
      [['emulator'], /^hubwarden: emulator: missing command, one of meta, tiktok \(see hubwarden emulator --help\)$/],
      [['config'], /^hubwarden: config: missing command, one of validate/],
      [['sandbox', '--json'], /^hubwarden: sandbox: missing command, one of reset/],
      [['hubs', '--frobnicate'], /unknown option '--frobnicate'/],
      [['members'], /missing required argument 'hub'/],
      [['help', 'nosuch'], /^hubwarden: unknown command 'nosuch' \(see hubwarden --help\)$/],
      // A typo under a command is named as one, with that command's help: `help store nosuch` showed
      // store's help with exit 0, `store help nosuch` said "missing command", `emulator nosuch` sent
      // the admin to the program's help.
      [['help', 'store', 'nosuch'], /^hubwarden: unknown command 'nosuch' \(see hubwarden store --help\)$/],
      [['store', 'help', 'nosuch'], /^hubwarden: unknown command 'nosuch' \(see hubwarden store --help\)$/],
      [['--json', 'emulator', 'nosuch'], /^hubwarden: unknown command 'nosuch' \(see hubwarden emulator --help\)$/],
    ];
    const runs = await cliAll(cases.map(([args]) => args));
    runs.forEach((run, i) => {
      assertOneLineError(run, 2, cases[i][1]);
      assert.equal(run.stdout, '', 'no help text on stdout either');
    });
  });

  test('help asked for, by `help <command>` or --help, is printed on stdout with exit 0 and nothing on stderr', async () => {
    const runs = await cliAll([['help', 'members'], ['members', '--help'], ['help'], ['help', 'store', 'check'], ['store', 'help', 'repair']]);
    for (const run of runs) {
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
      assert.match(run.stdout, /^Usage: hubwarden/);
    }
    // The exit codes a script tells outcomes apart by are in the program's help (the README lists none).
    // `help store check` showed store's help, not check's.
    assert.match(runs[3]!.stdout, /^Usage: hubwarden store check /);
    assert.match(runs[4]!.stdout, /^Usage: hubwarden store repair /);
    const help = runs[2]!.stdout;
    for (const code of [/^ {2}0 +done/m, /^ {2}1 +failed/m, /^ {2}2 +usage mistake/m, /^ {2}130 +interrupted \(Ctrl-C\)[^\n]*143 on SIGTERM/m]) assert.match(help, code);
  });

  test('exempt\'s --reason is checked as every --reason is, match\'s --hub-role as --status is: a mistake is exit 2 and no request', async () => {
    const calls = agent.calls.length;
    // It was sent as given: the server's 400 made it exit 1, where remove with the same --reason exits 2.
    assertOneLineError(await cli(['exempt', 'acme-ads', '1001', '--reason', 'x'.repeat(MAX_REASON + 1), ...auth]), 2, new RegExp(`^hubwarden: --reason: ${MAX_REASON + 1} characters; at most ${MAX_REASON}$`));
    assertOneLineError(await cli(['exempt', 'acme-ads', '1001', '--reason', 'board\u0007member', ...auth]), 2, /^hubwarden: --reason: the text /);
    // As --status is: the server's 400 said body.hubRole, exit 1.
    assertOneLineError(await cli(['match', 'acme-ads', '1002', 'u-raj', '--hub-role', 'admin', ...auth]), 2, /^hubwarden: --hub-role: expected one of owner, manager, collaborator, got "admin"$/);
    assert.equal(agent.calls.length, calls, 'no request reached the agent');
  });

  test('exempt --until in the past, or not a date, is refused before any request: one line naming what it got, exit 2', async () => {
    const calls = agent.calls.length;
    const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
    const past = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const cases: Array<[string, RegExp]> = [
      // It was sent: the server's 400 ("is not in the future") made it exit 1.
      ['2020-01-01', /^hubwarden: --until: "2020-01-01" is in the past \(a date lasts through its end in UTC\), now is \d{4}-\d{2}-\d{2}T[\d:.]+Z: give a later date or date-time$/],
      [day(-1), new RegExp(`^hubwarden: --until: "${day(-1)}" is in the past \\(a date lasts`)],
      [past, new RegExp(`^hubwarden: --until: "${past}" is in the past, now is `)],
      ['2020-01-01T00:00:00+14:00', /^hubwarden: --until: "2020-01-01T00:00:00\+14:00" is in the past, now is /],
      ['next friday', /^hubwarden: --until: expected a date \(2026-11-01\) or an ISO 8601 date-time with its offset \(2026-11-01T09:00:00Z\), got "next friday"$/],
    ];
    for (const [until, pattern] of cases) {
      const run = await cli(['exempt', 'acme-ads', '1001', '--reason', 'board member', '--until', until, ...auth]);
      assertOneLineError(run, 2, pattern);
      assert.equal(run.stdout, '');
    }
    assert.equal(agent.calls.length, calls, 'no request reached the agent');
    // Today is not over yet (through its end in UTC), nor is a time an hour ahead: both are sent as given.
    const ahead = new Date(Date.now() + 3_600_000).toISOString();
    for (const until of [day(0), ahead]) {
      const run = await cli(['exempt', 'acme-ads', '1001', '--reason', 'board member', '--until', until, ...auth]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal((agent.writes().at(-1)!.args[2] as { until?: string }).until, until);
    }
  });

  test('audit --email that is no email address is refused before any request; an address in any case is sent as typed', async () => {
    const calls = agent.calls.length;
    for (const email of ['jane', 'jane@', '@example.com', 'jane doe@example.com', 'jane@example.com\u200b']) {
      const run = await cli(['audit', '--email', email, ...auth]);
      assertOneLineError(run, 2, /^hubwarden: --email: expected an email address \(jane@example\.com\), got "/);
      assert.equal(run.stdout, '');
    }
    assertOneLineError(await cli(['audit', '--email', 'jane\u200b@example.com', ...auth]), 2, /got "jane\\u200b@example\.com"$/);
    assert.equal(agent.calls.length, calls, 'no request reached the agent');
    // The server compares trimmed and lower-cased (emailKey): these are its to match, as before.
    for (const email of ['Jane.Doe@Example.COM', ' jane@example.com ', 'jane+ads@sub.example.co.uk']) {
      const run = await cli(['audit', '--email', email, ...auth]);
      assert.equal(run.code, 0, `${email}: ${run.stderr}`);
      assert.equal((agent.calls.at(-1)!.args[0] as { email?: string }).email, email);
    }
  });

  test('store check, repair and migrate refuse a store path that is a symbolic link, naming its target; nothing is written; migrate --to env:NAME says an empty variable is empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubwarden-cli-symlink-'));
    const store = new LowdbStore(join(dir, 'hubwarden.json'));
    await store.open();
    await store.close();
    const link = join(dir, 'link.json');
    symlinkSync(join(dir, 'hubwarden.json'), link);
    // Its journal and lock are looked for beside the link: check called the live store DAMAGED
    // (journal missing), passed over the server's lock, and repair would have replaced the link.
    for (const args of [['store', 'check'], ['store', 'repair', '--accept-loss'], ['store', 'migrate', '--to', 'postgres://postgres@127.0.0.1:1/x']]) {
      const run = await cli([...args, '--path', link]);
      assertOneLineError(run, 2, new RegExp(`^hubwarden: store: --path ${link.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a symbolic link to \\S+hubwarden\\.json: name the store file itself`));
      assert.equal(run.stdout, '');
    }
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is left as it was');
    // --to env:NAME said "not set" of a variable set empty, and named no variable for `env:`.
    assertOneLineError(await cli(['store', 'migrate', '--to', 'env:HW_EMPTY_URL', '--path', link], { HW_EMPTY_URL: '' }), 2, /^hubwarden: store migrate: environment variable HW_EMPTY_URL is set but empty$/);
    assertOneLineError(await cli(['store', 'migrate', '--to', 'env:', '--path', link]), 2, /^hubwarden: store migrate: --to env: names no variable: expected env:NAME$/);
    assert.equal(existsSync(`${link}.journal`), false);
  });

  test('an empty argument or option value, or an argument "." or "..", is refused, naming it, and nothing is asked of the server', async () => {
    const calls = agent.calls.length;
    const cases: Array<[string[], RegExp]> = [
      [['offboard', ''], /^hubwarden: offboard: the <email> argument is empty$/],
      [['members', ' '], /^hubwarden: members: the <hub> argument is empty$/],
      [['check', '', '--no-wait'], /check: the <hub> argument is empty/],
      [['claim', 'jane@example.com', ''], /claim: the <offerId> argument is empty/],
      [['match', 'acme-ads', '1002', ''], /match: the <directoryUserId> argument is empty/],
      [['tasks', '--hub', ''], /^hubwarden: --hub is empty$/],
      [['audit', '--email', ''], /^hubwarden: --email is empty$/],
      [['exempt', 'acme-ads', '1001', '--reason', '  '], /^hubwarden: --reason is empty$/],
      [['members', 'acme-ads', '--search', ''], /^hubwarden: --search is empty$/],
      // "." and ".." in a URL path are steps: `members .` asked for GET /hubs/members (hub "members").
      [['members', '.'], /^hubwarden: members: the <hub> argument cannot be "\." \(a URL path reads/],
      [['remove', 'acme-ads', '..'], /^hubwarden: remove: the <member> argument cannot be "\.\."/],
      [['approve', '..', '--reason', 'ok'], /^hubwarden: approve: the <approvalId> argument cannot be "\.\."/],
    ];
    const runs = await cliAll(cases.map(([args]) => [...args, ...auth]));
    runs.forEach((run, i) => assertOneLineError(run, 2, cases[i][1]));
    assert.equal(agent.calls.length, calls, 'no request reached the agent');
  });

  test('--token "" says the token is empty; it does not fall back to HUBWARDEN_ADMIN_TOKEN or the config', async () => {
    const calls = agent.calls.length;
    const run = await cli(['hubs', '--url', server.url, '--token', ''], { HUBWARDEN_ADMIN_TOKEN: TEST_ENV.ADMIN_TOKEN });
    assertOneLineError(run, 2, /^hubwarden: --token is empty: pass the admin token, or leave --token out/);
    assert.doesNotMatch(run.stderr, new RegExp(TEST_ENV.ADMIN_TOKEN));
    assert.equal(agent.calls.length, calls);
  });

  test('--limit takes decimal digits from 1 to 100000; --port decimal digits up to 65535', async () => {
    const limits = ['1e99', '1e3', '-1', '0', '0x10', '100001', '99999999999999999999', ' 5', '5.0', 'lots'];
    (await cliAll(limits.map((l) => ['members', 'acme-ads', '--limit', l, ...auth]))).forEach((run, i) =>
      assertOneLineError(run, 2, new RegExp(`--limit: expected a whole number from 1 to 100000, got "${limits[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`)));
    // Number('8e3') is 8000 and Number('') is 0: both would have started an emulator (and this test would hang).
    const ports = ['8e3', '0x50', '-1', '65536', 'http'];
    (await cliAll(ports.map((p) => ['emulator', 'meta', '--port', p]))).forEach((run, i) =>
      assertOneLineError(run, 2, new RegExp(`--port: expected a port number from 1 to 65535 \\(0 = any free port\\), got "${ports[i]}"`)));
    assertOneLineError(await cli(['emulator', 'meta', '--port', '']), 2, /--port is empty/);
  });

  test('an option given twice with different values is refused, naming it, never its values; nothing is asked of the server', async () => {
    const calls = agent.calls.length;
    const cases: Array<[string[], RegExp]> = [
      // Commander kept the last: this applied 1002 alone.
      [['apply', 'r-1', '--members', '1001', '--members', '1002', ...auth], /^hubwarden: --members is given twice with different values; pass it once \(several ids: --members 1001,1002\)$/],
      [['members', 'acme-ads', '--status', 'invited', '--status', 'guest', ...auth], /^hubwarden: --status is given twice/],
      [['hubs', '--url', 'http://127.0.0.1:1', ...auth], /^hubwarden: --url is given twice/],
      [['hubs', ...auth, '--token', 's3cret-other-token'], /^hubwarden: --token is given twice with different values; pass it once$/],
      [['store', 'migrate', '--to', 'postgres://a@127.0.0.1/x', '--to', 'postgres://b@127.0.0.1/y'], /^hubwarden: --to is given twice/],
    ];
    const runs = await cliAll(cases.map(([args]) => args));
    runs.forEach((run, i) => {
      assertOneLineError(run, 2, cases[i][1]);
      assert.doesNotMatch(run.stderr, /s3cret-other-token|1002,1001/);
    });
    assert.equal(agent.calls.length, calls, 'no request reached the agent');
    // The same value twice (an alias that sets it, and the command line again) is harmless.
    const same = await cli(['hubs', ...auth, '--url', server.url, '--json', '--json']);
    assert.equal(same.code, 0, same.stderr);
  });

  test('a command\'s --help lists the global options it takes, names its arguments and says what --until and exempt\'s --reason mean; --json where no JSON is printed is refused', async () => {
    const [members, exempt] = await cliAll([['members', '--help'], ['exempt', '--help']]);
    assert.match(members.stdout, /Global Options:[\s\S]*--url <url>[\s\S]*--token <token>[\s\S]*--json/);
    assert.match(exempt.stdout.replace(/\s+/g, ' '), /--until <date> when it ends: through the end of a date in UTC \(2026-12-31\), or at an ISO 8601 date-time with its offset/);
    // exempt's --reason is required (a usage error without it) and checked as every --reason is:
    // its help said neither, and the member commands named no argument.
    const exemptHelp = exempt.stdout.replace(/\s+/g, ' ');
    assert.match(exemptHelp, new RegExp(`--reason <reason> who asked and why \\(required\\): one line, at most ${MAX_REASON} characters`));
    assert.match(members.stdout.replace(/\s+/g, ' '), /--token <token> admin token \(default: HUBWARDEN_ADMIN_TOKEN or the config's first server\.adminTokens token of every hub\)/);
    for (const [command, args] of [['match', ['hub', 'member', 'directoryUserId']], ['unmatch', ['hub', 'member']], ['exempt', ['hub', 'member']], ['unexempt', ['hub', 'member']], ['remove', ['hub', 'member']]] as const) {
      const help = (await cli([command, '--help'])).stdout;
      for (const arg of args) assert.match(help, new RegExp(`Arguments:[\\s\\S]*\\n {2}${arg} +\\S`), `${command} --help describes <${arg}>`);
    }
    // store's report is text: --json was ignored (text, exit 0) and a script parsing it failed or skipped the check.
    for (const args of [['store', 'check', '--json', '--path', 'nowhere.json'], ['--json', 'store', 'repair', '--accept-loss', '--path', 'nowhere.json']]) {
      const run = await cli(args);
      assertOneLineError(run, 2, /^hubwarden: store check, repair and migrate print text only: leave --json out/);
      assert.equal(run.stdout, '');
    }
    // serve --json started the server, the option ignored. The config named does not
    // exist, so without the refusal the server stops at once rather than running on.
    const serve = await cli(['serve', '--json', '--config', join(tmpdir(), 'hubwarden-no-such-config.yaml')]);
    assertOneLineError(serve, 2, /^hubwarden: serve takes no --json \(its log lines are JSON already\): leave --json out$/);
    assert.equal(serve.stdout, '');
  });
});
