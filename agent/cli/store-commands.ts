import { lstat, realpath } from 'node:fs/promises';
import type { Command } from 'commander';
import { storeFileOf } from '../store/open-store.ts';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load.ts';
import { describePostgresUrlProblem, NOT_POSTGRES, postgresUrlProblem } from '../../config/postgres-url.ts';
import { checkStore, repairStore } from '../store/store-repair.ts';
import { copyLowdbToPostgres } from '../store/copy-to-postgres.ts';
import { describeUrl } from '../store/postgres/sql.ts';
import { CliError, oneLine } from './cli-error.ts';
import { envSetting, type GlobalOptions } from './connection.ts';

/**
 * `hubwarden store check|repair`: local tools over the store's files (not the admin API), for when
 * the server refuses to start on a damaged store. The server must be stopped; its lock file is
 * respected. Exit 0 when the store opens with nothing lost, 1 when damage was found (check), when
 * no store is at the path (check, repair and migrate alike), or when it could not be repaired.
 */
export function registerStoreCommands(program: Command): void {
  const global = () => program.opts<GlobalOptions>();
  const storePath = async (opts: { path?: string }) => refuseSymlink(opts.path ?? configuredPath(), opts.path === undefined ? 'store.path' : '--path');
  const configuredPath = () => {
    try {
      const config = loadConfig(global().config ?? envSetting(process.env, 'HUBWARDEN_CONFIG') ?? DEFAULT_CONFIG_PATH, process.env, { secrets: 'on-use' }); // the path only
      const file = storeFileOf(config);
      if (file === undefined) throw new Error(`store.kind is ${config.file.store.kind}: check, repair and migrate read a lowdb store, and the config names none`);
      return file;
    } catch (err) {
      throw new CliError(`store: cannot take store.path from the config (${oneLine(err)}); pass --path <file>`);
    }
  };
  // What the schema does not hold and the operator must carry along, named with the config's
  // paths when the config reads (with --path it need not): printed after a verified copy.
  const filesToCarry = (auditEntries: number) => {
    let keyFile = '';
    let auditFile = '';
    try {
      const config = loadConfig(global().config ?? envSetting(process.env, 'HUBWARDEN_CONFIG') ?? DEFAULT_CONFIG_PATH, process.env, { secrets: 'on-use' });
      keyFile = ` (${config.pathOf(config.file.secrets.keyFile)})`;
      auditFile = ` (${config.pathOf(config.file.audit.file)})`;
    } catch {
      // no config to read: the settings are named without their paths
    }
    return [
      `not in the schema, carry it along: secrets.keyFile${keyFile}: every server on PostgreSQL needs this same key file (the credentials' labels in the audit log and the OIDC sign-in cookie are derived from it; a new key changes every label)`,
      `not copied, nothing to do: audit.file${auditFile} is each process's own JSON-lines copy of the audit log; the complete log (${auditEntries} entr${auditEntries === 1 ? 'y' : 'ies'}) is now in the schema. Keep the old file with the lowdb files as a backup`,
    ];
  };
  const store = program.command('store').description('check, repair or migrate the store files (server stopped; text output only)');
  // Their report is lines of text: with --json it was printed as text all the same, exit 0, and a
  // script reading it as JSON failed on it or, worse, skipped the check.
  store.hook('preAction', () => {
    if (global().json) throw new CliError('store check, repair and migrate print text only: leave --json out (the exit code says how it went)', 2);
  });

  store.command('check').description('report damage in the snapshot and journals; changes nothing')
    .option('--path <file>', 'the store file (default: store.path of the config)')
    .action(async (opts: { path?: string }) => {
      const result = await checkStore(await storePath(opts)).catch((err: unknown) => {
        throw new CliError(`store check: ${oneLine(err)}`);
      });
      process.stdout.write(`${result.lines.join('\n')}\n`);
      if (!result.ok) process.exitCode = 1;
    });

  store.command('repair').description('keep what is good, drop what is damaged (a copy of every file is kept)')
    .option('--path <file>', 'the store file (default: store.path of the config)')
    .option('--accept-loss', 'required: records in damaged parts are dropped, and listed')
    .action(async (opts: { path?: string; acceptLoss?: boolean }) => {
      if (!opts.acceptLoss) throw new CliError('store repair drops the damaged records; run `hubwarden store check` to see which, then add --accept-loss', 2);
      const result = await repairStore(await storePath(opts)).catch((err: unknown) => {
        throw new CliError(`store repair: ${oneLine(err)}`);
      });
      process.stdout.write(`${result.lines.join('\n')}\n`);
      if (result.backup) {
        process.stdout.write(result.dropped.length > 0 ? `dropped ${result.dropped.length} record change(s):\n${result.dropped.map((d) => `  ${d}`).join('\n')}\n` : 'dropped no readable record change\n');
        process.stdout.write('audited in the repaired store as store-repaired (what was damaged and dropped, where the copies are)\n');
      }
    });

  store.command('migrate').description('copy this lowdb store into an empty PostgreSQL schema and verify it (server stopped)')
    .requiredOption('--to <url>', 'postgres://user@host:port/database, or env:NAME to read it from an environment variable (keeps a password off the command line)')
    .option('--schema <name>', 'the schema to create and fill (must hold no record)', 'hubwarden')
    .option('--path <file>', 'the lowdb store file (default: store.path of the config)')
    .option('--accept-loss', 'copy even when archive lines (audit log, finished tasks) fail their checksum: they are left out, and listed')
    .action(async (opts: { to: string; schema: string; path?: string; acceptLoss?: boolean }) => {
      const name = opts.to.startsWith('env:') ? opts.to.slice(4) : undefined;
      const url = name === undefined ? opts.to : process.env[name];
      // Said as it is: an empty variable (`DATABASE_URL=` in an env file) was reported "not set",
      // and `--to env:` named "environment variable  " (no name at all).
      if (name === '') throw new CliError('store migrate: --to env: names no variable: expected env:NAME', 2);
      if (!url?.trim()) throw new CliError(`store migrate: environment variable ${name} is ${url === undefined ? 'not set' : 'set but empty'}`, 2);
      // Checked as the config checks store.url: a password with an unencoded / ? or # is named as
      // that, never quoted, rather than a bare "Invalid URL" from the driver.
      const urlProblem = postgresUrlProblem(url);
      if (urlProblem === NOT_POSTGRES) throw new CliError('store migrate: --to must be a postgres:// URL (or env:NAME holding one)', 2);
      if (urlProblem) throw new CliError(`store migrate: ${describePostgresUrlProblem(opts.to.startsWith('env:') ? `--to ${opts.to}` : '--to', urlProblem)}`, 2);
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(opts.schema)) throw new CliError(`store migrate: --schema "${opts.schema}" is not a lower-case PostgreSQL identifier`, 2);
      const source = await storePath(opts);
      const report = await copyLowdbToPostgres({ source, url, schema: opts.schema, acceptLoss: opts.acceptLoss }).catch((err: unknown) => {
        throw new CliError(`store migrate: ${redactUrl(oneLine(err), url)}`);
      });
      if (report.startedOver) process.stdout.write(`the previous copy into schema "${opts.schema}" (started ${report.startedOver.startedAt} from ${report.startedOver.source}) did not finish: the schema still held its mark, so this run started it over; the lines below are this copy's\n`);
      process.stdout.write(`${report.collections.map((c) => `${c.name}: ${c.records} record(s), sha256 ${c.checksum.slice(0, 16)}… matches`).join('\n')}\n`);
      if (report.skipped.length > 0) process.stdout.write(`left out ${report.skipped.length} damaged archive line(s) (--accept-loss):\n${report.skipped.map((l) => `  ${l}`).join('\n')}\n`);
      process.stdout.write(`copied ${report.records} record(s) from ${source} into schema "${opts.schema}" at ${describeUrl(url)}; counts and checksums verified\n`);
      process.stdout.write(`audited in the target as store-migrated (after the verification; its detail lists each collection's count and checksum)\n`);
      for (const line of filesToCarry(report.collections.find((c) => c.name === 'audit')?.records ?? 0)) process.stdout.write(`${line}\n`);
      process.stdout.write(`next: set store: { kind: postgres, url: env:DATABASE_URL, schema: ${opts.schema} } in the config and start the server\n`);
    });
}

/**
 * A store file that is a symbolic link is refused. The store's journals and its lock file are
 * found beside the path given (`<path>.journal`, `<path>.lock`), not beside the file it points
 * to: `store check --path link.json` reported the live store's journal as missing (DAMAGED, exit
 * 1) and took no notice of the running server's lock, and `store repair` would have written a
 * fresh store in place of the link. Named with its target, to pass instead.
 */
async function refuseSymlink(path: string, from: string): Promise<string> {
  const found = await lstat(path).catch(() => undefined);
  if (!found?.isSymbolicLink()) return path;
  const target = await realpath(path).catch(() => undefined);
  throw new CliError(`store: ${from} ${path} is a symbolic link${target ? ` to ${target}` : ' whose target is missing'}: name the store file itself (its journals and lock file are found beside the path given)`, from === '--path' ? 2 : 1);
}

/** An error message from the driver may quote the URL: the password never reaches the terminal. */
function redactUrl(message: string, url: string): string {
  let out = message.split(url).join(describeUrl(url));
  try {
    const password = new URL(url).password;
    if (password) out = out.split(decodeURIComponent(password)).join('***').split(password).join('***');
  } catch {
    // not a URL: nothing more to hide
  }
  return out;
}
