// Module load hook for the test processes (https://nodejs.org/docs/latest-v20.x/api/module.html#customization-hooks):
// a `.ts` file under the repository is answered with the JavaScript test/loader/compile.mjs wrote
// for it before the run, so each test process skips transforming and caching its TypeScript. The
// module keeps its own file URL: import.meta.url, relative imports and paths read beside it are
// those of the `.ts` source. A `.ts` file the run did not compile (outside the repository, or
// written since) is transformed here, as tsx would.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { relative, sep } from 'node:path';
import { transformOptions } from './compile.mjs';

let root;
let outDir;

export function initialize(data) {
  root = data.root;
  outDir = data.outDir;
}

export async function load(url, context, nextLoad) {
  // A query or fragment (a test importing a module afresh: `./x.ts?replica=b`) names the same file.
  if (!url.startsWith('file:') || !/\.[mc]?ts$/.test(new URL(url).pathname)) return nextLoad(url, context);
  const path = fileURLToPath(url);
  if (path.startsWith(root + sep)) {
    const compiled = `${outDir}${sep}${relative(root, path).replace(/\.[mc]?ts$/, '.js')}`;
    const source = await readFile(compiled, 'utf8').catch(() => undefined);
    if (source !== undefined) return { format: 'module', source, shortCircuit: true };
  }
  const { transform } = await import('esbuild');
  const { code } = await transform(await readFile(path, 'utf8'), { ...transformOptions(root), sourcefile: path, loader: 'ts' });
  return { format: 'module', source: code, shortCircuit: true };
}
