import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configKeys, MEANINGS, withReferenceTable } from './reference.ts';

const readme = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');

test('every config key in the schema has a meaning, and no meaning is for a key that no longer exists', () => {
  const keys = configKeys().map((k) => k.key);
  const missing = keys.filter((k) => !MEANINGS[k]);
  const stale = Object.keys(MEANINGS).filter((k) => !keys.includes(k));
  assert.deepEqual({ missing, stale }, { missing: [], stale: [] }, 'edit MEANINGS in config/reference.ts, then run `npx tsx config/reference.ts --write`');
  // spot checks that the walk reads the schema, not a fixed list
  const port = configKeys().find((k) => k.key === 'server.port')!;
  assert.deepEqual(port, { key: 'server.port', type: 'integer', default: '8080' });
  assert.equal(configKeys().find((k) => k.key === 'hubs[].teams[].appRole')!.default, 'optional');
  assert.equal(configKeys().find((k) => k.key === 'collections[].offerDays')!.default, '30');
  assert.match(configKeys().find((k) => k.key === 'hubs[].scim.tokens')!.type, /secret/);
});

test('README.md holds the current generated config reference', () => {
  const text = readFileSync(readme, 'utf8');
  assert.equal(text, withReferenceTable(text), 'README config reference is stale: run `npx tsx config/reference.ts --write`');
  assert.ok(text.includes('| `hubs[].meta.graphBaseUrl` |'));
});

test('hubs[].loginMethod: while nothing outside config/ reads it, its meaning says it is not used (no effect promised)', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const readers: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.includes('.test')) {
        if (readFileSync(p, 'utf8').includes('loginMethod')) readers.push(p);
      }
    }
  };
  for (const d of ['agent', 'scim-server', 'connectors']) walk(join(root, d));
  const meaning = MEANINGS['hubs[].loginMethod']!;
  if (readers.length === 0) {
    assert.match(meaning, /not used/, 'the agent never reads loginMethod: its meaning must not promise an effect');
    assert.doesNotMatch(meaning, /affects/);
  } else {
    assert.doesNotMatch(meaning, /not used/, `loginMethod is read by ${readers.join(', ')}: say what it does`);
  }
});
