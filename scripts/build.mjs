#!/usr/bin/env node
// `npm run build [-- --out DIR]`: compiles the product (not the tests) to plain JavaScript in dist/
// (tsconfig.build.json; `.ts` import specifiers are rewritten to `.js`), then copies the files the
// code reads at run time beside it, where their import.meta.url-relative paths expect them. The
// result runs with `node dist/scim-server/main.js` and only the production dependencies.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? join(root, 'dist'));

/**
 * Files the code reads at run time relative to its own module (the dashboard's static files, the
 * sandbox fixture, the emulator's field list…): every file under the product folders that is not
 * TypeScript or documentation is copied beside the compiled code, so a new one cannot be forgotten.
 */
const ROOTS = ['connectors', 'scim-server', 'agent', 'config'];
const copied = (name) => !name.endsWith('.ts') && !name.endsWith('.md');
function assets(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? assets(join(dir, e.name)) : copied(e.name) ? [join(dir, e.name)] : []);
}

rmSync(out, { recursive: true, force: true });
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc'); // the package exports no bin path
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit' });
if (compiled.status !== 0) {
  process.stderr.write(`build: tsc failed (exit ${compiled.status ?? compiled.signal})\n`);
  process.exit(1);
}
for (const asset of ROOTS.flatMap(assets)) {
  mkdirSync(dirname(join(out, asset)), { recursive: true });
  copyFileSync(join(root, asset), join(out, asset));
}
// dist/ holds ES modules whatever package.json beside it says.
writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
process.stdout.write(`build: ${out}\n`);
