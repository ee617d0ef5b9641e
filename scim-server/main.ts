/**
 * The composition root: `npm start` (`exec node --import tsx scim-server/main.ts [--config PATH]`:
 * `exec` makes this process npm's own child, so the SIGTERM/SIGINT npm forwards reaches it), or in
 * production `node dist/scim-server/main.js` (built by `npm run build`).
 * Config (`--config`, else HUBWARDEN_CONFIG, else config/hubwarden.yaml; PORT overrides the port)
 * → secrets key → store → routers → app → listen → banner. Every start-up failure prints what and
 * which (the config's lines, the store file) and exits 1; SIGTERM/SIGINT stop gracefully.
 */
import { storeFromConfig } from '../agent/store/open-store.ts';
import { parseArgs } from 'node:util';
import { Keyring } from '../agent/secrets/keyring.ts';
import { newKeyOverRecords } from '../agent/secrets/new-key-check.ts';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig, type LoadedConfig } from '../config/load.ts';
import { createApp, type MountedRouter } from './app.ts';
import { banner } from './banner.ts';
import { createDefaultTokenFiles } from './first-start.ts';
import { adminTokensFrom, everyHubToken } from './admin/admin-tokens.ts';
import { composeHubwarden } from './compose.ts';
import { createSandboxes, sandboxUrls } from './sandboxes.ts';
import { sandboxWorldFile, sandboxWorldPath } from '../agent/sandbox-world.ts';
import { childLogger, redactText } from '../agent/log/logger.ts';
import { escapeForTerminal } from '../agent/safe-text.ts';
import { configPathProblem } from '../config/config-path.ts';
import { serve, stopOnSignals } from './serve.ts';
import { bearerToken } from './bearer.ts';
import { prepareAuditFile } from '../agent/audit/audit-log.ts';
import { exitOnCrash } from '../agent/log/crash.ts';

// A crash is one redacted log line, not Node's report of every property of the error (a request's token).
exitOnCrash();

/**
 * One line on stderr, redacted as a log line is (agent/log/logger.ts redactText: a URL's password,
 * `password=`, a bearer token, the config's secrets once registered) and escaped for the terminal:
 * an argument given by mistake (`npm start -- postgres://app:pw@db/hw`) is quoted by parseArgs.
 */
function fail(message: string): never {
  process.stderr.write(`hubwarden: ${escapeForTerminal(redactText(message))}\n`);
  process.exit(1);
}

let args;
try {
  args = parseArgs({ options: { config: { type: 'string', short: 'c' } }, allowPositionals: false }).values;
} catch (err) {
  fail(`${(err as Error).message} (usage: npm start -- [--config PATH])`);
}
// Set but empty (`HUBWARDEN_CONFIG=$PROD_CONFIG`, the variable unset) is no path: not the
// working folder (EISDIR), nor the shipped sandbox config in place of the one meant.
if (args.config === undefined && process.env.HUBWARDEN_CONFIG?.trim() === '') fail('HUBWARDEN_CONFIG is set but empty: set it to the config file, or unset it');
const configPath = args.config ?? process.env.HUBWARDEN_CONFIG ?? DEFAULT_CONFIG_PATH;
// A URL given as the config's path is refused unread and unquoted (config/config-path.ts).
const configUrl = configPathProblem(configPath, args.config !== undefined ? '--config' : 'HUBWARDEN_CONFIG');
if (configUrl) fail(configUrl);

try {
  for (const path of await createDefaultTokenFiles(configPath)) process.stdout.write(`hubwarden: first start: created ${path} (mode 0600)\n`);
} catch (err) {
  fail(`first start: ${(err as Error).message}`);
}

let config: LoadedConfig;
try {
  config = loadConfig(configPath);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

// Valid but unsafe (a `file:` secret other users may read): one line each, as the key file's mode is.
for (const warning of config.warnings) childLogger('config').warn(`config: ${warning}`, { path: config.path });

// Before anything listens: a path that cannot be written is one line now, not a server that
// started and then failed (or, with Node's recursive mkdir under /proc, never got going).
try {
  prepareAuditFile(config.pathOf(config.file.audit.file));
} catch (err) {
  fail((err as Error).message);
}

let keyring: Keyring;
try {
  keyring = await Keyring.load(config.pathOf(config.file.secrets.keyFile));
} catch (err) {
  fail((err as Error).message);
}

const store = storeFromConfig(config);
try {
  await store.open();
} catch (err) {
  fail((err as Error).message);
}
// A key file made now over a store in use: the wrong path, or a replica without the shared key.
const newKey = await newKeyOverRecords(keyring, store, config.pathOf(config.file.secrets.keyFile)).catch(() => undefined);
if (newKey) childLogger('secrets').warn(newKey);

/** Hubs whose connector block says `sandbox` talk to that connector's built-in emulator, mounted here. */
// Its control endpoints (accept invites, inject faults) answer only to an admin token. Its world is
// kept beside the store (data/sandbox-<connector>.json), so a restart changes nothing in it.
const adminTokens = adminTokensFrom(config, keyring);
const sandboxLog = childLogger('sandbox');
let sandboxSet: Awaited<ReturnType<typeof createSandboxes>>;
try {
  sandboxSet = await createSandboxes(
    config.file.hubs,
    (req) => everyHubToken(adminTokens, bearerToken(req.headers.authorization)),
    (connectorId) => ({
      ...sandboxWorldFile(sandboxWorldPath(config, connectorId)),
      onError: (err) => sandboxLog.error('sandbox: saving its world failed', { connectorId, error: err.message }),
    }),
  );
} catch (err) {
  await store.close();
  fail((err as Error).message);
}
const { sandboxes, routers: sandboxRouters } = sandboxSet;

let urls: Record<string, string> = {};
const hubwarden = composeHubwarden({
  config,
  store,
  keyring,
  sandboxUrls: () => urls,
  extraRouters: sandboxRouters,
});
const routers: MountedRouter[] = hubwarden.routers;

const app = createApp({ store, agentRunning: () => hubwarden.running(), routers, trustProxy: config.file.server.trustProxy });
let running;
try {
  running = await serve(app, {
    host: config.file.server.host,
    port: config.file.server.port,
    // A stop ends within 10 s (what supervisors wait by default before killing): in-flight requests
    // and running tasks share 7 s (tasks 5 s; requests in flight when the listener closes keep at
    // least 2 s, drainMs), the rest is for writing the sandbox and folding the journal.
    graceMs: 7_000,
    // The agent stops first, while the server still listens: its running tasks may be reading a
    // built-in sandbox on this very server. /readyz already answers 503 (agent stopped) meanwhile,
    // so a load balancer drains this replica; SCIM writes still accepted are durable with their
    // outbox entries and are dispatched at the next start or by another replica.
    beforeClose: (budgetMs) => hubwarden.stop(budgetMs),
    onClose: async () => {
      try {
        await sandboxSet.close(); // the sandboxes' last changes, after the agent's last call to them
      } finally {
        await store.close();
      }
    },
  });
} catch (err) {
  await store.close();
  fail((err as Error).message);
}
stopOnSignals(running);
/** Where connectors of sandbox hubs reach their emulator: this process, over loopback. */
urls = sandboxUrls(sandboxes, running.url);
try {
  await hubwarden.start();
} catch (err) {
  // One line and exit 1, as for any start-up failure, not an unhandled rejection's stack trace;
  // the store is closed cleanly on the way out.
  await running.close().catch(() => {});
  fail(`start: ${(err as Error).message}`);
}
process.stdout.write(`${banner(config, running.url, sandboxes.map((s) => ({ description: s.description, url: urls[s.connectorId]! })))}\n`);
