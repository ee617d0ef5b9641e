import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { storePaths } from '../../agent/store/store-inspect.ts';
import { configKeys } from '../../config/reference.ts';
import { connectors } from '../../connectors/registry.ts';
import { REPO_ROOT } from './server-process.ts';
import { DAY_MS, DEFAULT_HEALTH_POLICY, hubHealth } from '../../agent/health/hub-health.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { Transaction } from '../../agent/store/store.ts';
import { RUN_PROBLEMS } from '../../agent/writeback/run-outcome.ts';
import '../../agent/app-state/records.ts';
import type { Command } from 'commander';
import { buildProgram } from '../../agent/cli/main.ts';
import { openApiDocument } from '../../scim-server/admin/openapi.ts';
import { metricsRegistry } from '../../scim-server/ops/metrics.ts';

/**
 * What docs/operations.md tells an operator to run, checked against the files and code it drives
 * (deploy-files.test.ts checks the deployment files themselves).
 */
const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const section = (doc: string, heading: string) => {
  const start = doc.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `no section ${heading}`);
  const end = doc.slice(start + heading.length + 2).search(/\n#{2,3} /); // a heading, not a shell comment
  return end < 0 ? doc.slice(start) : doc.slice(start, start + heading.length + 2 + end);
};

test('systemd set-up: the folder holding the config lets the service user reach it', () => {
  const unit = read('deploy/hubwarden.service');
  const user = /^User=(\S+)$/m.exec(unit)?.[1];
  const config = /^Environment=HUBWARDEN_CONFIG=(\S+)$/m.exec(unit)?.[1];
  assert.ok(user && config);
  const folder = config.slice(0, config.lastIndexOf('/'));
  const steps = section(read('docs/operations.md'), '### systemd');
  const install = steps.split('\n').find((l) => l.startsWith('install -d ') && l.split(/\s+/).includes(folder));
  assert.ok(install, `the steps create ${folder}`);
  // install(1) makes the folder root:root unless -o/-g say otherwise; without search (x) permission
  // for the service user the server's read of its config fails with EACCES at start.
  const words = install.split(/\s+/);
  const after = (flag: string) => (words.includes(flag) ? words[words.indexOf(flag) + 1] : undefined);
  const bits = Number.parseInt(after('-m') ?? '0755', 8); // install(1)'s default mode
  const reaches = (after('-o') === user && (bits & 0o100) !== 0) || (after('-g') === user && (bits & 0o010) !== 0) || (bits & 0o001) !== 0;
  assert.ok(reaches, `\`${install.trim()}\` leaves ${folder} closed to ${user}`);
});

test('backing up a lowdb store names every file a checkpoint may leave the state in', () => {
  const backup = section(read('docs/operations.md'), '## Backing up');
  const paths = storePaths('store.path');
  // Mid-checkpoint the commits since the snapshot are in .journal.1 (lowdb-store.ts): a copy
  // without it opens as damaged ("a lost .journal.1?", store-inspect.ts).
  for (const file of [paths.journalPath, paths.previousJournalPath, paths.nextJournalPath, 'store.path.archive/']) assert.ok(backup.includes(`\`${file}\``), `the backup section does not name ${file}`);
});

test('the Kubernetes sample says what the shared key file is for: no stored credential is sealed with it', () => {
  // agent/secrets/keyring.ts: the key derives the credentials' audit labels and seals the OIDC
  // sign-in cookie; the store keeps no credential sealed with it (docs/operations.md, "Replacing the key file").
  const header = read('deploy/kubernetes.yaml').split('\napiVersion')[0]!;
  assert.doesNotMatch(header, /credentials are sealed/);
  assert.match(header, /audit labels/);
});

test('writeback.md: the IdP pacing it names is no config key, and says so', () => {
  // The server builds write-back without `tuning` (agent/writeback/writeback.ts: 10 requests/s,
  // burst 10); an operator reading `tuning.rate` as a setting would look for it in vain.
  const keys = configKeys().map((k) => k.key);
  assert.ok(keys.includes('store.taskRetentionDays'));
  assert.ok(!keys.some((k) => /(^|\.)tuning(\.|$)/.test(k)), 'a tuning key exists now: document it as one');
  const doc = read('docs/writeback.md').replace(/\s+/g, ' ');
  for (const at of [...doc.matchAll(/`tuning\.\w+`/g)]) assert.match(doc.slice(Math.max(0, at.index - 80), at.index), /not a config key/, `writeback.md names ${at[0]} as if it were a setting`);
});

test('operations.md names the path of every built-in sandbox the server may mount', () => {
  // The "Network" list tells the proxy what to expose; a sandbox path it leaves out is a 404 behind it.
  const doc = read('docs/operations.md');
  const paths = connectors.flatMap((d) => (d.sandbox ? [d.sandbox.path] : []));
  assert.ok(paths.length > 0);
  for (const path of paths) assert.ok(doc.includes(`\`${path}\``), `operations.md does not name ${path}`);
});

test('the hub health table of operations.md has a row for every problem hub health lists', async () => {
  // Each problem line hub-health.ts makes, from stores that hold each condition (some exclude others:
  // an expired credential is no invalid one, a failed check for updates no stale one).
  const now = new Date('2026-11-23T12:00:00.000Z');
  const iso = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();
  const run = (id: string, outcome: 'completed' | 'failed', at: string) => ({ hubId: 'h', id, trigger: { type: 'schedule' as const }, startedAt: at, finishedAt: at, durationMs: 1, outcome, graphCalls: 1 });
  const cred = (patch: object) => ({ id: 'h', hubId: 'h', at: iso(0), valid: true, scopes: [], missingScopes: [], ...patch });
  const scenarios: Array<{ fill: (tx: Transaction) => void; schedule?: string }> = [
    { fill: (tx) => {
      tx.put('hubStates', '', 'h', { id: 'h', hubId: 'h', paused: true, pausedReason: 'token expired' });
      tx.put('credentialChecks', '', 'h', cred({ valid: false, problem: 'Session has expired', missingScopes: ['ads_management'], checkError: 'connect ECONNREFUSED' }));
      tx.put('appImports', 'h', 'h', { hubId: 'h', id: 'h', complete: false, unavailable: [{ section: 'partners', message: '[10] no access' }] });
      tx.put('checkRuns', 'h', 'r', run('r', 'failed', iso(-60_000)));
      tx.put('tasks', 'h', 't', { id: 't', hubId: 'h', kind: 'invite', status: 'failed', idempotencyKey: 't', payload: {}, summary: 't', trigger: { type: 'scim' }, attempts: 1, attemptsEnded: 1, createdAt: iso(-60_000), updatedAt: iso(-60_000) });
      tx.put('appInvites', 'h', 'i', { hubId: 'h', id: 'i', email: 'a@x.com', role: 'EMPLOYEE', status: 'pending', expiresAt: iso(DAY_MS), sentByHubwarden: true, resendCount: 0, lastSeenAt: iso(0) });
      tx.put('writebackOutcomes', '', 'h', { hubId: 'h', idp: 'okta', problem: RUN_PROBLEMS.unreachable, at: iso(-60_000), since: iso(-3 * DAY_MS) });
    } },
    { fill: (tx) => {
      tx.put('credentialChecks', '', 'h', cred({ expiresAt: iso(-DAY_MS) }));
      tx.put('appImports', 'h', 'h', { hubId: 'h', id: 'h', complete: true, completedAt: iso(-5 * DAY_MS) });
      tx.put('checkRuns', 'h', 'r', run('r', 'completed', iso(-5 * DAY_MS)));
    }, schedule: '0 3 * * *' },
    { fill: (tx) => tx.put('credentialChecks', '', 'h', cred({ expiresAt: iso(5 * DAY_MS) })) },
  ];
  const problems: string[] = [];
  for (const { fill, schedule } of scenarios) {
    const store = new MemoryStore();
    await store.transact(fill);
    problems.push(...(await hubHealth(store, 'h', now, DEFAULT_HEALTH_POLICY, schedule ?? false)).problems);
  }
  assert.ok(problems.length >= 13, problems.join('\n'));

  const table = read('docs/operations.md').split('Problems a hub\'s health lists')[1]!.split('\n\n')[1]!;
  // A first cell's code spans, `…` for any text, `N` for a number and `<name>` for a name.
  const patterns = table.split('\n').slice(2).flatMap((row) => [...row.split(' | ')[0]!.matchAll(/`([^`]+)`/g)].map((m) => new RegExp(`^${m[1]!
    .split(/(…|\bN\b|<\w+>)/).map((part) => (part === '…' ? '.*' : part === 'N' ? '\\d+' : /^<\w+>$/.test(part) ? '\\S+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}`, 's')));
  for (const problem of problems) assert.ok(patterns.some((p) => p.test(problem)), `operations.md's hub health table has no row for: ${problem}`);
});

/**
 * The docs an operator or an IdP admin follows: what they name to run (a `hubwarden` command and
 * its options), to call (an admin API route) and to watch (a metric) must be there. Code spans
 * and fenced lines only: prose ("hubwarden sends …") is no command.
 */
const OPERATOR_DOCS = ['docs/operations.md', 'docs/okta-workflows.md', 'docs/writeback.md', 'docs/scaling.md', 'docs/dashboard.md', 'docs/entra-lifecycle-workflows.md', 'docs/adding-a-connector.md', ...connectors.map((d) => `connectors/${d.id}/README.md`)];

/** Each code span (and each line of a fenced block) of `doc`, with its line number. */
function codeOf(doc: string): Array<{ code: string; line: number }> {
  const out: Array<{ code: string; line: number }> = [];
  let fenced = false;
  doc.split('\n').forEach((text, i) => {
    if (/^\s*```/.test(text)) fenced = !fenced;
    else if (fenced) out.push({ code: text, line: i + 1 });
    else text.split('`').forEach((part, n) => { if (n % 2 === 1) out.push({ code: part, line: i + 1 }); });
  });
  return out;
}

/** What a `hubwarden …` command line names that the CLI does not have; '' when it is all there. */
function cliMistake(program: Command, words: string[]): string {
  const optionsOf = (c: Command) => c.options.flatMap((o) => [o.long, o.short]);
  let command = program;
  let i = 0;
  for (; i < words.length && command.commands.length > 0; i++) {
    const alternatives = words[i]!.split('/'); // `store check/repair`
    const found = alternatives.map((w) => command.commands.find((c) => c.name() === w));
    if (found.some((c) => c === undefined)) break;
    command = found[0]!;
  }
  if (command === program) return `no command ${words[0]}`;
  if (command.commands.length > 0 && !(command as unknown as { _actionHandler?: unknown })._actionHandler && !/^</.test(words[i] ?? '')) return `${words.slice(0, i).join(' ')} needs one of its commands`;
  const known = new Set([...optionsOf(program), ...optionsOf(command)]);
  const flags = words.slice(i).map((w) => w.replace(/^\[/, '').replace(/[\]=,.;:)].*$/, '')).filter((w) => /^--?[a-z]/.test(w));
  const unknown = flags.filter((f) => !known.has(f));
  return unknown.length > 0 ? `${command.name()} takes no ${unknown.join(', ')}` : '';
}

test('every `hubwarden` command the operator docs name is a CLI command, with options it takes', async () => {
  const program = await buildProgram([]);
  const stale: string[] = [];
  let named = 0;
  for (const path of OPERATOR_DOCS) {
    for (const { code, line } of codeOf(read(path))) {
      const m = /(?:^|\s)(?:npx hubwarden|hubwarden|node bin\/hubwarden\.mjs|node dist\/agent\/cli\/main\.js) ((?:[a-z][\w/-]*)(?: .*)?)$/.exec(code.split('#')[0]!.trim());
      if (!m) continue;
      named++;
      const mistake = cliMistake(program, m[1]!.split(/\s+/));
      if (mistake) stale.push(`${path}:${line}: \`${code.trim()}\`: ${mistake}`);
    }
  }
  assert.ok(named >= 30, `found ${named} commands: the scan finds none`);
  assert.deepEqual(stale, []);
  // The check itself: a misspelt command or option is caught.
  assert.match(cliMistake(program, ['task', '--status', 'failed']), /no command task/);
  assert.match(cliMistake(program, ['tasks', '--stat', 'failed']), /takes no --stat/);
  assert.match(cliMistake(program, ['store']), /needs one of its commands/);
  assert.equal(cliMistake(program, ['tasks', 'retry', '<hub>', '<taskId>', '--reason', '…']), '');
});

test('every admin API route the operator docs name is one the server serves, with that method', () => {
  const paths = openApiDocument('https://hubwarden.example.com').paths;
  const segments = (p: string) => p.replace(/[?#].*$/, '').replace(/\/$/, '').split('/').slice(1);
  const served = (method: string | undefined, path: string) => Object.entries(paths).some(([route, ops]) => {
    const r = segments(route);
    const d = segments(path);
    return r.length === d.length && r.every((s, k) => s.startsWith('{') || s === d[k]) && (method === undefined || method.toLowerCase() in ops);
  });
  const API_ROOTS = /^\/(hubs|people|tasks|reports|approvals|audit|openapi\.json)\b/;
  const stale: string[] = [];
  let named = 0;
  for (const path of OPERATOR_DOCS) {
    for (const { code, line } of codeOf(read(path))) {
      // `POST /api/v1/people/{email}/offboard`, a card's `https://hubwarden.example.com/api/v1/…`
      // URL, a `Location: /api/v1/tasks/…`, and okta-workflows.md's calls relative to the base URL.
      for (const m of code.matchAll(/(?:\b(GET|POST|PUT|PATCH|DELETE) )?(?:https:\/\/hubwarden\.example\.com)?(\/api\/v1)?((?:\/(?:\{[^}]*\}|[^\s`,)"{/])*)+)/g)) {
        const [, method, prefix, route] = m;
        if (!prefix && !(method && path === 'docs/okta-workflows.md' && API_ROOTS.test(route!))) continue;
        if (m.index > 0 && /[\w/]$/.test(code.slice(0, m.index))) continue; // /ui/api/v1/…: the dashboard's
        if (/^\/(users|meta\/schemas)\b/.test(route!)) continue; // Okta's own API (writeback.md)
        named++;
        if (!served(method, route!)) stale.push(`${path}:${line}: ${method ?? ''} ${prefix ?? ''}${route}`);
      }
    }
  }
  assert.ok(named >= 20, `found ${named} routes: the scan finds none`);
  assert.deepEqual(stale, []);
});

test('every hubwarden_ metric the operator docs name is registered', async () => {
  const registered = new Set((await metricsRegistry.getMetricsAsJSON()).map((m) => m.name));
  const stale: string[] = [];
  for (const path of OPERATOR_DOCS) {
    for (const { code, line } of codeOf(read(path))) {
      const name = /^(hubwarden_[a-z_]+)(\{.*\})?$/.exec(code.trim())?.[1];
      if (name && !registered.has(name)) stale.push(`${path}:${line}: ${name}`);
    }
  }
  assert.ok(registered.has('hubwarden_store_up'));
  assert.deepEqual(stale, []);
});

test('operations.md says which admin token the CLI sends by default: a token of every hub first', () => {
  // agent/cli/connection.ts serverOf (checked in connection.test.ts): with a portal's scoped token
  // listed first, "the first server.adminTokens" sent the operator's `hubwarden hubs` as that
  // portal, which sees its hubs only and answers 404 for the others.
  const doc = read('docs/operations.md').replace(/\s+/g, ' ');
  const defaults = /takes `--url`\/`--token` \(defaults: [^)]*\)/.exec(doc)?.[0];
  assert.ok(defaults, 'operations.md names the defaults of --url and --token');
  assert.match(defaults, /token of every hub/);
});

test('writeback.md quotes the write-back health problem as operations.md\'s hub health table does', () => {
  // hub-health.ts: `write-back to <idp> failing since <since> (last failed run <at>): <problem>`;
  // the table's row is checked against it above, and writeback.md must say the same words.
  const quoted = (doc: string) => [...read(doc).matchAll(/`(write-back to <idp> failing since [^`]*)`/g)].map((m) => m[1]!);
  const row = quoted('docs/operations.md')[0];
  assert.ok(row);
  for (const q of quoted('docs/writeback.md')) assert.equal(q.replace(/<cause>$/, '…'), row);
});
