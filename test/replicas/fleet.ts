/**
 * A fleet of hubwarden replicas as separate processes, the way issue 13 deploys them: every
 * replica runs `node --import <tsx or the test build> scim-server/main.ts --config <the same file>` against one
 * PostgreSQL schema, each in its own working directory (its "own disk": `audit.file` is relative,
 * so each replica appends its own copy, as the config reference recommends). Replicas can be
 * killed with SIGKILL and started again with the same config; `close` kills whatever is left.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { REPO_ROOT, startProcess, type ServerProcess } from '../process/server-process.ts';
import { TS_NODE_ARGS } from '../child-node.ts';

export const FLEET_HUB = 'fleet';
/** Log lines of each replica run that a failure message shows. */
const OUTPUT_LINES = 12;
export const FLEET_GROUP = 'Meta Advertisers';
/** The sandbox fixture's business and system-user token (connectors/meta-business/emulator/sandbox-ids.ts). */
export const BUSINESS_ID = '1000000000000001';
const SANDBOX_TOKEN = 'sandbox-system-user-token';

export interface FleetOptions {
  /** A fresh temp folder: the config, the key file and one working directory per replica. */
  dir: string;
  databaseUrl: string;
  schema: string;
  /** The Meta emulator's base URL (its own process). */
  graphUrl: string;
  /** node-cron expression of the hub's check for updates (a seconds field is allowed). */
  schedule: string;
  size: number;
}

export interface Replica {
  readonly index: number;
  /** The current process's base URL (changes at each restart: port 0). */
  url: string;
  /** The current process; undefined between a kill and the restart's banner. */
  process: ServerProcess | undefined;
  /** A process started again that has not printed its banner yet. */
  starting?: ServerProcess;
  /** Every process this replica ran, for the output of a failed run. */
  readonly runs: ServerProcess[];
}

export interface Fleet {
  readonly replicas: readonly Replica[];
  readonly scimToken: string;
  readonly adminToken: string;
  /** Replicas that are up, in index order. */
  up(): Replica[];
  /**
   * SIGKILL (kill -9: no graceful stop, leases left as they were), then waits for the exit. Kills
   * the replica's process whether it serves or is still starting again; says which it was.
   */
  kill(index: number): Promise<'serving' | 'starting'>;
  /** Starts the replica again with the same config and working directory; resolves at its banner. */
  restart(index: number): Promise<void>;
  /** Kills every process still alive (SIGKILL; safe to call after a failure, twice). */
  close(): Promise<void>;
  /** stderr of every run, for an assertion message. */
  output(): string;
}

/** The one config every replica runs (YAML; flow style so the test reads it at a glance). */
export function fleetConfig(o: Pick<FleetOptions, 'schema' | 'graphUrl' | 'schedule'> & { keyFile: string }): string {
  return `# The multi-replica suite's config: the same file for every replica (test/replicas/fleet.ts).
server: { port: 0, host: 127.0.0.1, adminTokens: [env:FLEET_ADMIN_TOKEN] }
store: { kind: postgres, url: env:DATABASE_URL, schema: ${o.schema}, poolSize: 10 }
secrets: { keyFile: ${o.keyFile} }
audit: { file: audit.log }
hubs:
  - id: ${FLEET_HUB}
    connector: meta-business
    meta: { businessId: "${BUSINESS_ID}", graphBaseUrl: "${o.graphUrl}", accessToken: env:FLEET_META_TOKEN }
    scim: { tokens: [env:FLEET_SCIM_TOKEN] }
    teams:
      - { group: "${FLEET_GROUP}", appRole: EMPLOYEE }
    checkForUpdates: { schedule: "${o.schedule}" }
`;
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  // The key file every replica mounts, written once by the operator (here): replicas starting
  // together must not race to create it.
  const keyFile = join(o.dir, 'hubwarden.key');
  await writeFile(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const configPath = join(o.dir, 'hubwarden.yaml');
  await writeFile(configPath, fleetConfig({ ...o, keyFile }));
  const scimToken = randomBytes(16).toString('hex');
  const adminToken = randomBytes(16).toString('hex');
  const env = {
    DATABASE_URL: o.databaseUrl,
    FLEET_SCIM_TOKEN: scimToken,
    FLEET_ADMIN_TOKEN: adminToken,
    FLEET_META_TOKEN: SANDBOX_TOKEN,
    HUBWARDEN_LOG_LEVEL: process.env.FLEET_LOG_LEVEL ?? 'warn',
  };
  // Absolute, so a replica's working directory outside the repository still finds them.
  const exitWithParent = import.meta.resolve('./exit-with-parent.ts');
  const main = resolve(REPO_ROOT, 'scim-server/main.ts');

  const exits = new Map<ServerProcess, string>();
  const replicas: Replica[] = Array.from({ length: o.size }, (_, index) => ({ index, url: '', process: undefined, runs: [] }));
  const launch = async (r: Replica) => {
    const cwd = join(o.dir, `replica-${r.index}`);
    await mkdir(cwd, { recursive: true });
    const p = startProcess(process.execPath, [...TS_NODE_ARGS, '--import', exitWithParent, main, '--config', configPath], { cwd, env });
    r.runs.push(p);
    r.starting = p;
    void p.exited.then(({ code, signal }) => {
      exits.set(p, signal ?? `exit ${code}`);
      // A replica that dies on its own (not killed by the test) is a finding: say so in the output.
      if (r.process === p) r.process = undefined;
    });
    try {
      r.url = await p.listening;
    } finally {
      if (r.starting === p) r.starting = undefined;
    }
    r.process = p;
  };
  const fleet: Fleet = {
    replicas,
    scimToken,
    adminToken,
    up: () => replicas.filter((r) => r.process !== undefined),
    async kill(index) {
      const r = replicas[index]!;
      const p = r.process ?? r.starting;
      if (!p) throw new Error(`replica ${index} is not running`);
      const was = r.process ? 'serving' : 'starting';
      r.process = undefined;
      r.starting = undefined;
      p.kill('SIGKILL');
      await p.exited;
      return was;
    },
    restart: (index) => launch(replicas[index]!),
    async close() {
      // Through each child handle, never a bare PID: a PID of a process that already exited may
      // belong to someone else by now (ChildProcess.kill is a no-op once the child has exited).
      for (const r of replicas) {
        r.process = undefined;
        for (const p of r.runs) p.kill('SIGKILL');
      }
      await Promise.all(replicas.flatMap((r) => r.runs.map((p) => p.exited)));
      // FLEET_LOG_DIR=<dir>: every run's whole log kept for a look after the suite (with FLEET_LOG_LEVEL=debug, say).
      const keep = process.env.FLEET_LOG_DIR;
      if (keep) {
        await mkdir(keep, { recursive: true });
        for (const r of replicas) for (const [n, p] of r.runs.entries()) await writeFile(join(keep, `replica-${r.index}-run-${n + 1}.log`), p.output().stderr);
      }
    },
    output: () => replicas.flatMap((r) => r.runs.map((p, n) => {
      // The logger writes every level to stderr (agent/log/logger.ts); the tail is what led up to the end.
      const tail = p.output().stderr.trimEnd().split('\n').slice(-OUTPUT_LINES).join('\n');
      return `--- replica ${r.index}, run ${n + 1} (pid ${p.pid}, ${exits.get(p) ?? 'running'}), last log lines:\n${tail}`;
    })).join('\n'),
  };
  try {
    await Promise.all(replicas.map(launch));
  } catch (err) {
    await fleet.close();
    throw new Error(`${(err as Error).message}\n${fleet.output()}`);
  }
  return fleet;
}
