import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';

/**
 * The time zone the check-for-updates schedules run in: the server's, from `TZ` (node-cron is given
 * no zone, so it reads wall-clock time through Intl's default zone). Node takes a `TZ` it does not
 * know (`Europe/Pariss`, a POSIX rule such as `CET-1CEST,M3.5.0,M10.5.0/3`) without a word and runs
 * in UTC: a schedule meant for 03:00 in Paris ran at 04:00 or 05:00 there. So a `TZ` is checked
 * with the config when a hub has a schedule, and one that names no zone of the IANA tz database
 * (https://www.iana.org/time-zones) is a problem, as a misspelt HUBWARDEN_LOG_LEVEL is. Node takes a
 * name, or an alias of one, only as the database writes it (`US/Eastern`, not `us/eastern`): one
 * in another case is a problem naming the spelling it takes.
 *
 * Unset is the host's zone (/etc/localtime); empty is UTC (POSIX: https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/V1_chap08.html#tag_08_03).
 * A leading ":" is dropped (`:Europe/Paris`). A POSIX rule of offset zero and no summer time
 * (`UTC0`) is UTC, which is what Node runs. A path (`:/etc/localtime`, common in containers, or
 * `/usr/share/zoneinfo/Europe/Paris`) Node 20 reads as the file's fixed standard offset, without
 * summer time: right for a zone that has none (UTC, Asia/Tokyo), an hour off half the year for one
 * that has (July in Paris at UTC+1). So a path is a problem only when its file's rule (the TZif
 * footer, RFC 8536 §3.3) has summer time, or when no such file can be read; a missing
 * /etc/localtime is the host's UTC, as with `TZ` unset.
 */
export function timeZoneProblem(tz: string | undefined, scheduledAt: string | undefined, hostZoneFile = '/etc/localtime'): string | undefined {
  if (scheduledAt === undefined || tz === undefined || tz === '') return undefined;
  const name = tz.replace(/^:/, '');
  if (name.startsWith('/')) return zoneFileProblem(tz, name, scheduledAt, hostZoneFile);
  const rule = POSIX_WITHOUT_SUMMER.exec(name);
  if (rule && /^[+-]?0+(:0+){0,2}$/.test(rule[1]!)) return undefined;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return `TZ: "${tz}" is not a time zone name (the IANA tz database's, such as Europe/Paris or UTC); Node would run ${scheduledAt} in UTC instead`;
  }
  // Intl finds a zone's name or alias in any case (ECMA-402, Time Zone Names:
  // https://tc39.es/ecma402/#sec-time-zone-names), Node's TZ only as written: `europe/paris` and
  // `us/eastern` ran in UTC while `US/Eastern` runs in America/New_York. A zone's own name as
  // written, or UTC in any case, runs as named; any other spelling is tried as Node would take it.
  if (resolved === name || resolved === 'UTC') return undefined;
  const [runs] = zonesNodeRuns([tz], tz === process.env.TZ);
  if (runs === resolved) return undefined;
  if (runs === null && resolved.toLowerCase() !== name.toLowerCase()) return undefined; // no answer: an alias is given the benefit of the doubt
  return `TZ: "${tz}" is written "${spellingOf(name, resolved)}" in the tz database; Node takes the name only as written and would run ${scheduledAt} in ${runs ?? 'UTC'} instead`;
}

/**
 * The zone Node runs in with each of these TZ values (undefined: none, so UTC; null: could not
 * tell). `current`: the first is this process's own TZ, and this process says. Otherwise a child
 * Node process sets each in turn (Node re-reads the zone when process.env.TZ is set:
 * https://nodejs.org/api/process.html#processenv), so this process's zone never changes.
 */
function zonesNodeRuns(tzs: readonly string[], current = false): Array<string | undefined | null> {
  if (current && tzs.length === 1) return [Intl.DateTimeFormat().resolvedOptions().timeZone];
  const script = 'process.stdout.write(JSON.stringify(JSON.parse(process.env.HUBWARDEN_TZ_NAMES).map((tz) => { process.env.TZ = tz; return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 0; })))';
  const child = spawnSync(process.execPath, ['-e', script], { env: { HUBWARDEN_TZ_NAMES: JSON.stringify(tzs) }, encoding: 'utf8', timeout: 10_000 });
  try {
    const zones = JSON.parse(child.stdout) as Array<string | 0>;
    if (child.status === 0 && zones.length === tzs.length) return zones.map((z) => (z === 0 ? undefined : z));
  } catch {
    // no answer
  }
  return tzs.map(() => null);
}

/**
 * How the tz database writes `name`, a spelling of `zone` in another case: the zone's own name
 * when only the case differs; for an alias (`us/eastern`), the host's tz file of that name in any
 * case, or the alias in upper, lower or title case segment by segment (`US/Eastern`, `Etc/GMT+5`),
 * the first Node runs as `zone`; else the zone's own name, which Node always takes.
 */
function spellingOf(name: string, zone: string, zoneinfo = '/usr/share/zoneinfo'): string {
  if (zone.toLowerCase() === name.toLowerCase()) return zone;
  const title = (s: string) => s.toLowerCase().replace(/(^|[_\-/])([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
  let spellings = [''];
  for (const segment of name.split('/')) {
    const cases = new Set([segment.toUpperCase(), title(segment), segment.toLowerCase()]);
    spellings = spellings.flatMap((head) => [...cases].map((c) => (head ? `${head}/${c}` : c)));
  }
  const onHost = tzFileSpelling(name, zoneinfo);
  const candidates = [...new Set([...(onHost ? [onHost] : []), ...spellings])].filter((s) => s !== name).slice(0, 64);
  const runs = zonesNodeRuns(candidates);
  return candidates.find((_s, i) => runs[i] === zone) ?? zone;
}

/** The path of the host's tz file named `name` in any case (`US/Eastern` for us/eastern), if any. */
function tzFileSpelling(name: string, zoneinfo: string): string | undefined {
  let dir = zoneinfo;
  const found: string[] = [];
  for (const segment of name.split('/')) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return undefined;
    }
    const entry = entries.find((e) => e.toLowerCase() === segment.toLowerCase());
    if (entry === undefined) return undefined;
    found.push(entry);
    dir = `${dir}/${entry}`;
  }
  return found.join('/');
}

/**
 * A POSIX TZ rule with a standard time only (`UTC0`, `JST-9`, `<-03>3`): its offset in group 1
 * (https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/V1_chap08.html#tag_08_03).
 */
const POSIX_WITHOUT_SUMMER = /^(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)([+-]?\d{1,2}(?::\d{1,2}){0,2})$/;

function zoneFileProblem(tz: string, path: string, scheduledAt: string, hostZoneFile: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    if (path === hostZoneFile && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `TZ: "${tz}" names no tz file that can be read; set TZ to a time zone name (the IANA tz database's, such as Europe/Paris or UTC), or Node would run ${scheduledAt} in UTC`;
  }
  // TZif version 2 or later ends with "\n<POSIX TZ rule>\n" (RFC 8536 §3.3).
  const footer = text.startsWith('TZif') && text[4] !== '\0' && text.endsWith('\n') ? text.slice(text.lastIndexOf('\n', text.length - 2) + 1, -1) : undefined;
  if (footer !== undefined && POSIX_WITHOUT_SUMMER.test(footer)) return undefined;
  return `TZ: "${tz}" is a file Node reads as its standard offset only, without summer time; set TZ to the zone's name${zoneNameOf(path) ? ` (${zoneNameOf(path)})` : ' (such as Europe/Paris)'}, or Node would run ${scheduledAt} an hour off in summer`;
}

/** The tz database name a zone file is (`/usr/share/zoneinfo/Europe/Paris`, or a link to it), if Intl knows it. */
function zoneNameOf(path: string): string | undefined {
  try {
    const real = realpathSync(path);
    const at = real.lastIndexOf('/zoneinfo/');
    if (at < 0) return undefined;
    const name = real.slice(at + '/zoneinfo/'.length).replace(/^(posix|right)\//, '');
    new Intl.DateTimeFormat('en', { timeZone: name });
    return name;
  } catch {
    return undefined;
  }
}

/** The path of the first hub's schedule, for the problem line (undefined when no hub has one). */
export function firstSchedulePath(hubs: ReadonlyArray<{ checkForUpdates: { schedule?: string | undefined } }>): string | undefined {
  const i = hubs.findIndex((h) => h.checkForUpdates.schedule !== undefined);
  return i < 0 ? undefined : `hubs[${i}].checkForUpdates.schedule`;
}
