import { createHash } from 'node:crypto';
import pg from 'pg';
import { credentialsOutOfPlace } from '../../../config/postgres-url.ts';

/**
 * Small pure helpers of the PostgreSQL store: names, keys, the advisory-lock key, the URL as it
 * may be shown, and which errors mean "the database cannot be reached" or "run it again".
 */

/**
 * The schema must be a plain lower-case identifier: it is interpolated (quoted) into SQL and into
 * the NOTIFY channel name, and a plain name needs no case rules in psql either.
 */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`store: PostgreSQL schema "${schema}" must be a lower-case identifier (a-z, 0-9, _; at most 63 characters, not starting with a digit)`);
  }
  return schema;
}

/** A double-quoted identifier (the name is checked first; quoting keeps reserved words usable). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The advisory-lock key of a schema: the first 8 bytes of a SHA-256 of its name, as the signed
 * bigint `pg_advisory_lock(bigint)` takes (a string, so no precision is lost in JavaScript).
 */
export function lockKeyOf(schema: string): string {
  return createHash('sha256').update(`hubwarden-store:${schema}`).digest().readBigInt64BE(0).toString();
}

/** The LISTEN/NOTIFY channel of a schema (at most 63 bytes, the identifier limit). */
export function channelOf(schema: string): string {
  const name = `${schema}_changes`;
  return name.length <= 63 ? name : `hubwarden_changes_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

/**
 * PostgreSQL text cannot hold NUL, and index values are built with it (`${hubId}\u0000${email}`).
 * Keys (partition, id, index value) are stored escaped: `\` → `\\`, NUL → `\0`. Injective, so an
 * equality lookup on the escaped value finds exactly the same records; readable in psql.
 */
export function encodeKey(value: string): string {
  return value.includes('\\') || value.includes('\u0000') ? value.replace(/\\/g, '\\\\').replace(/\u0000/g, '\\0') : value;
}

export function decodeKey(stored: string): string {
  return stored.includes('\\') ? stored.replace(/\\(\\|0)/g, (_, c: string) => (c === '0' ? '\u0000' : '\\')) : stored;
}

/** The URL as it may appear in logs and messages: never the password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (credentialsOutOfPlace(u)) return `${u.protocol}//(a URL whose password is not percent-encoded)`;
    if (u.password) u.password = '***';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

// Shared with the config's check of store.url (config/ imports nothing from agent/).
export { credentialsOutOfPlace };

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);
/** SQLSTATEs of a server that is going away, starting, or full: 57P01-57P03 and 53300. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Whether an error from `pg` means the database cannot be reached (rather than a bad query). */
export function isUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Client was closed|Query read timeout/i.test(err.message);
}

/**
 * SQLSTATEs of a server that answers but cannot take work now, whatever the query: a standby
 * reached after a failover (25006 read_only_sql_transaction), insufficient resources (class 53:
 * disk full, out of memory, a configured limit), a statement cancelled by a timeout or an operator
 * (57014), an I/O error (58030). A request met by one is refused as the store being unavailable
 * (503 + Retry-After), not as a bug (500). https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function isRefusedByServer(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || isRetryable(err)) return false;
  return code === '25006' || code === '57014' || code === '58030' || code.startsWith('53');
}

/**
 * serialization_failure, deadlock_detected, and out of shared memory for predicate locks: the
 * transaction may succeed when run again (https://www.postgresql.org/docs/current/transaction-iso.html#XACT-SERIALIZABLE).
 */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // 55P03 lock_not_available: a lock waited for longer than lock_timeout (postgres-store.ts BEGIN).
  return code === '40001' || code === '40P01' || code === '55P03' || isLockTableFull(err);
}

/**
 * 53200 with the hint to raise max_pred_locks_per_transaction or max_locks_per_transaction: the
 * server's lock table is full (many commits holding many advisory locks at once, key-locks.ts) (https://www.postgresql.org/docs/current/runtime-config-locks.html).
 */
export function isLockTableFull(err: unknown): boolean {
  const e = err as { code?: unknown; hint?: unknown; message?: unknown } | null;
  return e?.code === '53200' && /max_pred_locks_per_transaction|max_locks_per_transaction/.test(`${String(e.hint ?? '')} ${String(e.message ?? '')}`);
}

/** pg-pool's own timeout waiting for a connection (busy pool or silent database). */
export function isPoolTimeout(err: unknown): boolean {
  return err instanceof Error && /timeout exceeded when trying to connect/i.test(err.message);
}

/**
 * Why the database is unreachable or refused, as a fixed classification: the socket error code, or
 * the SQLSTATE with its class (https://www.postgresql.org/docs/current/errcodes-appendix.html),
 * never PostgreSQL's own text. That text names the role, the database and the client's address
 * (`password authentication failed for user "…"`, `no pg_hba.conf entry for host "…", user "…",
 * database "…"`, `too many connections for role "…"`), and this reaches the unauthenticated
 * /readyz and API responses. The full text goes to the log only (`detailOf`).
 */
export function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code; // a socket error: its message names the host
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return `${SQLSTATE_WORDS[code] ?? SQLSTATE_CLASSES[code.slice(0, 2)] ?? 'an error'} (SQLSTATE ${code})`;
  const message = err instanceof Error ? err.message : '';
  const known = CLIENT_MESSAGES.find((m) => m.test(message));
  return known ? known.source.toLowerCase() : 'an error without a code (details in the server log)';
}

/** node-postgres's own messages (they name no host, role or database), as they may be shown. */
const CLIENT_MESSAGES = [/Connection terminated unexpectedly/, /Connection terminated due to connection timeout/, /Connection terminated/, /connection timeout/, /timeout exceeded when trying to connect/, /Client has encountered a connection error and is not queryable/, /not queryable/, /Client was closed/, /Query read timeout/];

/** SQLSTATEs a refusal or an outage meets most, in words (errcodes-appendix). */
const SQLSTATE_WORDS: Record<string, string> = {
  '28P01': 'the database refused the connection (authentication)',
  '28000': 'the database refused the connection (authorization: role or pg_hba.conf)',
  '3D000': 'the database refused the connection (no such database)',
  '53300': 'the database refused the connection (too many connections)',
  '57P01': 'the server was shut down (admin shutdown)',
  '57P02': 'the server crashed (crash shutdown)',
  '57P03': 'the server cannot connect now (starting up or in recovery)',
  '57014': 'the statement was cancelled (statement timeout or an operator)',
  '25006': 'the server is read-only (a standby)',
  '40001': 'serialization failure',
  '40P01': 'deadlock detected',
  '55P03': 'lock not available (lock_timeout)',
  '53200': 'the server is out of memory or of lock table space',
  '53100': 'the server\'s disk is full',
  '58030': 'an I/O error on the server',
};

/** SQLSTATE classes (the first two characters, errcodes-appendix). */
const SQLSTATE_CLASSES: Record<string, string> = {
  '08': 'the connection failed',
  '28': 'the database refused the connection (authorization)',
  '3D': 'the database refused the connection (no such database)',
  '40': 'the transaction was rolled back',
  '53': 'the server lacks resources',
  '55': 'an object is not in the required state',
  '57': 'an operator intervened',
  '58': 'a system error on the server',
  'XX': 'an internal error of the server',
};

/** Everything about the error, for the log only (the logger redacts a password in a URL). */
export function detailOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const message = err.message.replace(/\s+/g, ' ');
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message || String(code ?? err.name);
}

/**
 * SQLSTATEs of a database that answered and would not open a session: authentication or
 * authorization failed (class 28), the database does not exist (3D000). Met while connecting, the
 * store cannot work (a rotated password, a dropped role) just as when unreachable.
 */
export function isConnectionRefused(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('28') || code === '3D000');
}

/**
 * A query as a named prepared statement (one name per text): each pooled connection parses and
 * plans the store's few fixed statements once, then binds them (measured: parse and bind of the
 * write statement and of lookups took about 1.3 ms of each 5 ms SCIM create). Extended-protocol
 * prepared statements: https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 * (connection poolers in transaction mode need protocol-level prepared statement support, e.g.
 * PgBouncer 1.21's max_prepared_statements).
 */
export function named(text: string): { name: string; text: string } {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `hw_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    if (statementNames.size < 10_000) statementNames.set(text, name);
  }
  return { name, text };
}
const statementNames = new Map<string, string>();

/**
 * The expressions of the insertion-order indexes (migrations/002-order-indexes.sql): a query
 * ordered by seq within a partition, or within a collection, filters on one of them.
 */
export const IN_PARTITION = `(collection || E'\\x1f' || partition)`;
export const IN_COLLECTION = `(collection || E'\\x1f')`;
/** The value of IN_PARTITION for a partition (already encoded with encodeKey). */
export const inPartition = (collection: string, encodedPartition: string) => `${collection}\u001f${encodedPartition}`;
export const inCollection = (collection: string) => `${collection}\u001f`;

