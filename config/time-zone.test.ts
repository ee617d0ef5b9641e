import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from './load.ts';

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
  for (const tz of ['Europe/Pariss', 'CET-1CEST,M3.5.0,M10.5.0/3', '/usr/share/zoneinfo/Europe/Paris']) {
    assert.deepEqual(problemsOf(config('0 3 * * *'), { TZ: tz }), [
      `TZ: "${tz}" is not a time zone name (the IANA tz database's, such as Europe/Paris or UTC); Node would run hubs[1].checkForUpdates.schedule in UTC instead`,
    ], tz);
  }
});

test('a known zone, unset or empty TZ passes; no schedule, no check', () => {
  for (const tz of ['Europe/Paris', ':Europe/Paris', 'UTC', 'America/New_York', '', undefined]) {
    assert.deepEqual(problemsOf(config('0 3 * * *'), tz === undefined ? {} : { TZ: tz }), [], String(tz));
  }
  assert.deepEqual(problemsOf(config(), { TZ: 'Europe/Pariss' }), []);
  // A CLI command on an admin's machine runs no schedule, and its shell's TZ is not the server's.
  assert.doesNotThrow(() => parseConfig(config('0 3 * * *'), '/etc/hubwarden/hubwarden.yaml', { TZ: 'Europe/Pariss' }, { secrets: 'on-use' }));
});
