import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load.ts';
import { checkStore, repairStore } from '../store/store-repair.ts';
import { CliError, oneLine } from './cli-error.ts';
import type { GlobalOptions } from './connection.ts';

/**
 * `hubwarden store check|repair`: local tools over the store's files (not the admin API), for when
 * the server refuses to start on a damaged store. The server must be stopped; its lock file is
 * respected. Exit 0 when the store opens with nothing lost, 1 when damage was found (check) or
 * could not be repaired.
 */
export function registerStoreCommands(program: Command): void {
  const global = () => program.opts<GlobalOptions>();
  const storePath = (opts: { path?: string }) => {
    if (opts.path) return opts.path;
    try {
      const config = loadConfig(global().config ?? process.env.HUBWARDEN_CONFIG ?? DEFAULT_CONFIG_PATH);
      return config.pathOf(config.file.store.path);
    } catch (err) {
      throw new CliError(`store: cannot take store.path from the config (${oneLine(err)}); pass --path <file>`);
    }
  };
  const store = program.command('store').description('check or repair the store files (server stopped)');

  store.command('check').description('report damage in the snapshot and journals; changes nothing')
    .option('--path <file>', 'the store file (default: store.path of the config)')
    .action(async (opts: { path?: string }) => {
      const result = await checkStore(storePath(opts)).catch((err: unknown) => {
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
      const result = await repairStore(storePath(opts)).catch((err: unknown) => {
        throw new CliError(`store repair: ${oneLine(err)}`);
      });
      process.stdout.write(`${result.lines.join('\n')}\n`);
      if (result.backup) {
        process.stdout.write(result.dropped.length > 0 ? `dropped ${result.dropped.length} record change(s):\n${result.dropped.map((d) => `  ${d}`).join('\n')}\n` : 'dropped no readable record change\n');
      }
    });
}
