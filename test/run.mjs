#!/usr/bin/env node
// Runs every *.test.ts under the project's source folders with node's own test runner (via tsx).
// Node 20 takes no globs on the command line, so the files are listed here. Pass a substring to
// run a subset: `node test/run.mjs scim` runs only test files whose path contains "scim".
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['connectors', 'scim-server', 'agent', 'config', 'test'];
const skip = new Set(['node_modules', 'data', 'test-artifacts']);
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts')) files.push(relative(process.cwd(), path));
  }
}
for (const root of roots) walk(root);
const filters = process.argv.slice(2);
const selected = files.sort().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (selected.length === 0) {
  console.error(`no test files match ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...selected],
  { stdio: 'inherit', env: { ...process.env, HUBWARDEN_LOG_LEVEL: process.env.HUBWARDEN_LOG_LEVEL ?? 'silent' } },
);
process.exit(result.status ?? 1);
