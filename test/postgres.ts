import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL that tests run against: HUBWARDEN_TEST_DATABASE_URL, by default the machine's
 * `postgres://postgres@127.0.0.1:5432/test` (.ci/run starts or installs it).
 *
 * test/run.mjs probes it once before the test processes start and passes what it found in
 * HUBWARDEN_TEST_POSTGRES (`reachable`, or `unreachable: <reason>`), printing one line when it is
 * unreachable; a test file run on its own (`node --import tsx --test file`) probes it itself.
 * Outside CI an unreachable database skips the suites that need it; with CI=true it fails them.
 *
 *   const db = await postgresForTests();
 *   describe('…', { skip: db.skip }, () => { … new PostgresStore({ url: db.url, … }) … });
 */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export type TestDatabase = { url: string; skip: false } | { url: string; skip: string };

export function testDatabaseUrl(): string {
  return process.env.HUBWARDEN_TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
}

let probed: Promise<TestDatabase> | undefined;

/** The test database, or why suites needing it are skipped (once per process). */
export function postgresForTests(): Promise<TestDatabase> {
  probed ??= (async (): Promise<TestDatabase> => {
    const url = testDatabaseUrl();
    const known = process.env.HUBWARDEN_TEST_POSTGRES;
    const unreachable = known === undefined ? await probePostgres(url) : known === 'reachable' ? undefined : known.replace(/^unreachable: /, '');
    if (unreachable === undefined) return { url, skip: false };
    if (process.env.CI === 'true') throw new Error(`PostgreSQL is required with CI=true and is unreachable: ${unreachable}`);
    return { url, skip: `needs PostgreSQL: ${unreachable}` };
  })();
  return probed;
}

/** Undefined when `SELECT 1` answers within 3 s, else why not (no password). */
export async function probePostgres(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    // An AggregateError (every address of a host refused) has an empty message and a code.
    const { code, message } = err as { code?: string; message?: string };
    return `${safeUrl(url)}: ${message && code && message.includes(code) ? message : [code, message].filter(Boolean).join(' ')}`;
  } finally {
    await client.end().catch(() => {});
  }
}

function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable HUBWARDEN_TEST_DATABASE_URL)';
  }
}

/**
 * A schema name no other test file uses (test files run in parallel), and a function dropping it
 * (and everything in it) once the file is done: `after(drop)`.
 */
export function testSchema(url: string, label = 'test'): { schema: string; drop: () => Promise<void> } {
  const schema = `hw_${label.replace(/[^a-z0-9_]/g, '_').slice(0, 20)}_${process.pid}_${randomBytes(4).toString('hex')}`;
  return {
    schema,
    drop: async () => {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end().catch(() => {});
      }
    },
  };
}

/** Runs `fn` on a client of its own connected to `url`, ended after (a test's look at the schema from outside the store). */
export async function withPgClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
