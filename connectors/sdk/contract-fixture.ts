import type { HubConnector } from './definition.ts';
import type { AssetRef } from './hub-model.ts';

/**
 * What a connector gives the shared contract suite (test/contract/connector-contract.ts): its
 * emulator started on a small fixture, and the few facts that differ per app (which email to
 * invite, which role is not admin, which access is unsupported, how its API throttles). The suite
 * itself is the same for every connector. A connector exposes this through its definition's
 * `contractFixture` (a lazy import, so test data never loads in the product).
 */

/** Faults the suite asks for, in app-neutral words; the fixture maps them onto its emulator's knobs. */
export type ContractFault =
  /** One of the fixture's `throttles`, by its name. */
  | { kind: 'throttle'; name: string }
  | { kind: 'server-error' }
  | { kind: 'timeout' }
  | { kind: 'drop' }
  /** Random transient errors, dropped sockets and short pages: reads must still be complete with caller retries. */
  | { kind: 'noisy'; seed: number };

export interface ContractSample {
  /** An email that is neither a member nor invited. */
  inviteEmail: string;
  /** The role to invite with. */
  inviteRole: string;
  /** A member who is not an admin, assignable to `asset`. */
  memberId: string;
  /** A role below admin (the demotion the last admin must refuse; the role change an unknown member gets not-found for). */
  memberRole: string;
  /** The hub's only admin. */
  lastAdminId: string;
  asset: AssetRef;
  /** Access the member may be given on `asset` (`assignAsset`'s `tasks`). */
  tasks: string[];
  /** Access the app refuses on `asset`: refused locally, before any call. */
  unsupportedTasks: string[];
  /** A member id nobody holds. */
  unknownId: string;
  /** The credential value `make({ badCredential: true })` uses: it must never appear in a message. */
  badCredential: string;
  /** For connectors with partner sharing. */
  partner?: { businessId: string; asset: AssetRef; tasks: string[] };
}

export interface ContractSetup {
  connector: HubConnector;
  /** Another instance on the same emulator: a revoked credential, or a short timeout. */
  make(options: { badCredential?: boolean; timeoutMs?: number }): HubConnector;
  sample: ContractSample;
  faults: { inject(fault: ContractFault): void; clear(): void };
  /** HTTP calls the emulator has received (to prove local refusals make none). */
  callCount(): number;
  close(): Promise<void>;
}

export interface ContractFixture {
  /**
   * The app's ways of saying "slow down", by name (Meta: `code 4`, `code 17`…), each with the wait
   * the connector must report (undefined: any wait > 0). Known before any emulator starts, so the
   * suite can name one test per throttle.
   */
  throttles: Record<string, { waitMs?: number }>;
  /** Starts a fresh emulator and connector (one per test). */
  start(): Promise<ContractSetup>;
}
