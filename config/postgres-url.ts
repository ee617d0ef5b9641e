/**
 * What is wrong with a PostgreSQL store URL (config `store.url`, `hubwarden store migrate --to`), in
 * words that never quote it: a database URL carries a password. The caller names where the URL
 * came from (the config key and reference, the CLI flag): "<where> does not hold a PostgreSQL
 * URL…" for NOT_POSTGRES, "<where>: <problem>" for the others (clauses of their own).
 */

/**
 * libpq's connection URI: "The URI scheme designator can be either postgresql:// or postgres://"
 * (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS). A scheme is
 * case-insensitive (RFC 3986 §3.1).
 */
const POSTGRES_SCHEME = /^postgres(?:ql)?:\/\//i;

export const NOT_POSTGRES = 'does not hold a PostgreSQL URL: expected postgres://user:password@host:5432/database (or postgresql://…)';

/**
 * A / ? or # ends the user information (RFC 3986 §3.2: the authority ends at the next of them), so
 * a password holding one unencoded is cut there: the URL parser refuses it ("Invalid URL") or reads
 * the password's rest as a port, path or fragment. Percent-encoding (RFC 3986 §2.1) keeps it whole.
 */
export const UNENCODED_PASSWORD = 'the password (or user name) holds a / ? or # that is not percent-encoded, which ends it there (RFC 3986 §3.2.1): write / as %2F, ? as %3F, # as %23 and % itself as %25 (RFC 3986 §2.1)';

export const UNPARSABLE = 'the URL does not parse: expected postgres://user:password@host:5432/database, with a numeric port and any reserved character in the user name or password percent-encoded (RFC 3986 §2.1)';

/**
 * Whether part of the URL's user information was parsed as its path, query or fragment: a
 * password holding `/`, `?` or `#` not percent-encoded (RFC 3986 section 3.2.1 and 3.2: those end
 * the authority), as in `postgres://app:#pw@db/hw`. What follows it, the password's rest and
 * "@host", is then no host or path to show: it is left out of every description.
 */
export function credentialsOutOfPlace(u: URL): boolean {
  // An @ in a query parameter's value (a CA file under a systemd template unit's credentials,
  // /run/credentials/hubwarden@eu.service/) is its own when the URL's user information was read
  // where it belongs (a user name): a cut password leaves none.
  if (u.pathname.includes('@') || u.hash.includes('@') || u.search.split('=')[0]!.includes('@')) return true;
  return u.username === '' && u.search.includes('@');
}

/** The problem with `value` as a PostgreSQL URL (one of the texts above), or undefined when it will do. */
export function postgresUrlProblem(value: string): string | undefined {
  if (!POSTGRES_SCHEME.test(value.trim())) return NOT_POSTGRES; // the URL parser trims as well
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Refused whole ("Invalid URL"): a password cut at a / ? or # leaves "user:rest-of-password"
    // as the host and port. Told apart from a bad host or port by where the first @ is: before
    // the first / ? or #, the user information is whole (an @ further on may be a query
    // parameter's, such as a systemd credentials path); after one with no parameter (= or &)
    // between them, a reserved character cut the password.
    const rest = value.slice(value.indexOf('//') + 2);
    const end = rest.search(/[/?#]/);
    const at = rest.indexOf('@');
    return end >= 0 && at > end && !/[=&]/.test(rest.slice(end, at)) ? UNENCODED_PASSWORD : UNPARSABLE;
  }
  return credentialsOutOfPlace(url) ? UNENCODED_PASSWORD : undefined;
}

/** "<where> <problem>" in the words the texts above are written for (see the top of this file). */
export function describePostgresUrlProblem(where: string, problem: string): string {
  return problem === NOT_POSTGRES ? `${where} ${problem}` : `${where}: ${problem}`;
}
