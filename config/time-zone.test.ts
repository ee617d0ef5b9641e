import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from './load.ts';
import { timeZoneProblem } from './time-zone.ts';

const config = (schedule?: string) => `
hubs:
  - { id: a, connector: meta-business, meta: { businessId: "1" } }
  - { id: b, connector: meta-business, meta: { businessId: "2" }${schedule ? `, checkForUpdates: { schedule: "${schedule}" }` : ''} }
`;

function problemsOf(text: string, env: NodeJS.ProcessEnv): string[] {
  try {
    parseConfig(text, '/etc/hubwarden/hubwarden.yaml', env);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
}

test('a TZ that names no time zone is a config problem when a hub has a schedule (Node would silently run it in UTC)', () => {
  // Node takes these and runs in UTC (or, for a path, without summer time): checked with the config.
  for (const tz of ['Europe/Pariss', 'CET-1CEST,M3.5.0,M10.5.0/3', 'JST-9']) {
    assert.deepEqual(problemsOf(config('0 3 * * *'), { TZ: tz }), [
      `TZ: "${tz}" is not a time zone name (the IANA tz database's, such as Europe/Paris or UTC); Node would run hubs[1].checkForUpdates.schedule in UTC instead`,
    ], tz);
  }
});

test('a zone name in another case is a problem naming it as written (Intl finds it, Node\'s TZ does not: it ran in UTC)', () => {
  assert.deepEqual(problemsOf(config('0 3 * * *'), { TZ: 'europe/paris' }), [
    'TZ: "europe/paris" is written "Europe/Paris" in the tz database; Node takes the name only as written and would run hubs[1].checkForUpdates.schedule in UTC instead',
  ]);
  for (const tz of ['utc', 'US/Eastern']) assert.deepEqual(problemsOf(config('0 3 * * *'), { TZ: tz }), [], tz); // UTC either way; an alias
});

test('a zone alias in another case is a problem naming it as written (Intl finds us/eastern as America/New_York; Node\'s TZ finds nothing: it ran in UTC)', () => {
  for (const [tz, written] of [['us/eastern', 'US/Eastern'], ['gb', 'GB'], ['etc/gmt+5', 'Etc/GMT+5'], [':us/pacific', 'US/Pacific'], ['est5edt', 'EST5EDT']]) {
    assert.deepEqual(problemsOf(config('0 3 * * *'), { TZ: tz }), [
      `TZ: "${tz}" is written "${written}" in the tz database; Node takes the name only as written and would run hubs[1].checkForUpdates.schedule in UTC instead`,
    ], tz);
  }
  // Aliases written as the tz database writes them run in their zone: taken.
  for (const tz of ['GB', 'Etc/GMT+5', ':US/Pacific', 'EST5EDT', 'Asia/Calcutta']) assert.deepEqual(problemsOf(config('0 3 * * *'), { TZ: tz }), [], tz);
});

test('a known zone, unset or empty TZ passes; no schedule, no check', () => {
  for (const tz of ['Europe/Paris', ':Europe/Paris', 'UTC', 'America/New_York', '', undefined]) {
    assert.deepEqual(problemsOf(config('0 3 * * *'), tz === undefined ? {} : { TZ: tz }), [], String(tz));
  }
  assert.deepEqual(problemsOf(config(), { TZ: 'Europe/Pariss' }), []);
  // A CLI command on an admin's machine runs no schedule, and its shell's TZ is not the server's.
  assert.doesNotThrow(() => parseConfig(config('0 3 * * *'), '/etc/hubwarden/hubwarden.yaml', { TZ: 'Europe/Pariss' }, { secrets: 'on-use' }));
});

/** A tz database folder of TZif v2 files with these footers (RFC 8536 §3.3), and `localtime` a link to one of them. */
function zoneinfo(t: { after(fn: () => void): void }, zones: Record<string, string>, localtime: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hubwarden-tz-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, footer] of Object.entries(zones)) {
    mkdirSync(join(dir, 'zoneinfo', name, '..'), { recursive: true });
    writeFileSync(join(dir, 'zoneinfo', name), Buffer.concat([Buffer.from('TZif2'), Buffer.alloc(39), Buffer.from(`\n${footer}\n`, 'latin1')]));
  }
  symlinkSync(join(dir, 'zoneinfo', localtime), join(dir, 'localtime'));
  return dir;
}

const SCHEDULE = 'hubs[1].checkForUpdates.schedule';

test('TZ as a path (":/etc/localtime" in containers) passes when its zone has no summer time, which is all Node loses from a path', (t) => {
  const dir = zoneinfo(t, { 'Etc/UTC': 'UTC0', 'Asia/Tokyo': 'JST-9' }, 'Etc/UTC');
  for (const tz of [`:${dir}/localtime`, `${dir}/localtime`, `:${dir}/zoneinfo/Asia/Tokyo`]) assert.equal(timeZoneProblem(tz, SCHEDULE), undefined, tz);
  assert.deepEqual(problemsOf(config('0 3 * * *'), { TZ: `:${dir}/localtime` }), []);
  // The host's zone file missing is the host's UTC, as with TZ unset; another missing file is a mistyped path.
  assert.equal(timeZoneProblem(`:${dir}/gone`, SCHEDULE, `${dir}/gone`), undefined);
  assert.match(timeZoneProblem(`:${dir}/zoneinfo/Europe/Pariss`, SCHEDULE) ?? '', /names no tz file that can be read/);
  // A POSIX rule of offset zero without summer time is UTC, which Node runs.
  assert.equal(timeZoneProblem('UTC0', SCHEDULE), undefined);
});

test('TZ as a path to a zone with summer time is a problem naming the zone to set instead', (t) => {
  const dir = zoneinfo(t, { 'Europe/Paris': 'CET-1CEST,M3.5.0,M10.5.0/3' }, 'Europe/Paris');
  for (const tz of [`:${dir}/localtime`, `${dir}/zoneinfo/Europe/Paris`]) {
    assert.deepEqual(problemsOf(config('0 3 * * *'), { TZ: tz }), [
      `TZ: "${tz}" is a file Node reads as its standard offset only, without summer time; set TZ to the zone's name (Europe/Paris), or Node would run ${SCHEDULE} an hour off in summer`,
    ], tz);
  }
});
