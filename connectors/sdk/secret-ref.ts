import { z } from 'zod';

/**
 * A secret is never written in the config file itself: it is a reference, `env:NAME` (an
 * environment variable) or `file:PATH` (a file, relative to the config file's folder). Connector
 * blocks use this for their credentials; config/secret-ref.ts resolves references at load time.
 */
export const secretRef = z
  .string()
  .regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/, 'expected a secret reference, env:NAME or file:PATH');
