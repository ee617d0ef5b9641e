import { userInfo } from 'node:os';
import type { Trigger } from '../desired-state/delta.ts';
import { credentialsOutOfPlace } from '../store/postgres/sql.ts';

/**
 * Who ran a `hubwarden store …` command, for its audit entry: the command, and the operating
 * system account that ran it where the system names one (a container's uid may have no name).
 */
export function storeCommandTrigger(command: 'store migrate' | 'store repair'): Trigger {
  let user: string | undefined;
  try {
    user = userInfo().username || undefined;
  } catch {
    user = undefined; // no passwd entry for this uid (os.userInfo throws: https://nodejs.org/api/os.html#osuserinfooptions)
  }
  return { type: 'cli', actor: user ? `${user} (hubwarden ${command})` : `hubwarden ${command}` };
}

/** A database URL with nothing of its credentials: scheme, host, port and database only. */
export function urlWithoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    // A password holding an unencoded / ? or # was parsed as the path: nothing of it is shown.
    if (credentialsOutOfPlace(u)) return `${u.protocol}//(a URL whose password is not percent-encoded)`;
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
