// Compiles the repository's TypeScript once per test run with esbuild (the transformer tsx uses,
// with the same tsconfig), file by file into `outDir`, so the ~400 test processes each load plain
// JavaScript (hooks.mjs) instead of each running tsx's loader over every module it imports.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOTS = ['connectors', 'scim-server', 'agent', 'config', 'test', 'bin'];
const SKIP = new Set(['node_modules', 'data', 'test-artifacts', 'dist']);

/**
 * What every file is compiled with: ES modules for Node 20, the repository's tsconfig (esbuild
 * reads its verbatimModuleSyntax and target, https://esbuild.github.io/content-types/#tsconfig-json),
 * and inline source maps, so a failing test's stack names the .ts line.
 */
export function transformOptions(root) {
  return {
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    tsconfigRaw: readFileSync(join(root, 'tsconfig.json'), 'utf8'),
    logLevel: 'warning',
  };
}

/** Files under `dir` (skipping dependencies, data and build output) whose name `keep` accepts. */
function filesUnder(dir, keep, out) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) filesUnder(path, keep, out);
    else if (keep(name)) out.push(path);
  }
  return out;
}

/** Every file under the product and test folders of `root` whose name `keep` accepts (test/run.mjs lists the tests with it). */
export function repositoryFiles(root, keep) {
  return ROOTS.flatMap((r) => filesUnder(join(root, r), keep, []));
}

/** Compiles every TypeScript file under the product and test folders of `root` into `outDir`; returns how many. */
export async function compileForTests(root, outDir) {
  const { build } = await import('esbuild');
  const entryPoints = repositoryFiles(root, (name) => /\.[mc]?ts$/.test(name) && !name.endsWith('.d.ts'));
  await build({ ...transformOptions(root), entryPoints, outdir: outDir, outbase: root, bundle: false });
  return entryPoints.length;
}
