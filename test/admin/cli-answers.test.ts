/**
 * The CLI against a server that answers what hubwarden never would: a JSON `null`, a list where an
 * object belongs, `{}`, fields of the wrong kind, a body that is not JSON. Each command ends with
 * one readable line on stderr and exit 1, never a TypeError or a stack trace. And values the server
 * sends are printed with their control characters escaped: a member called
 * "\x1b[2J\x1b[Hroot" cannot clear or rewrite the admin's terminal.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cli, type Run } from './cli-run.ts';

interface Reply { status?: number; body: string; type?: string }

/** Runs the CLI for each argument list, one after the other (in this process: see cli in cli-run.ts). */
async function cliAll(argLists: string[][]): Promise<Run[]> {
  const out: Run[] = [];
  for (const a of argLists) out.push(await cli(a));
  return out;
}

function assertOneLine(r: { code: number; stderr: string }, what: string, pattern = /./): void {
  assert.equal(r.code, 1, `${what}: exit 1 (stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0], /^hubwarden: /, what);
  assert.doesNotMatch(lines[0], /TypeError|Cannot read properties|is not a function|is not iterable|undefined|\bat \S+ \(/, what);
  assert.match(lines[0], pattern, what);
}

describe('hubwarden CLI: unexpected answers from the server', () => {
  let server: Server;
  let url: string;
  /** What the server answers to every request; a function of the path for the escape tests. */
  let reply: (path: string) => Reply = () => ({ body: '{}' });
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      const r = reply(req.url ?? '');
      res.writeHead(r.status ?? (req.method === 'POST' ? 202 : 200), { 'content-type': r.type ?? 'application/json' }).end(r.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const commands = [
    ['hubs'], ['members', 'acme-ads'], ['tasks'], ['audit'], ['reports'], ['approvals'], ['plan', 'acme-ads'],
    ['offers', 'jane@example.com'], ['check', 'acme-ads'], ['check', 'acme-ads', '--no-wait'], ['offboard', 'jane@example.com'],
    ['claim', 'jane@example.com', 'offer-1', '--no-wait'], ['remove', 'acme-ads', '1001'], ['approve', 'a-1', '--reason', 'ok'], ['apply', 'r-1'],
  ];

  const at = (args: string[]) => [...args, '--url', url, '--token', 't'];

  test('null, a list, a string or a number where an object belongs; an empty or non-JSON body', async () => {
    reply = () => ({ body: 'null' });
    (await cliAll(commands.map(at))).forEach((r, i) => assertOneLine(r, `${commands[i].join(' ')} ← null`, /the answer is null, not a JSON object/));
    const some = [['hubs'], ['members', 'acme-ads'], ['check', 'acme-ads', '--no-wait'], ['approve', 'a-1', '--reason', 'ok']];
    for (const [body, kind] of [['[{"items":[]}]', 'a list'], ['"ok"', 'a string'], ['0', '0'], ['', 'an empty body']]) {
      reply = () => ({ body });
      (await cliAll(some.map(at))).forEach((r, i) => assertOneLine(r, `${some[i].join(' ')} ← ${body}`, new RegExp(`the answer is ${kind}, not a JSON object`)));
    }
    reply = () => ({ body: '<html>502 Bad Gateway</html>', type: 'text/html' });
    (await cliAll(some.map(at))).forEach((r, i) => assertOneLine(r, `${some[i].join(' ')} ← html`, /not a JSON answer/));
    // An error status whose problem body is not one: the status, not a TypeError.
    for (const body of ['null', '[]', '{"detail":{"x":1}}']) {
      reply = () => ({ status: 500, body });
      assertOneLine(await cli(at(['hubs'])), `500 ← ${body}`, /\(HTTP 500\)$/);
    }
  });

  test('--format csv: an answer that is not text/csv (a login page, JSON, an empty 204) is refused, nothing written to stdout', async () => {
    const exports = [['members', 'acme-ads', '--format', 'csv'], ['audit', '--format', 'csv']];
    for (const r of [{ body: '<html>Sign in</html>', type: 'text/html' }, { body: '[]' }, { status: 204, body: '', type: '' }]) {
      reply = () => r;
      (await cliAll(exports.map(at))).forEach((run, i) => {
        assertOneLine(run, `${exports[i].join(' ')} ← ${r.type ?? 'application/json'}`, /not text\/csv \(is http:\/\/127\.0\.0\.1:\d+ a hubwarden server\?\)$/);
        assert.equal(run.stdout, '', 'no export written');
      });
    }
    reply = () => ({ body: 'seq,at\r\n1,2\r\n', type: 'text/csv; charset=utf-8' });
    const ok = await cli(at(['audit', '--format', 'csv']));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'seq,at\r\n1,2\r\n');
  });

  test('an object without the fields a command needs, or with fields of the wrong kind', async () => {
    const wrong: Array<[string, string[][]]> = [
      ['{}', [['hubs'], ['members', 'acme-ads'], ['plan', 'acme-ads'], ['check', 'acme-ads', '--no-wait'], ['approve', 'a-1', '--reason', 'ok'], ['reports']]],
      ['{"items":null,"total":1}', [['hubs'], ['members', 'acme-ads'], ['offers', 'jane@example.com']]],
      ['{"items":{},"total":1}', [['approvals'], ['tasks']]],
      ['{"items":[null],"total":1}', [['reports'], ['members', 'acme-ads']]],
      ['{"items":["x"],"total":1}', [['approvals'], ['audit']]],
      ['{"taskId":5}', [['check', 'acme-ads', '--no-wait'], ['remove', 'acme-ads', '1001'], ['offboard', 'jane@example.com']]],
      ['{"items":[],"total":"1"}', [['members', 'acme-ads'], ['tasks']]],
      ['{"operations":"none"}', [['plan', 'acme-ads']]],
    ];
    for (const [body, args] of wrong) {
      reply = () => ({ body });
      (await cliAll(args.map(at))).forEach((r, i) => assertOneLine(r, `${args[i].join(' ')} ← ${body}`, /unexpected answer from the server/));
    }
    // A task the server describes without a status: the poll does not spin on it.
    reply = (path) => ({ body: path.includes('/tasks/') ? '{"id":"t-1"}' : '{"taskId":"t-1"}' });
    assertOneLine(await cli(at(['check', 'acme-ads'])), 'check ← task without status', /"status" is missing \(a string expected\)/);
  });

  test("a followed task's error is scrubbed as a problem's detail is: the admin token never printed", async () => {
    const token = 'follow-admin-token-s3cret';
    const failed = { id: 't-1', kind: 'check-for-updates', status: 'failed', summary: 'check', lastError: { kind: 'app', message: `upstream refused Bearer ${token}` } };
    reply = (path) => ({ body: JSON.stringify(path.startsWith('/api/v1/tasks/') ? failed : { taskId: 't-1' }) });
    for (const args of [['check', 'acme-ads'], ['claim', 'jane@example.com', 'offer-1']]) {
      const run = await cli([...args, '--url', url, '--token', token]);
      assertOneLine(run, args.join(' '), /failed: upstream refused Bearer \[admin token\]$/);
      assert.ok(!(run.stdout + run.stderr).includes(token), `${args.join(' ')}: the token printed: ${run.stderr}`);
    }
    // An offboarding's removals are listed, not followed: their errors are scrubbed too.
    const child = { ...failed, id: 't-2', kind: 'remove-member', summary: 'remove jane@example.com' };
    reply = (path) => ({ body: JSON.stringify(path.startsWith('/api/v1/tasks?') ? { total: 1, items: [child] } : path.startsWith('/api/v1/tasks/') ? { ...failed, kind: 'offboard', status: 'completed', result: {} } : { taskId: 't-1' }) });
    const run = await cli(['offboard', 'jane@example.com', '--url', url, '--token', token]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout + run.stderr, /upstream refused Bearer \[admin token\]/);
    assert.ok(!(run.stdout + run.stderr).includes(token), `offboard: the token printed: ${run.stdout}${run.stderr}`);
  });

  test('values from the server are printed with control characters escaped (table, --json, errors)', async () => {
    const hostile = 'evil\u001b[2J\u001b[H\u001b]0;pwned\u0007\r\u009b31m\u202etxt.exe';
    const member = { hubId: 'acme-ads', id: '1001', status: 'onboarded', email: hostile, name: hostile, appRole: 'EMPLOYEE', assets: [], grantedBy: [hostile], kind: 'member' };
    reply = (path) => (path.startsWith('/api/v1/hubs/acme-ads/members')
      ? { body: JSON.stringify({ total: 1, offset: 0, limit: 100, items: [member] }) }
      : { status: 404, body: JSON.stringify({ type: 'x', title: 'Not Found', status: 404, detail: `hub "${hostile}" does not exist` }) });
    const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    const table = await cli(at(['members', 'acme-ads']));
    assert.equal(table.code, 0, table.stderr);
    assert.doesNotMatch(table.stdout, raw, JSON.stringify(table.stdout));
    assert.match(table.stdout, /evil\\x1b\[2J\\x1b\[H\\x1b\]0;pwned\\x07\\x0d\\x9b31m\\u202etxt\.exe/);
    const json = await cli(at(['members', 'acme-ads', '--json']));
    assert.doesNotMatch(json.stdout, raw);
    assert.equal(JSON.parse(json.stdout).items[0].email, hostile, '--json still carries the value itself');
    const error = await cli(at(['members', 'nope']));
    assertOneLine(error, 'a problem detail with escapes', /hub "evil\\x1b\[2J/);
    assert.doesNotMatch(error.stderr.trimEnd(), raw);
  });
});
