import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load.ts';
import { connectors } from '../../connectors/registry.ts';
import { Keyring } from '../secrets/keyring.ts';
import { CliError } from './cli-error.ts';
import { envSetting, type GlobalOptions } from './connection.ts';

/** Built (dist/, plain node) the server is main.js beside this file's tree; from source, main.ts through tsx. */
const BUILT = import.meta.url.endsWith('.js');
const MAIN = fileURLToPath(new URL(`../../scim-server/main.${BUILT ? 'js' : 'ts'}`, import.meta.url));

/** serve, config validate, emulator <app>: commands that run locally rather than against a server. */
export function registerProcessCommands(program: Command): void {
  const global = () => program.opts<GlobalOptions>();

  program.command('serve').description('run the hubwarden server (scim-server/main.ts)').action(async () => {
    // serve prints no answer for --json to shape (its log lines are JSON whatever is passed):
    // `serve --json` started the server all the same, where store's commands refuse --json as a
    // usage mistake. Refused before anything starts.
    if (global().json) throw new CliError('serve takes no --json (its log lines are JSON already): leave --json out', 2);
    // main.ts is the composition root (it reads its own argv); run it as its own process so its
    // signal handling and exit codes are the server's, and forward ours to it.
    const args = [...(BUILT ? [] : ['--import', import.meta.resolve('tsx')]), MAIN, ...(global().config ? ['--config', global().config!] : [])];
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
    process.exitCode = code;
  });

  const config = program.command('config').description('config file tools');
  config.command('validate').description('check a config file (schema and secrets); prints OK or every problem')
    .option('--config <path>', 'config file (default: HUBWARDEN_CONFIG or config/hubwarden.yaml)')
    .action((opts: { config?: string }) => {
      const path = opts.config ?? global().config ?? envSetting(process.env, 'HUBWARDEN_CONFIG') ?? DEFAULT_CONFIG_PATH;
      const json = global().json;
      try {
        const loaded = loadConfig(path);
        // The key file too: one that is there but unreadable or not a key stops the server at
        // start (scim-server/main.ts), so it must not pass here as OK. A missing one is created then.
        const keyProblem = Keyring.problem(loaded.pathOf(loaded.file.secrets.keyFile));
        if (keyProblem) throw new ConfigError(loaded.path, [keyProblem]);
        const summary = { ok: true, path: loaded.path, hubs: loaded.file.hubs.length, identityProviders: Object.keys(loaded.file.identityProviders).length, ...(loaded.warnings.length > 0 ? { warnings: loaded.warnings } : {}) };
        process.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : `OK ${loaded.path}: ${summary.hubs} hub(s), ${summary.identityProviders} identity provider(s)\n`);
        // Valid but unsafe (a secret file other users may read): said, and still OK.
        if (!json) for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        // The one place several lines are right: every problem of the file, so it is fixed in one pass.
        // err.file: the absolute path, as the text form and the OK answer give it.
        if (json) process.stdout.write(`${JSON.stringify({ ok: false, path: err.file, problems: err.problems }, null, 2)}\n`);
        else process.stderr.write(`${err.message}\n`);
        process.exitCode = 1;
      }
    });

  const emulator = program.command('emulator').description('local emulators for trying hubwarden without real apps');
  // One subcommand per connector that ships an emulator (its definition's `emulator`).
  for (const definition of connectors) {
    const command = definition.emulator;
    if (!command) continue;
    emulator.command(command.command).description(command.description)
      .option('--port <n>', 'port (0 = any free port)', '0')
      .option('--fixture <path>', 'fixture JSON (default: the sandbox fixture)')
      .action(async (opts: { port: string; fixture?: string }) => {
        // Digits only: Number('') is 0 (any port) and Number('8e3') is 8000.
        const port = /^\d{1,5}$/.test(opts.port) ? Number(opts.port) : Number.NaN;
        if (!(port >= 0 && port <= 65535)) throw new CliError(`--port: expected a port number from 1 to 65535 (0 = any free port), got "${opts.port}"`, 2);
        const running = await command.start({ port, fixturePath: opts.fixture }).catch((err: Error) => {
          throw new CliError(`${command.command} emulator: ${err.message}`);
        });
        process.stdout.write(global().json ? `${JSON.stringify({ url: running.url })}\n` : `${command.command} emulator listening on ${running.url} (Ctrl-C to stop)\n`);
        await new Promise<void>((resolve) => {
          for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
        });
        await running.close();
      });
  }
}
