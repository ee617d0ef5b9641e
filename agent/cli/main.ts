/**
 * `hubwarden` (bin/hubwarden.mjs runs this through tsx): admin commands over the REST API of a
 * running server, plus local tools (serve, config validate, emulator meta). Every failure ends
 * with one line on stderr and a non-zero exit (1 failed, 2 usage).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { CliError, oneLine } from './cli-error.ts';
import { escapeForTerminal, freeTextProblem } from '../safe-text.ts';
import { registerDecisionCommands } from './decision-commands.ts';
import { registerOfferCommands } from './offer-commands.ts';
import { registerHubCommands } from './hub-commands.ts';
import { registerWorkCommands } from './work-commands.ts';
import { checkPathArgument } from './path-arguments.ts';
import { configPathProblem } from '../../config/config-path.ts';

/** The version in the package.json above this file (the source tree or a built copy of it). */
export function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hubwarden' && pkg.version) return pkg.version;
    } catch { /* not here: look one folder up */ }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/**
 * The exit codes, in `hubwarden --help` (a script tells a refused command from a failed one by
 * them). 130 and 143 are 128 + the signal's number, as a shell reports a command a signal ended
 * (https://www.gnu.org/software/bash/manual/html_node/Exit-Status.html).
 */
export const EXIT_STATUS = `
Exit status:
  0    done (--help and --version too)
  1    failed: the server refused the change, a task failed, a store check found damage;
       one line on stderr says why
  2    usage mistake (an unknown command or option, a bad value): refused before any request
  130  interrupted (Ctrl-C) while waiting for a task; 143 on SIGTERM. The task goes on
       in hubwarden: see hubwarden tasks`;

/** The program's options that take a value as the next word. */
const GLOBAL_WITH_VALUE = new Set(['--url', '--token', '--config']);

/**
 * The first word of `argv` that is no option nor a global option's value: the command named, if any.
 */
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (GLOBAL_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * The commands that run here rather than against a server (serve, config, emulator, sandbox,
 * store) load the config schema, the store and every connector; the others only call the admin
 * API. Those modules are imported only when a run may need them: when it names none of the API
 * commands (a local command, help, no command, an unknown word). `hubwarden hubs` starts in about
 * half the time (0.95 → 0.55 s from source on the 2-core test machine).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('hubwarden')
    .description('let your identity provider govern seats, roles and assets in business hubs')
    .option('--url <url>', 'server URL (default: HUBWARDEN_URL or the config\'s server.publicUrl)')
    .option('--token <token>', 'admin token (default: HUBWARDEN_ADMIN_TOKEN or the config\'s first server.adminTokens token of every hub)')
    .option('--config <path>', 'config file (default: HUBWARDEN_CONFIG or config/hubwarden.yaml)')
    .version(packageVersion(), '-V, --version', 'print the hubwarden version')
    .option('--json', 'print JSON instead of tables (every command but serve and store)')
    .showHelpAfterError(false)
    // `hubwarden <command> --help` lists --url, --token, --json too: each command takes them
    // (before or after its name), and without them its help read as if it did not.
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', EXIT_STATUS);
  quiet(program);
  registerHubCommands(program);
  registerWorkCommands(program);
  registerDecisionCommands(program);
  registerOfferCommands(program);
  const word = commandWord(argv);
  const apiCommand = word !== undefined && word !== 'help' && program.commands.some((c) => c.name() === word || c.aliases().includes(word));
  if (!apiCommand) {
    const [processCommands, sandboxCommands, storeCommands] = await Promise.all([import('./process-commands.ts'), import('./sandbox-commands.ts'), import('./store-commands.ts')]);
    processCommands.registerProcessCommands(program);
    sandboxCommands.registerSandboxCommands(program);
    storeCommands.registerStoreCommands(program);
  }
  for (const command of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) {
    quiet(command);
    refuseRepeatedValues(command);
  }
  // Before any action: an empty argument or option value (an unset shell variable, a stray "")
  // is a usage mistake, refused before a request is made. Left through, `offboard ""` asked the
  // server for /people//offboard and `--hub ""` listed every hub as if no filter were given.
  program.hook('preAction', (_program, action) => {
    refuseEmptyValues(action);
    refuseConfigUrl(action);
  });
  return program;
}

/**
 * Commander's own errors become one line (run below); its help dump on stderr when a command
 * with subcommands is given none (`hubwarden store`) is suppressed and said in one line instead.
 */
function quiet(command: Command): Command {
  return command
    .exitOverride((err) => {
      // Help the user asked for (`help members`) exits 0; help shown because a subcommand is missing exits 1.
      if (err.code === 'commander.help' && err.exitCode !== 0) {
        const names = command.commands.map((c) => c.name()).filter((n) => n !== 'help');
        const which = names.length <= 8 ? `, one of ${names.join(', ')}` : '';
        const where = command.parent ? `${commandPath(command).replace(/^\S+ /, '')}: ` : '';
        throw new CliError(`${where}missing command${which} (see ${commandPath(command)} --help)`, 2);
      }
      throw err;
    })
    .configureOutput({ outputError: () => {}, writeErr: () => {} });
}

/**
 * An option that takes a value, given twice with different values, is a usage mistake: commander
 * keeps the last and drops the other without a word, so `apply r-1 --members 1001 --members 1002`
 * applied 1002 alone, and `members h --status invited --status guest` listed guests only. Given
 * twice with the same value it is harmless. Named, its values never repeated (one may be --token).
 */
function refuseRepeatedValues(command: Command): void {
  const given = new Map<string, unknown>();
  for (const option of command.options) {
    if (!option.required && !option.optional) continue; // a flag: twice is once
    const name = option.name();
    command.on(`option:${name}`, (value: unknown) => {
      if (given.has(name) && given.get(name) !== value) {
        const what = option.long ?? option.flags;
        throw new CliError(`${what} is given twice with different values; pass it once${option.long === '--members' ? ' (several ids: --members 1001,1002)' : ''}`, 2);
      }
      given.set(name, value);
    });
  }
}

/**
 * The command words at the start of `argv` checked against the commands, and `help` among them
 * (`help store check`, `store help check`) turned into that command's `--help`. Commander's own
 * handling showed `store`'s help for `help store check` and `help store nosuch` (exit 0: a typo
 * passed for help), said "missing command" for `store help nosuch`, and sent every unknown
 * subcommand (`emulator nosuch`) to the program's --help rather than its command's.
 */
function helpAsOption(program: Command, argv: readonly string[]): string[] {
  let command = program;
  let help = -1;
  for (let i = 0; i < argv.length && command.commands.length > 0; i++) {
    const word = argv[i]!;
    if (GLOBAL_WITH_VALUE.has(word)) i++;
    if (word.startsWith('-')) continue;
    if (word === 'help') {
      if (help < 0) help = i;
      continue;
    }
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    // A command that runs itself as well as its subcommands (`tasks`, `tasks retry`): a word that
    // is no subcommand is its own (an option's value, `tasks --hub acme`); commander judges it.
    if (!sub && (command as unknown as { _actionHandler?: unknown })._actionHandler) break;
    if (!sub) throw new CliError(`unknown command '${word}' (see ${commandPath(command)} --help)`, 2);
    command = sub;
  }
  // `<command> help <argument>` where the command takes arguments, not subcommands (`members help`: hub "help"), is not reached.
  return help >= 0 && command !== program ? [...argv.slice(0, help), ...argv.slice(help + 1).filter((a) => a !== 'help'), '--help'] : [...argv];
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The options whose value is an id or a search text the server matches: one line of plain text. */
const CHECKED_OPTIONS = new Set(['--hub', '--search']);

function refuseEmptyValues(action: Command): void {
  action.registeredArguments.forEach((argument, i) => {
    const value: unknown = action.processedArgs[i];
    const named = `${commandPath(action).replace(/^\S+ /, '')}: the <${argument.name()}> argument`;
    if (typeof value === 'string' && value.trim() === '') throw new CliError(`${named} is empty`, 2);
    // Every argument is an id or an email that goes into a URL path, where "." and ".." are
    // dot-segments a URL resolves away (RFC 3986 §5.2.4, even %-encoded per the WHATWG URL
    // standard): `members .` asked for GET /hubs/members and was told hub "members" does not exist.
    if (value === '.' || value === '..') throw new CliError(`${named} cannot be "${value}" (a URL path reads "." and ".." as steps, not names)`, 2);
    // A person's <email> and an <offerId>, by the server's own rule: a zero-width space or a
    // full-width ＠ in a pasted address was the server's 400, exit 1, with the value not shown.
    if (typeof value === 'string') checkPathArgument(named, argument.name(), value);
    // A control character in an id (a pasted ESC, a tab, a NUL): checked as every --reason is
    // (reason.ts), a usage mistake rather than a request for a path no hub, member or task has.
    const problem = typeof value === 'string' ? freeTextProblem(value) : undefined;
    if (problem) throw new CliError(`${named}: the value ${problem}`, 2);
  });
  for (let c: Command | null = action; c; c = c.parent) {
    for (const option of c.options) {
      const value: unknown = c.getOptionValue(option.attributeName());
      // Says which option, never what it held (the value of --token is a secret).
      if (typeof value === 'string' && value.trim() === '') throw new CliError(`${option.long ?? option.flags} is empty${option.long === '--token' ? ': pass the admin token, or leave --token out to use HUBWARDEN_ADMIN_TOKEN or the config' : ''}`, 2);
      // A hub id or a search text sent in the query string: refused as an id argument is, above.
      const problem = typeof value === 'string' && CHECKED_OPTIONS.has(option.long ?? '') ? freeTextProblem(value) : undefined;
      if (problem) throw new CliError(`${option.long}: the value ${problem}`, 2);
    }
  }
}

/** `--config` (the program's or config validate's) and HUBWARDEN_CONFIG that are a URL (config/config-path.ts): usage mistakes. */
function refuseConfigUrl(action: Command): void {
  for (let c: Command | null = action; c; c = c.parent) {
    const value: unknown = c.getOptionValue('config');
    const problem = typeof value === 'string' ? configPathProblem(value, '--config') : undefined;
    if (problem) throw new CliError(problem, 2);
  }
  const env = process.env.HUBWARDEN_CONFIG;
  const problem = env === undefined ? undefined : configPathProblem(env, 'HUBWARDEN_CONFIG');
  if (problem) throw new CliError(problem, 2);
}

/**
 * A write error on stdout is emitted as an 'error' event, after the write that caused it; unhandled,
 * node prints a stack trace. A reader that stopped reading (`hubwarden audit --format csv | head`:
 * EPIPE) has what it wanted, so the run ends quietly, as a command killed by SIGPIPE does in a
 * shell pipeline (https://man7.org/linux/man-pages/man7/pipe.7.html); any other (a full disk) is
 * one line and exit 1, never output silently cut short.
 */
let stdoutWatched = false;
function watchStdout(): void {
  if (stdoutWatched) return;
  stdoutWatched = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`hubwarden: cannot write the output: ${escapeForTerminal(oneLine(err.code ?? err))}\n`);
    process.exit(1);
  });
}

export async function run(argv: string[]): Promise<number> {
  watchStdout();
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(helpAsOption(program, argv), { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help, --version
      // `--tokn=<admin token>`: the option is named, its value never repeated (a CI job's log would keep it).
      const message = err.message.replace(/^error: /, '').replace(/(unknown option '-{1,2}[^='\n]*)=[^\n]*'/, "$1=…'");
      process.stderr.write(`hubwarden: ${escapeForTerminal(oneLine(message))} (see hubwarden --help)\n`);
      return 2;
    }
    // The message may quote the server (a problem's detail, a task's error): shown escaped.
    process.stderr.write(`hubwarden: ${escapeForTerminal(oneLine(err))}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

// `tsx agent/cli/main.ts …` runs it directly; bin/hubwarden.mjs imports it and calls run().
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await run(process.argv.slice(2));
}
