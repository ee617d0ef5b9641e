// `node --import ./test/loader/register.mjs`: the test processes load the repository's TypeScript
// through hooks.mjs, from the build test/run.mjs made (HUBWARDEN_TEST_BUILD = its folder).
import { register } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const outDir = process.env.HUBWARDEN_TEST_BUILD;
if (!outDir) throw new Error('test/loader/register.mjs: HUBWARDEN_TEST_BUILD is not set (run the tests with node test/run.mjs)');
// Source maps: a failing assertion's stack names the .ts line, as with tsx.
process.setSourceMapsEnabled(true);
register('./hooks.mjs', import.meta.url, { data: { root: resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), outDir } });
