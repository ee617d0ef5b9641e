import type { Command } from 'commander';
import { storeFileOf } from '../store/open-store.ts';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig, type LoadedConfig } from '../../config/load.ts';
import { connectorBlock } from '../../config/schema.ts';
import { removeSandboxWorld, sandboxWorldPath, usedSandboxes } from '../sandbox-world.ts';
import { storeLockOwner } from '../store/store-lock.ts';
import { adminClient, seg } from './admin-client.ts';
import { CliError } from './cli-error.ts';
import { envSetting, serverOf, type GlobalOptions } from './connection.ts';
import { printer } from './output.ts';
import { stringOf } from './answer.ts';

/**
 * `hubwarden sandbox reset`: each built-in sandbox some hub uses back as its fixture has it.
 * With hubwarden running, the running process resets it (it holds the business in memory and
 * would write it back over a removed file) and a check for updates of each sandbox hub is started
 * so hubwarden's picture follows; stopped, the saved business file is removed and the next start
 * seeds the fixture. With a database store (no lock file to tell), always in the running server.
 * The directory (what the IdP pushed), the audit log and tokens are kept.
 */
export function registerSandboxCommands(program: Command): void {
  const global = () => program.opts<GlobalOptions>();
  const sandbox = program.command('sandbox').description('the built-in sandboxes (hubs whose connector block says sandbox)');
  sandbox.command('reset').description('put each sandbox business back as its fixture has it (start over)').action(async () => {
    const config = readConfig(global().config ?? envSetting(process.env, 'HUBWARDEN_CONFIG') ?? DEFAULT_CONFIG_PATH);
    const definitions = usedSandboxes(config.file.hubs);
    if (definitions.length === 0) throw new CliError(`no hub in ${config.path} uses a built-in sandbox`);
    const hubs = config.file.hubs.filter((h) => definitions.some((d) => d.id === h.connector && d.sandbox!.usedBy(connectorBlock(h)))).map((h) => h.id);
    const files = definitions.map((d) => sandboxWorldPath(config, d.id));
    const out = printer(global().json);
    // Only the lowdb store has a lock file telling whether a server runs on this data folder. With
    // a database store nothing here can tell, and a running server holds the business in memory
    // and writes it back over a removed file at its next change: the reset would be lost while
    // reported done. So a database store is reset in the running server, or not at all.
    const storeFile = storeFileOf(config);
    const pid = storeFile === undefined ? undefined : await storeLockOwner(storeFile);
    if (storeFile !== undefined && pid === undefined) {
      const removed: string[] = [];
      for (const file of files) if (await removeSandboxWorld(file)) removed.push(file);
      return out.print({ reset: 'saved business removed', files, removed, hubs }, () =>
        `sandbox reset: ${removed.length ? `removed ${removed.join(', ')}` : `${files.join(', ')} did not exist`}; the next start seeds the business from its fixture (then: ${hubs.map((h) => `hubwarden check ${h}`).join(', ')})`);
    }
    const { url, token, urlFrom } = await serverOf({ ...global(), config: config.path });
    for (const d of definitions) {
      await adminClient(url, token, fetch, d.sandbox!.path, urlFrom).post(d.sandbox!.resetPath).catch((err: Error) => {
        if (pid !== undefined) throw new CliError(`hubwarden (pid ${pid}) holds the store, so the reset must happen in it: ${err.message}`);
        throw new CliError(`with a database store only a running hubwarden can reset its sandbox (nothing shows whether one holds the business in memory, and it would write it back over a removed file): ${err.message}; with every hubwarden using ${config.path} stopped, removing ${files.join(', ')} resets it at the next start`);
      });
    }
    const api = adminClient(url, token, fetch, undefined, urlFrom);
    const checks: Record<string, string> = {};
    for (const hub of hubs) checks[hub] = stringOf((await api.post(`/hubs/${seg(hub)}/check-for-updates`)).body, 'taskId');
    out.print({ reset: 'in the running server', url, hubs, checks }, () =>
      `sandbox reset: the business is back as its fixture has it; check for updates started (${Object.entries(checks).map(([h, t]) => `${h}: task ${t}`).join(', ')})`);
  });
}

function readConfig(path: string): LoadedConfig {
  try {
    return loadConfig(path, process.env, { secrets: 'on-use' }); // the hubs and the store's folder: no secret
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`cannot use the config ${path}: ${err.problems.join('; ')}`);
    throw err;
  }
}
