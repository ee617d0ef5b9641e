import type { HubConfigFile } from '../../config/schema.ts';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import type { Store } from '../store/store.ts';
import type { ConfigRevision } from '../audit/config-change.ts';
import type { TaskHandler, TaskLog } from './handler.ts';

/** What a TaskRunner (task-runner.ts) is built with. */
export interface TaskRunnerOptions {
  store: Store;
  handlers: TaskHandler[];
  hubs: () => ReadonlyMap<string, HubConfigFile>;
  connectorFor: (hubId: string) => HubConnector | undefined;
  log: TaskLog;
  /** Epoch ms; injectable so tests and benchmarks run simulated hours. */
  clock?: () => number;
  /** How long a taken task stays ours without renewal; renewed every third of it while running. */
  leaseMs?: number;
  /** Tasks calling the app at once, per hub (default DEFAULT_CONCURRENCY_PER_HUB). */
  concurrencyPerHub?: number;
  /** Tasks calling the app started per second, per hub (token bucket, default DEFAULT_REQUESTS_PER_SECOND); Infinity = no budget. */
  requestsPerSecondPerHub?: number;
  /** Tasks that make no app calls (planning, reconcile) at once, in total. */
  localConcurrency?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /**
   * Treat leases held by other owners as expired at start. Safe with the lowdb store, which one
   * process owns at a time (a restarted agent is the only runner of that file). Never on a store
   * shared by replicas: another owner's lease is then taken only once it has lapsed.
   */
  reclaimLeasesOnStart?: boolean;
  /**
   * On a store shared by replicas, how often the runner reads the rate-limit blocks again and
   * renews its shares of the hubs' limits (default 2 s), besides the change notifications. The
   * open tasks are read as often, or less often when that read is long (20 times its length
   * apart, fleet-poll.ts), and at the next poll after the feed was cut: a notification lost while
   * the feed reconnects is made up for then. A lease left by a replica killed mid-task needs no
   * read (its claim's notification indexed it under the lease's end).
   * Not used on a store only this process uses (every change is reported to it).
   */
  pollMs?: number;
  random?: () => number;
  /** The config revision that last changed a hub's access rules (TaskContext.configRevision). */
  configRevision?: (hubId: string) => ConfigRevision | undefined;
}
