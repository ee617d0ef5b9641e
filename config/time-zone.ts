/**
 * The time zone the check-for-updates schedules run in: the server's, from `TZ` (node-cron is given
 * no zone, so it reads wall-clock time through Intl's default zone). Node takes a `TZ` it does not
 * know (`Europe/Pariss`, a POSIX rule such as `CET-1CEST,M3.5.0,M10.5.0/3`) without a word and runs
 * in UTC: a schedule meant for 03:00 in Paris ran at 04:00 or 05:00 there. So a `TZ` is checked
 * with the config when a hub has a schedule, and one that names no zone of the IANA tz database
 * (https://www.iana.org/time-zones) is a problem, as a misspelt HUBWARDEN_LOG_LEVEL is.
 *
 * Unset is the host's zone (/etc/localtime); empty is UTC (POSIX: https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/V1_chap08.html#tag_08_03).
 * A leading ":" is dropped (`:Europe/Paris`). A path (`/usr/share/zoneinfo/Europe/Paris`) is refused:
 * Node 20 reads it as a fixed offset without the zone's summer time (July in Paris at UTC+1).
 */
export function timeZoneProblem(tz: string | undefined, scheduledAt: string | undefined): string | undefined {
  if (scheduledAt === undefined || tz === undefined || tz === '') return undefined;
  const name = tz.replace(/^:/, '');
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return undefined;
  } catch {
    return `TZ: "${tz}" is not a time zone name (the IANA tz database's, such as Europe/Paris or UTC); Node would run ${scheduledAt} in UTC instead`;
  }
}

/** The path of the first hub's schedule, for the problem line (undefined when no hub has one). */
export function firstSchedulePath(hubs: ReadonlyArray<{ checkForUpdates: { schedule?: string | undefined } }>): string | undefined {
  const i = hubs.findIndex((h) => h.checkForUpdates.schedule !== undefined);
  return i < 0 ? undefined : `hubs[${i}].checkForUpdates.schedule`;
}
