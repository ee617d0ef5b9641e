import { adminTokenRef } from '../../config/admin-token-schema.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { adminClient, type AdminClient } from './admin-client.ts';
import { CliError } from './cli-error.ts';

export interface GlobalOptions {
  url?: string;
  token?: string;
  config?: string;
  json?: boolean;
}

/** What each variable is set to, for the message that refuses it empty. */
const SETTING: Record<'HUBWARDEN_URL' | 'HUBWARDEN_CONFIG' | 'HUBWARDEN_ADMIN_TOKEN', string> = {
  HUBWARDEN_URL: 'the server URL',
  HUBWARDEN_CONFIG: 'the config file',
  HUBWARDEN_ADMIN_TOKEN: 'the admin token',
};

/**
 * HUBWARDEN_URL, HUBWARDEN_CONFIG or HUBWARDEN_ADMIN_TOKEN: undefined when unset. Set but empty
 * (`HUBWARDEN_CONFIG=$PROD_CONFIG` with the shell variable unset) is refused: taken as given it was
 * "the config  cannot be read: EISDIR" (the working folder) or "the server URL "" is not an
 * http(s) URL", and taken as unset it would quietly use config/hubwarden.yaml, the sandbox's, in
 * place of the one meant. An empty HUBWARDEN_ADMIN_TOKEN taken as unset sent the config's admin
 * token (the local sandbox's) to the server HUBWARDEN_URL names, and its 401 said to set the
 * variable that was set.
 */
export function envSetting(env: NodeJS.ProcessEnv, name: keyof typeof SETTING): string | undefined {
  const value = env[name];
  if (value === undefined || value.trim() !== '') return value;
  throw new CliError(`${name} is set but empty: set it to ${SETTING[name]}, or unset it`, 2);
}

/**
 * Where the server is and how to authenticate: `--url`/`--token` first, then HUBWARDEN_URL and
 * HUBWARDEN_ADMIN_TOKEN, then the config file (`server.publicUrl` and the first of
 * `server.adminTokens`, which on a default install is the generated data/admin-token file).
 */
export async function connect(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Promise<AdminClient> {
  const { url, token, urlFrom } = await serverOf(options, env);
  return adminClient(url, token, fetch, undefined, urlFrom);
}

/**
 * The server's URL and admin token, resolved as `connect` does (for calls outside /api/v1). The
 * config loader (its schema and every connector's) is imported only when the config is read:
 * with --url and --token, or their environment variables, a command starts without it.
 */
export async function serverOf(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Promise<{ url: string; token: string; urlFrom: string }> {
  const url0 = options.url ?? envSetting(env, 'HUBWARDEN_URL');
  const token0 = options.token ?? envSetting(env, 'HUBWARDEN_ADMIN_TOKEN');
  // Where the URL came from, for "cannot reach": with PORT set the server listens elsewhere than
  // the config's server.publicUrl says, and the admin is told which setting to change.
  const urlFrom0 = options.url !== undefined ? '--url' : 'HUBWARDEN_URL';
  if (url0 !== undefined && token0) return { url: url0, token: token0, urlFrom: urlFrom0 };
  const { ConfigError, DEFAULT_CONFIG_PATH, loadConfig } = await import('../../config/load.ts');
  // What the config was read for: with --url given, "no --url/--token given" sent the admin
  // checking a URL they had passed instead of the token they had not.
  const missing = url0 === undefined && !token0 ? 'no --url/--token given' : url0 === undefined ? 'no --url given (nor HUBWARDEN_URL)' : 'no --token given (nor HUBWARDEN_ADMIN_TOKEN)';
  let config: LoadedConfig | undefined;
  const fromConfig = (): LoadedConfig => {
    if (config) return config;
    const path = options.config ?? envSetting(env, 'HUBWARDEN_CONFIG') ?? DEFAULT_CONFIG_PATH;
    try {
      // Only the URL and the admin token are needed: the other secrets (app credentials, the
      // database URL) are the server's, and need not be set in the admin's shell.
      return (config = loadConfig(path, env, { secrets: 'on-use' }));
    } catch (err) {
      const why = err instanceof ConfigError ? err.problems[0] : (err as Error).message;
      throw new CliError(`${missing} and the config ${path} cannot be read: ${why}`);
    }
  };
  const url = url0 ?? fromConfig().file.server.publicUrl;
  const urlFrom = url0 !== undefined ? urlFrom0 : `server.publicUrl in ${fromConfig().path}`;
  let token = token0;
  if (!token) {
    const c = fromConfig();
    // The first token of every hub, else the first (a CLI of a scoped token sees its hubs only).
    const entries = c.file.server.adminTokens;
    const entry = entries.find((e) => typeof e === 'string') ?? entries[0];
    const ref = entry && adminTokenRef(entry);
    if (!ref) throw new CliError(`no admin token: pass --token, set HUBWARDEN_ADMIN_TOKEN, or add server.adminTokens to ${c.path}`);
    try {
      token = c.secret(ref).reveal();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      throw new CliError(`${missing} and the config ${c.path} cannot be read: ${err.problems[0]}`);
    }
  }
  return { url, token, urlFrom };
}
