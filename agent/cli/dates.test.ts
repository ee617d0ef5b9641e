import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dateOption } from './dates.ts';
import { CliError } from './cli-error.ts';

test('a date option takes a real date or an RFC 3339 date-time, and refuses what would be read some other way', () => {
  assert.equal(dateOption('--since', '2026-11-01', 'start-of-day'), '2026-11-01T00:00:00Z');
  assert.equal(dateOption('--until', '2026-12-31', 'as-is'), '2026-12-31');
  assert.equal(dateOption('--since', '2026-11-01T23:59:59.5+14:00', 'as-is'), '2026-11-01T23:59:59.5+14:00');
  for (const raw of ['2026-11-01T24:00:00Z', '2026-11-01T09:60:00Z', '2026-11-01T09:00:00+24:00', '2026-11-01T09:00:00+05:60', '2026-02-30', '11/01/2026', '2026-11-01T09:00:00', '2026-11-01 09:00:00Z']) {
    assert.throws(() => dateOption('--since', raw, 'as-is'), (e: unknown) => e instanceof CliError && e.exitCode === 2 && e.message.startsWith('--since: expected a date'), raw);
  }
});
