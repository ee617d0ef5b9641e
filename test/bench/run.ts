/**
 * `npm run bench -- NAME [args]`: runs test/bench/NAME.ts, whose default export is
 * `async (args: string[]) => void` and prints its figures. Without a name, lists the benchmarks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// A benchmark is a file with a default export; the others here are its helpers (a load
// generator, an emulator in its own process), which cannot run alone.
const isBenchmark = (f: string) => /^export (default|\{ default \})/m.test(readFileSync(join(here, f), 'utf8'));
const available = readdirSync(here).filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.includes('.test.') && isBenchmark(f)).map((f) => f.slice(0, -3));
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|') || 'none yet'}> [args]`);
  process.exit(name ? 1 : 0);
}
const mod = await import(pathToFileURL(join(here, `${name}.ts`)).href);
await mod.default(args);
// Done once the figures are printed: tsx's esbuild service process (a child whose pipes are
// handles of this process) was seen keeping a `--replicas 2` run alive after its last line.
process.exit(process.exitCode ?? 0);
