/**
 * A sweep of the `hubwarden` command's failures, run through the CLI's entry point (run() of
 * agent/cli/main.ts, in this process: cli in cli-run.ts) and, for one case of each kind, as the
 * real command (bin/hubwarden.mjs in a child process, inChild below): a usage mistake (an argument missing or extra, an unknown option, one given
 * twice, a value that is no number, date, email or URL, an empty one, one holding a line break) and
 * every way the server can fail it (nothing listening, 401, 403, 404, 409, a proxy's HTML 500 and
 * 502, an answer that is not JSON or not of the shape asked for, a reset, no answer in time). Each
 * ends with one line on stderr (`hubwarden: …`), nothing on stdout, exit 2 for a usage mistake (no
 * request made) and 1 for a failure, and neither the admin token nor a password in a URL from the
 * environment in what is printed. And `--help` of every command is its usage on stdout, exit 0.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../agent/cli/main.ts';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';
import { cli, cliProcess, type Run } from './cli-run.ts';

const TOKEN = 'sweep-admin-token-s3cret';
const URL_PASSWORD = 'url-pass-s3cret';
const DB_PASSWORD = 'db-pass-s3cret';
const SECRETS = [TOKEN, URL_PASSWORD, DB_PASSWORD];

/** How the fake server answers, by the first segment of the path (`--url http://host:port/<mode>`). */
type Mode = 'usage' | '401' | '403' | '404' | '409' | '500-html' | '500-echo' | '502' | 'not-json' | 'shape' | 'outcome' | 'outcome-held' | 'reset' | 'slow';

const problem = (status: number, detail: string) => ({ status, type: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', status, detail }) });

function answer(mode: Mode, path: string, authorization: string): { status: number; type: string; body: string } | 'reset' | 'hang' {
  switch (mode) {
    case '401': return problem(401, 'invalid admin token');
    case '403': return problem(403, 'this admin token may not reach hub "acme-ads"');
    case '404': return problem(404, 'hub "nope" does not exist');
    case '409': return problem(409, 'approval a-1 was rejected already');
    // A proxy's error page that quotes the request back, its Authorization header too.
    case '500-html': return { status: 500, type: 'text/html', body: `<html><body><h1>Internal Server Error</h1><pre>Authorization: ${authorization}\n    at handler (proxy.js:1:1)</pre></body></html>` };
    case '500-echo': return problem(500, `upstream refused ${authorization}\n    at handler (proxy.js:1:1)`);
    case '502': return { status: 502, type: 'text/html', body: '<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>' };
    case 'not-json': return { status: 200, type: 'text/html', body: '<html>Sign in</html>' };
    // JSON objects, but not of the shape the command prints: an id that is an object, `{}` for a
    // member, a report whose status is an object.
    case 'shape': {
      if (path.endsWith('/hubs')) return { status: 200, type: 'application/json', body: JSON.stringify({ items: [{ id: { id: 'acme-ads' }, label: 'Acme', health: { status: 'ok', problems: [] }, memberCounts: {} }] }) };
      // A task whose error message and progress are objects: the check it follows failed.
      if (path.startsWith('/tasks/')) return { status: 200, type: 'application/json', body: JSON.stringify({ id: 't-1', kind: 'check-for-updates', status: 'failed', summary: 'check', lastError: { kind: 'app', message: { code: 190 } } }) };
      if (path === '/tasks') return { status: 200, type: 'application/json', body: JSON.stringify({ total: 1, offset: 0, limit: 100, items: [{ id: 't-1', hubId: 'acme-ads', kind: 'invite', status: 'running', summary: 'invite', progress: { done: { n: 1 }, total: 3 } }] }) };
      if (path.endsWith('/check-for-updates')) return { status: 202, type: 'application/json', body: JSON.stringify({ taskId: 't-1' }) };
      if (path.includes('/apply')) return { status: 200, type: 'application/json', body: JSON.stringify({ id: 'r-1', status: { state: 'applied' }, items: [] }) };
      if (path.endsWith('/approve')) return { status: 200, type: 'application/json', body: JSON.stringify({ id: { id: 'a-1' }, hubId: 'acme-ads', status: 'approved' }) };
      return { status: 200, type: 'application/json', body: '{}' };
    }
    // A finished task whose result, or whose removals (an offboarding's children), hold a field of
    // another kind: a check's count that is an object, a removal's error that is one, a held list that is none.
    case 'outcome':
    case 'outcome-held': {
      const json = (body: unknown, status = 200) => ({ status, type: 'application/json', body: JSON.stringify(body) });
      if (path.endsWith('/offboard')) return json({ taskId: 't-off' }, 202);
      if (path.endsWith('/check-for-updates')) return json({ taskId: 't-chk' }, 202);
      if (path === '/tasks/t-chk') return json({ id: 't-chk', kind: 'check-for-updates', status: 'completed', summary: 'check', result: { counts: { members: { n: 3 } }, durationMs: 1500 } });
      if (path === '/tasks/t-off') return json({ id: 't-off', kind: 'offboard', status: 'completed', summary: 'offboard', result: mode === 'outcome-held' ? { held: 5 } : {} });
      const removal = { id: 't-rm', hubId: 'acme-ads', kind: 'remove', status: 'failed', summary: 'remove 1001', lastError: { kind: 'app', message: { code: 190 } } };
      if (path === '/tasks') return json({ total: mode === 'outcome' ? 1 : 0, offset: 0, limit: 500, items: mode === 'outcome' ? [removal] : [] });
      return problem(404, 'no such route');
    }
    case 'reset': return 'reset';
    case 'slow': return 'hang';
    default: return problem(500, 'a usage mistake reached the server');
  }
}

/** `{closedPort}` and `{store}` in a case's arguments and environment are filled in once known. */
interface Case {
  args: string[];
  code: 1 | 2;
  line: RegExp;
  env?: Record<string, string>;
  /** The server mode the command is sent to; `usage` (the default) counts requests: there must be none. */
  mode?: Mode | 'closed';
}

/**
 * The cases also run as the real command in a child process: the first of each server mode, every
 * one that reads its URL, token or database from the environment, and the slow one (its 30 s wait
 * would hold the in-process runs, which go one at a time). A child costs a node start and tsx's
 * loading of the CLI (1–2 s of CPU on the 2-core test machine): the sweep ran about 80 of them,
 * 87 s of the suite's time. What differs in a process (bin/hubwarden.mjs, node's exit status,
 * stderr as written to a pipe) shows in each of these.
 */
function inChild(c: Case, at: number, all: Case[]): boolean {
  const mode = c.mode ?? 'usage';
  return mode === 'slow' || c.env !== undefined || all.findIndex((o) => (o.mode ?? 'usage') === mode) === at;
}

describe('hubwarden CLI: every failure is one line and a non-zero exit', () => {
  let server: Server;
  let port = 0;
  let closedPort = 0;
  const requests: Record<string, number> = {};
  let storeFile = '';

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      const [, mode = 'usage', ...rest] = (req.url ?? '/').split('?')[0]!.split('/');
      requests[mode] = (requests[mode] ?? 0) + 1;
      const a = answer(mode as Mode, `/${rest.join('/')}`.replace(/^\/api\/v1/, ''), req.headers.authorization ?? '');
      if (a === 'reset') return void req.socket.destroy();
      if (a === 'hang') return;
      res.writeHead(a.status, { 'content-type': a.type }).end(a.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    storeFile = join(mkdtempSync(join(tmpdir(), 'hubwarden-cli-sweep-')), 'hubwarden.json');
    const store = new LowdbStore(storeFile);
    await store.open();
    await store.close();
  });
  after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));

  const usage = (args: string[], line: RegExp, env?: Record<string, string>): Case => ({ args, code: 2, line, env });
  const failed = (mode: Mode | 'closed', args: string[], line: RegExp): Case => ({ args, code: 1, line, mode });

  const cases: Case[] = [
    // An argument missing or extra, an unknown option, an option twice.
    usage(['members'], /^hubwarden: missing required argument 'hub' \(see hubwarden --help\)$/),
    usage(['remove', 'acme-ads'], /missing required argument 'member'/),
    usage(['exempt', 'acme-ads', '1001'], /required option '--reason <reason>' not specified/),
    usage(['hubs', 'extra'], /too many arguments for 'hubs'/),
    usage(['offers', 'jane@example.com', 'extra'], /too many arguments for 'offers'/),
    usage(['remove', 'acme-ads', '1001', '--force'], /unknown option '--force'/),
    usage([`--tokn=${TOKEN}`, 'hubs'], /^hubwarden: unknown option '--tokn=…' \(see hubwarden --help\)$/),
    usage(['apply', 'r-1', '--members', '1001', '--members', '1002'], /--members is given twice with different values/),
    usage(['hubs', '--token', TOKEN, '--token', 'other'], /^hubwarden: --token is given twice with different values; pass it once$/),
    // Numbers, dates, emails, formats that are not one.
    usage(['audit', '--limit', '-1'], /^hubwarden: --limit: expected a whole number from 1 to 100000, got "-1"$/),
    usage(['members', 'acme-ads', '--limit', '99999999999999999999'], /--limit: expected a whole number/),
    usage(['tasks', '--limit', 'abc'], /--limit: expected a whole number/),
    usage(['audit', '--since', 'yesterday'], /^hubwarden: --since: expected a date \(2026-11-01\) or an ISO 8601 date-time/),
    usage(['exempt', 'acme-ads', '1001', '--reason', 'board member', '--until', '2026-02-30'], /--until: expected a date/),
    usage(['offboard', 'not-an-email'], /^hubwarden: offboard: the <email> argument: expected an email address, got "not-an-email"$/),
    usage(['audit', '--email', 'jane'], /--email: expected an email address/),
    usage(['members', 'acme-ads', '--format', 'xml'], /--format: expected one of table, json, csv, got "xml"/),
    usage(['emulator', 'meta', '--port', '99999'], /--port: expected a port number/),
    // Empty values, line breaks and control characters.
    usage(['offboard', ''], /^hubwarden: offboard: the <email> argument is empty$/),
    usage(['tasks', '--hub', ''], /^hubwarden: --hub is empty$/),
    usage(['remove', 'acme-ads', '1001', '--reason', 'line one\nline two'], /--reason: the text holds a control character \(U\+000A, a line break\)/),
    usage(['claim', 'jane@example.com\n', 'offer-1'], /claim: the <email> argument: expected an email address, got "jane@example\.com\\x0a"$/),
    usage(['exempt', 'acme-ads', '1001', '--reason', 'board\u0007member'], /--reason: the text /),
    usage(['members', 'acme\u001b[2J'], /^hubwarden: members: the <hub> argument: the value holds a control character \(U\+001B\)/),
    usage(['remove', 'acme-ads', '1001\t'], /^hubwarden: remove: the <member> argument: the value holds a control character \(U\+0009\)/),
    usage(['tasks', 'retry', 'acme-ads', 't-1\u007f', '--reason', 'rerun'], /^hubwarden: tasks retry: the <taskId> argument: the value holds a control character \(U\+007F\)/),
    usage(['members', 'acme-ads', '--search', 'jane\u0001'], /^hubwarden: --search: the value holds a control character \(U\+0001\)/),
    usage(['tasks', '--hub', 'acme\nads'], /^hubwarden: --hub: the value holds a control character \(U\+000A, a line break\)/),
    // A server URL with a password in it, given or from the environment: never echoed.
    usage(['--url', `http://admin:${URL_PASSWORD}@127.0.0.1:1`, 'hubs'], /has a user name or password in it/),
    usage(['hubs'], /has a user name or password in it/, { HUBWARDEN_URL: `http://admin:${URL_PASSWORD}@127.0.0.1:1` }),
    // An admin token a header cannot carry: a bad value refused before any request, not echoed.
    usage(['hubs', '--token', `${TOKEN} extra`], /^hubwarden: the admin token has spaces, line breaks or other characters a bearer token cannot carry/),
    usage(['hubs'], /the admin token has spaces, line breaks/, { HUBWARDEN_ADMIN_TOKEN: `${TOKEN}\n` }),
    usage(['store', 'migrate', '--to', `mysql://admin:${DB_PASSWORD}@127.0.0.1/hubwarden`], /^hubwarden: store migrate: --to must be a postgres:\/\/ URL/),
    // The server, failing each way.
    failed('closed', ['hubs'], /^hubwarden: cannot reach hubwarden at http:\/\/127\.0\.0\.1:\d+\/closed: ECONNREFUSED/),
    failed('401', ['hubs'], /^hubwarden: invalid admin token \(HTTP 401\) \(pass --token or set HUBWARDEN_ADMIN_TOKEN\)$/),
    failed('403', ['remove', 'acme-ads', '1001'], /^hubwarden: this admin token may not reach hub "acme-ads" \(HTTP 403\)$/),
    failed('404', ['members', 'nope'], /^hubwarden: hub "nope" does not exist \(HTTP 404\)$/),
    failed('409', ['approve', 'a-1', '--reason', 'ok'], /^hubwarden: approval a-1 was rejected already \(HTTP 409\)$/),
    failed('500-html', ['offboard', 'jane@example.com'], /^hubwarden: Internal Server Error \(HTTP 500\)$/),
    failed('500-echo', ['tasks'], /^hubwarden: upstream refused Bearer \[admin token\]; at handler \(proxy\.js:1:1\) \(HTTP 500\)$/),
    failed('502', ['check', 'acme-ads'], /^hubwarden: Bad Gateway \(HTTP 502\)$/),
    failed('not-json', ['hubs'], /HTTP 200, not a JSON answer \(is http:\/\/127\.0\.0\.1:\d+\/not-json a hubwarden server\?\)$/),
    failed('reset', ['check', 'acme-ads', '--no-wait'], /^hubwarden: cannot reach hubwarden at /),
    failed('slow', ['hubs'], /^hubwarden: hubwarden at http:\/\/127\.0\.0\.1:\d+\/slow did not answer GET \/hubs within 30 s; it may still be working on it/),
    // Answers that are JSON objects, but not what the command prints.
    failed('shape', ['hubs'], /^hubwarden: unexpected answer from the server: row 1 has an object under ID, where this command shows text/),
    failed('shape', ['match', 'acme-ads', '1002', 'u-raj'], /^hubwarden: unexpected answer from the server: "id" is missing \(a string expected\)/),
    failed('shape', ['unexempt', 'acme-ads', '1001'], /unexpected answer from the server: "id" is missing/),
    failed('shape', ['check', 'acme-ads'], /^hubwarden: unexpected answer from the server: "lastError\.message" is an object, not a string/),
    failed('shape', ['tasks'], /^hubwarden: unexpected answer from the server: "items\[0\]\.progress\.done" is an object, not a number/),
    failed('shape', ['apply', 'r-1'], /^hubwarden: unexpected answer from the server: "status" is an object, not a string/),
    // Printed as `approval [object Object] on acme-ads`, `members: [object Object] read` (exit 0);
    // an offboarding's removal whose error is an object: "text.split is not a function"; a held
    // list that is none: "number 5 is not iterable".
    failed('shape', ['approve', 'a-1', '--reason', 'ok'], /^hubwarden: unexpected answer from the server: "id" is an object, not a string/),
    failed('outcome', ['check', 'acme-ads'], /^hubwarden: unexpected answer from the server: "result\.counts\.members" is an object, not a number/),
    failed('outcome', ['offboard', 'jane@example.com'], /^hubwarden: unexpected answer from the server: "items\[0\]\.lastError\.message" is an object, not a string/),
    failed('outcome-held', ['offboard', 'jane@example.com'], /^hubwarden: unexpected answer from the server: "result\.held" is 5, not a list/),
    // The store's database: the password in --to never shown, nothing copied.
    { args: ['store', 'migrate', '--to', 'env:HW_SWEEP_DB', '--path', '{store}'], code: 1, line: /^hubwarden: store migrate: connect ECONNREFUSED 127\.0\.0\.1:\d+$/, mode: 'closed', env: { HW_SWEEP_DB: `postgres://postgres:${DB_PASSWORD}@127.0.0.1:{closedPort}/hubwarden` } },
  ];

  test('each case: its exit code, one line on stderr naming the problem, nothing on stdout, no secret; a usage mistake makes no request', async () => {
    const runs: Array<Run | undefined> = [];
    const one = async (i: number) => {
      const c = cases[i]!;
      const url = `http://127.0.0.1:${c.mode === 'closed' ? closedPort : port}/${c.mode ?? 'usage'}`;
      const fill = (v: string) => v.replace('{closedPort}', String(closedPort)).replace('{store}', storeFile);
      const env = Object.fromEntries(Object.entries({ HUBWARDEN_URL: url, HUBWARDEN_ADMIN_TOKEN: TOKEN, ...c.env }).map(([k, v]) => [k, fill(v)]));
      runs[i] = inChild(c, i, cases) ? await cliProcess(c.args.map(fill), env) : await cli(c.args.map(fill), env);
    };
    // The slow case waits 30 s for the CLI's timeout, idle: it runs beside the others, two at a time.
    const slow = cases.findIndex((c) => c.mode === 'slow');
    const rest = cases.map((_, i) => i).filter((i) => i !== slow);
    const worker = async () => {
      for (let i = rest.shift(); i !== undefined; i = rest.shift()) await one(i);
    };
    await Promise.all([one(slow), worker(), worker()]);
    assert.ok(cases.filter((c, i) => inChild(c, i, cases)).length >= 10, 'each kind of case also runs as the real command');
    const problems: string[] = [];
    cases.forEach((c, i) => {
      const run = runs[i]!;
      const what = `hubwarden ${c.args.join(' ')}${c.mode ? ` (server: ${c.mode})` : ''}`;
      const lines = run.stderr.replace(/\n$/, '').split('\n');
      const seen = run.stdout + run.stderr;
      const wrong = [
        run.code !== c.code && `exit ${run.code}, expected ${c.code}`,
        run.stdout !== '' && `stdout ${JSON.stringify(run.stdout.slice(0, 200))}`,
        (lines.length !== 1 || !lines[0]) && `${lines.length} line(s) on stderr`,
        !c.line.test(lines[0] ?? '') && `the line does not match ${c.line}`,
        /\[object Object\]|\n\s+at \S+ \(/.test(seen) && 'an [object Object] or a stack trace',
        SECRETS.some((s) => seen.includes(s)) && 'a secret printed',
      ].filter(Boolean);
      if (wrong.length > 0) problems.push(`${what}: ${wrong.join('; ')}\n    stderr: ${JSON.stringify(run.stderr.slice(0, 300))}`);
    });
    assert.deepEqual(problems, [], problems.join('\n'));
    assert.equal(requests.usage ?? 0, 0, 'no usage mistake reached the server');
  });

  test('--help of every command and subcommand: its usage on stdout, exit 0, nothing on stderr', async () => {
    const program = await buildProgram([]);
    const paths: string[][] = [];
    const walk = (command: Command, path: string[]) => {
      for (const sub of command.commands) {
        if (sub.name() === 'help') continue;
        paths.push([...path, sub.name()]);
        walk(sub, [...path, sub.name()]);
      }
    };
    walk(program, []);
    assert.ok(paths.length >= 30, `every command: ${paths.map((p) => p.join(' ')).join(', ')}`);
    // In this process (see cli in cli-run.ts): help makes no request and starts no child.
    for (const path of paths) {
      const run = await cli([...path, '--help']);
      assert.equal(run.code, 0, `${path.join(' ')} --help: ${run.stderr}`);
      assert.equal(run.stderr, '', path.join(' '));
      assert.match(run.stdout, new RegExp(`^Usage: hubwarden ${path.join(' ')} `), path.join(' '));
    }
  });
});
