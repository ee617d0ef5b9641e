import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, MAX_PROBLEMS_SHOWN, parseConfig, sharedTokenProblems } from './load.ts';
import type { ConfigFile } from './schema.ts';
import { Secret } from './secret-ref.ts';
import { parseDocument } from 'yaml';

/**
 * Milliseconds `run` takes. The bounds below compare with a linear pass over the same input timed
 * just before, not with a fixed figure: on a loaded 2-core machine a fixed bound failed a linear
 * check, while a quadratic one is tens of times over the linear pass however loaded the machine.
 */
function timed(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

/**
 * A file that is valid YAML but pathological (an alias inside its own anchor, a mapping of tens of
 * thousands of keys, thousands of problems), and the kinds of value each key kind refuses: one
 * ConfigError naming the file, quickly, never a crash or a wait.
 */
const FILE = '/etc/hubwarden/hubwarden.yaml';
const hub = (extra = '') => `hubs:\n  - id: meta-main\n    connector: meta-business\n    meta: { businessId: "1234567890" }\n${extra}`;

function errorOf(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(text, FILE, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.message.split('\n')[0], `${FILE}: invalid config`);
    return err;
  }
  assert.fail('expected a ConfigError');
}
const problemsOf = (text: string, env?: NodeJS.ProcessEnv) => errorOf(text, env).problems;

describe('config bounds', () => {
  test('an alias inside its own anchor (a value holding itself) is one problem at its line, not a stack overflow', () => {
    const cases: Array<[string, string]> = [
      [`x: &a [*a]\n${hub()}`, 'line 1, column 8'],
      [`x: &a { b: { c: *a } }\n${hub()}`, 'line 1, column 17'],
      ['hubs: &h\n  - id: a\n    connector: meta-business\n    meta: { businessId: "1" }\n    teams: *h\n', 'line 5, column 12'],
    ];
    for (const [text, at] of cases) {
      const problems = problemsOf(text);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.ok(problems[0]!.startsWith(`${at}: the alias *`) && problems[0]!.includes('is inside its own anchor &'), problems[0]);
    }
  });

  test('a mapping of 60,000 keys is refused in seconds (yaml\'s own duplicate-key check compares every pair), duplicates still named by path', () => {
    let keys = 'x:\n';
    for (let i = 0; i < 60_000; i++) keys += `  k${i}: 1\n`;
    // The linear pass: yaml's parse alone, its own (quadratic) duplicate-key check off.
    const parseAlone = timed(() => parseDocument(keys + hub(), { uniqueKeys: false }));
    let problems: string[] = [];
    const checked = timed(() => (problems = problemsOf(keys + hub())));
    assert.deepEqual(problems.map((p) => p.split(': ')[0]), ['x']);
    assert.ok(checked < 8 * parseAlone + 1_000, `took ${Math.round(checked)} ms, the parse alone ${Math.round(parseAlone)} ms`);
    // Compared by value as yaml compares keys: quoted or plain, the same key.
    assert.deepEqual(problemsOf(`server:\n  port: 1\n  "port": 2\n${hub()}`), ['line 3, column 3: server.port is given twice in the same mapping; keep one']);
    assert.deepEqual(problemsOf(hub('    teams:\n      - { group: A, appRole: ADMIN, group: B }\n')), ['line 6, column 37: hubs[0].teams[0].group is given twice in the same mapping; keep one']);
  });

  test('SCIM tokens shared between hubs are found by lookup, not by searching every earlier hub (60,000 hubs: milliseconds, not seconds)', () => {
    const hubs = Array.from({ length: 60_000 }, (_, i) => ({ scim: { tokens: [`env:T${i}`] } }));
    hubs.push({ scim: { tokens: ['env:T7'] } }, { scim: { tokens: ['env:SAME'] } }, { scim: { tokens: ['env:OTHER'] } });
    const file = { server: { adminTokens: [] }, identityProviders: {}, hubs } as unknown as ConfigFile;
    const resolved = new Map([['env:SAME', new Secret('tok', 'env:SAME')], ['env:OTHER', new Secret('tok', 'env:OTHER')]]);
    // The linear pass: one lookup per token, as a Map of every token would take.
    const lookupAlone = timed(() => new Map(hubs.map((h, i) => [h.scim.tokens[0], i])));
    let problems: string[] = [];
    const checked = timed(() => (problems = sharedTokenProblems(file, resolved)));
    assert.ok(checked < 50 * lookupAlone + 500, `took ${Math.round(checked)} ms, the lookups alone ${Math.round(lookupAlone)} ms`);
    assert.deepEqual(problems.map((p) => p.split(';')[0]), [
      'hubs[60000].scim.tokens[0]: the same token as hubs[7].scim.tokens[0]',
      'hubs[60002].scim.tokens[0]: the same token as hubs[60001].scim.tokens[0]',
    ]);
  });

  test('thousands of problems: the message lists the first ones and counts the rest; problems holds every one', () => {
    let teams = '    teams:\n';
    for (let i = 0; i < 2_000; i++) teams += `      - { group: "G${i}", appRole: KING }\n`;
    const err = errorOf(hub(teams));
    assert.equal(err.problems.length, 2_000);
    const lines = err.message.split('\n');
    assert.equal(lines.length, 1 + MAX_PROBLEMS_SHOWN + 1);
    assert.match(lines[1]!, /^ {2}hubs\[0\]\.teams\[0\]\.appRole: /);
    assert.equal(lines.at(-1), `  … and 1,950 more (2,000 problems in all; \`hubwarden config validate --json\` lists every one)`);
    // A short list is shown whole.
    assert.equal(errorOf(hub('    teams: [{ group: A, appRole: KING }]\n')).message.split('\n').length, 2);
  });

  test('the root, a section or a value of the wrong kind is named at its path', () => {
    const cases: Array<[string, string]> = [
      ['- a\n- b\n', '(root)'],
      ['just text\n', '(root)'],
      ['hubs:\n', 'hubs'],
      ['hubs: { a: 1 }\n', 'hubs'],
      ['hubs:\n  -\n', 'hubs[0]'],
      [`server:\n${hub()}`, 'server'],
      [hub('    teams:\n'), 'hubs[0].teams'],
      [`server: { port: 80.5 }\n${hub()}`, 'server.port'],
      [`server: { port: -1 }\n${hub()}`, 'server.port'],
      [`server: { port: 65536 }\n${hub()}`, 'server.port'],
      [`server: { port: .inf }\n${hub()}`, 'server.port'],
      [`server: { port: .nan }\n${hub()}`, 'server.port'],
      [`store: { kind: postgres }\n${hub()}`, 'store.url'],
      [`store: { path: data/x.json }\n${hub()}`, 'store.kind'],
      [`store: { kind: postgres, url: env:DATABASE_URL, poolSize: 0 }\n${hub()}`, 'store.poolSize'],
      [hub('    safety: { removalThresholdPercent: 500 }\n'), 'hubs[0].safety.removalThresholdPercent'],
      [hub('    safety: { settleSeconds: -5 }\n'), 'hubs[0].safety.settleSeconds'],
      [hub('    loginMethod: saml\n'), 'hubs[0].loginMethod'],
      [hub('    defaultTeam: { appRole: KING }\n'), 'hubs[0].defaultTeam.appRole'],
      [hub('    teams: [{ group: A, appRole: EMPLOYEE, assets: [{ type: ad_account, id: act_1, tasks: ANALYZE }] }]\n'), 'hubs[0].teams[0].assets[0].tasks'],
      [hub('    checkForUpdates: { schedule: "0 0 30 2 *" }\n'), 'hubs[0].checkForUpdates.schedule'],
      [hub('    checkForUpdates: { schedule: "" }\n'), 'hubs[0].checkForUpdates.schedule'],
    ];
    for (const [text, path] of cases) {
      assert.deepEqual(problemsOf(text, { DATABASE_URL: 'postgres://db/x' }).map((p) => p.split(': ')[0]), [path], text);
    }
  });

  test('a hub naming an identity provider the file does not define is refused, whatever the name (constructor, toString: names every object has)', () => {
    for (const name of ['corp', 'constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      assert.deepEqual(problemsOf(hub(`    identityProvider: ${name}\n`)), [`hubs[0].identityProvider: no identity provider named "${name}" under identityProviders`], name);
    }
  });

  test('tabs as indentation are named at their line', () => {
    assert.deepEqual(problemsOf('hubs:\n\t- id: x\n'), ['line 2, column 1: Tabs are not allowed as indentation']);
  });
});
