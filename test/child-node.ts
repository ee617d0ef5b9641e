/**
 * The arguments that make a child `node` load the repository's TypeScript, for tests that start
 * one (a server, a crash child, a replica). Under test/run.mjs: the build it made for the run
 * (test/loader/register.mjs; HUBWARDEN_TEST_BUILD names it, and children inherit the variable),
 * as the test processes themselves load it; each child then skips tsx's loading and transform
 * cache (about half a second of CPU per start). A test file run on its own (`node --import tsx
 * --test file`): tsx. What `npm start` runs (tsx) keeps tests of its own (test/process/npm-start).
 */
import { fileURLToPath } from 'node:url';

const built = process.env.HUBWARDEN_TEST_BUILD;

/** The `--import` to give a child node: an absolute path or a package name, valid from any working directory. */
export const TS_IMPORT: string = built ? fileURLToPath(new URL('./loader/register.mjs', import.meta.url)) : fileURLToPath(import.meta.resolve('tsx'));

/** `['--import', TS_IMPORT]`. */
export const TS_NODE_ARGS: readonly string[] = ['--import', TS_IMPORT];
