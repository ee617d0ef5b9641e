#!/usr/bin/env node
// `npm run build [-- --out DIR]`: compiles the product (not the tests) to plain JavaScript in dist/
// (tsconfig.build.json; `.ts` import specifiers are rewritten to `.js`), then copies the files the
// code reads at run time beside it, where their import.meta.url-relative paths expect them. The
// result runs with `node dist/scim-server/main.js` and only the production dependencies.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? join(root, 'dist'));

/** Read at run time, relative to the module that reads them. */
const ASSETS = [
  'scim-server/web/static', // the dashboard's scripts and styles (scim-server/web/router.ts)
  'connectors/meta-business/emulator/fixtures', // the sandbox business (emulator/fixture.ts)
];

rmSync(out, { recursive: true, force: true });
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc'); // the package exports no bin path
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit' });
if (compiled.status !== 0) {
  process.stderr.write(`build: tsc failed (exit ${compiled.status ?? compiled.signal})\n`);
  process.exit(1);
}
for (const asset of ASSETS) {
  if (!existsSync(join(root, asset))) throw new Error(`build: ${asset} is missing`);
  cpSync(join(root, asset), join(out, asset), { recursive: true });
}
// dist/ holds ES modules whatever package.json beside it says.
writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
process.stdout.write(`build: ${out}\n`);
