import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from './load.ts';

/**
 * For config tests: the problems `parseConfig` reports for `text` (read as the file `file`, with
 * `env` as the environment), asserting it throws a ConfigError and nothing else.
 */
export function configProblems(text: string, file: string, env: NodeJS.ProcessEnv = {}, options?: Parameters<typeof parseConfig>[3]): string[] {
  try {
    parseConfig(text, file, env, options);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}
