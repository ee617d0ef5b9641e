/**
 * A config path (`--config`, HUBWARDEN_CONFIG) that is a URL (`postgres://app:pw@db/hw`, a
 * database URL pasted where the config file belongs): refused before it is read, and never
 * quoted. Taken as a path it was "the config postgres://app:pw@db/hw cannot be read: ENOENT",
 * the password on the terminal and in a supervisor's log. A URL's scheme and "://" (RFC 3986
 * §3.1, §3.2) are no part of a file name anyone writes; a file is named by its path.
 */
const URL_LIKE = /^\s*[a-z][a-z0-9+.-]*:\/\//i;

/** The problem with `path` as a config file's path, said of `where` without quoting it, or undefined. */
export function configPathProblem(path: string, where: string): string | undefined {
  if (!URL_LIKE.test(path)) return undefined;
  return `${where} is a URL, not the path of a config file; not read, and not shown (it may hold a password): give the config file's path, such as config/hubwarden.yaml (a database URL belongs in store.url, or store migrate --to)`;
}
