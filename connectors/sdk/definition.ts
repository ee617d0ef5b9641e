import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { CapabilityMethods } from './capabilities.ts';
import type { ContractFixture } from './contract-fixture.ts';

/**
 * What a connector declares about its app, in one value (`defineConnector`), so that nothing
 * outside `connectors/<app>/` needs to know the app: the config file's per-connector block, the
 * app's roles and how they rank, its asset types with the grant a team writes and how several
 * teams' grants combine, what shares a rate-limit budget, the optional sandbox and emulator
 * command, and `create`, which builds the instance whose methods are its capabilities
 * (capabilities.ts). config/schema.ts builds the hub schema from these; the agent plans with them.
 */

/** What `create` receives besides the connector's resolved config. */
export interface ConnectorContext {
  /** Structured logger (winston-compatible subset); never pass secrets in meta. */
  log: { debug(msg: string, meta?: object): void; info(msg: string, meta?: object): void; warn(msg: string, meta?: object): void; error(msg: string, meta?: object): void };
  /** Injectable fetch (tests, proxies); defaults to global fetch. */
  fetch?: typeof fetch;
  /**
   * Called once per HTTP call made to the provider (metrics, benchmarks). `throttled`, when the
   * connector says: the provider answered with its own rate limit, which an HTTP status alone may
   * not show (TikTok answers HTTP 200 with code 40100).
   */
  onCall?: (call: { method: string; path: string; status: number; ms: number; operations?: number; throttled?: boolean }) => void;
  /**
   * Called when the connector finds a rate-limit scope throttled by itself (an error, or a usage
   * header naming it out of quota), with when the block ends (epoch ms), so the agent records it
   * for every replica: the app's limits are per app and business, not per process. Not called
   * for a block the agent passed in (`honourBlock`).
   */
  onBlock?: (scope: string, untilMs: number) => void;
  /**
   * For a connector that paces its own calls (an app with per-second and per-minute limits and no
   * usage headers): counts one call in the hub's window shared by every replica; resolves 0 when
   * counted, else the milliseconds to wait before asking again, or `'day-spent'` when `perDay`
   * calls were counted this UTC day (none before 00:00 UTC). The window is the fleet's when
   * replicas share the store; the day's count is kept in the store on every store, so it holds
   * across replicas and restarts.
   */
  callPace?: (limits: CallPaceLimits) => Promise<number | 'day-spent'>;
}

/** The limits a connector asks its hub's call window to keep (ConnectorContext.callPace). */
export interface CallPaceLimits {
  perSecond: number;
  perMinute: number;
  /** Calls per UTC day (the count resets at 00:00 UTC); absent: not counted. */
  perDay?: number;
}

/**
 * A connector instance for one hub: its id, its limits, and the capability methods it implements
 * (a capability exists when its methods exist; see capabilities.ts).
 */
export interface HubConnector extends CapabilityMethods {
  /** The definition's id (`meta-business`), for messages. */
  readonly id: string;
  readonly limits: {
    /** How many assets one `listAssignments` call takes (the agent chunks to this). */
    assetsPerAssignmentRead: number;
  };
  /**
   * Runs the read of one check for updates (`read`, which calls the listing methods). Listings
   * called inside it may share what the app answered to one of them: an app whose listings ask
   * the same list (one of its assets' lists read for the assets and again for their partners)
   * asks it once per check, every call counting against the app's rate limit. Nothing is shared
   * with calls outside `read` (writes, re-reads) nor with a later check. Optional: without it
   * every listing reads for itself.
   */
  withinCheck?<T>(read: () => Promise<T>): Promise<T>;
}

/** The app's roles for a seat in the hub (`teams[].appRole`). */
export interface AppRoles {
  /**
   * Every role the app shows, highest first. A person in several teams gets the highest; a role
   * not listed ranks below all listed ones. Compared case-insensitively.
   */
  ranking: readonly string[];
  /** The roles a team may give (`teams[].appRole`, `defaultTeam.appRole`), in the order the config reference lists them. */
  assignable: readonly string[];
  /** The role that administers the hub: the last member holding it is never removed or demoted. */
  admin: string;
  /**
   * Does a holder of the admin role reach every asset of the hub without an assignment (TikTok
   * Business Center: an ADMIN)? Informational only: the members view and My access say such an
   * admin reaches every asset (`reachesAllAssets`) beside the explicit assignments the app lists.
   * The plan does not read it: an admin's seat gets its teams' assets (invite, assign, unassign)
   * as any other, since an app's contract may ask for them (TikTok's does) and an explicit
   * assignment is what the person keeps if demoted.
   */
  adminReachesAllAssets?: boolean;
}

/**
 * One asset type a team may grant (`teams[].assets[]` with this `type`). The agent works with an
 * asset grant as its *access*: a set of the app's permission names on the asset (Meta: business
 * tasks; an app with one role per asset: `[role]`). It is carried as `tasks` on assignments and
 * operations.
 */
export interface AssetTypeRules<G extends z.ZodRawShape = z.ZodRawShape> {
  /** For messages: `ad account`. */
  label: string;
  /** The asset id as written in the config (format check). */
  id: z.ZodType<string>;
  /** The fields of a team's grant beside `type` and `id` (Meta: `{ tasks }`; TikTok: `{ role }`). */
  grant: G;
  /** The access a team's grant gives, as a set of permission names in a stable order. */
  accessOf(grant: z.infer<z.ZodObject<G>>): string[];
  /** Is this access a grant the app accepts on this type? (checked before any call is made) */
  isSupported(access: readonly string[]): boolean;
  /**
   * Several teams' access on one asset, combined into the one grant the person gets (Meta: the
   * smallest supported task bundle covering all; one-role apps: the highest role). Throws an Error
   * whose message says why when no single grant covers them.
   */
  combine(accesses: readonly (readonly string[])[]): string[];
}

/** The changes the agent asks a connector to make (the operation kinds of a plan). */
export type ChangeKind =
  | 'invite' | 'reinvite' | 'cancel-invite' | 'change-invite-role'
  | 'change-member-role' | 'remove-member' | 'assign-asset' | 'unassign-asset';

/** What `settings` gets to turn a hub's config block into the connector's config. */
export interface HubSettingsInput<B, P> {
  hubId: string;
  /** The hub's block as validated by `hub.schema` (secret references unresolved). */
  block: B;
  /** `partners[]` as validated by `partner`. */
  partners: P[];
  /** The asset types the hub's teams grant (they may decide what the credential must allow). */
  managedAssetTypes: string[];
  /** Resolves a secret reference (`env:NAME`, `file:PATH`) to its value; never log the result. */
  secret(ref: string): string;
  /** Where this connector's sandbox answers, when `sandbox.usedBy(block)` and the server runs it. */
  sandboxUrl?: string;
}

/** A request handler mountable under a path of hubwarden's own server (an express app is one). */
export type MountableHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/** A built-in emulator that `npm start` mounts for hubs whose block asks for it (`sandbox`). */
export interface ConnectorSandbox<B> {
  /** Mount path on hubwarden's server, e.g. `/sandbox/graph`; unique across connectors. */
  path: string;
  /** One line for the start-up banner: what answers there. */
  description: string;
  /** Does this hub block point at the sandbox? */
  usedBy(block: B): boolean;
  /** POST here (below `path`, with an admin token) puts the sandbox back as its fixture has it. */
  resetPath: string;
  /**
   * Builds the emulator. `controlAuth` guards its test-only control endpoints (accept invites,
   * faults); with `persist` its world starts from `persist.initial` and is handed to
   * `persist.save` after each change, and `close()` writes what is pending.
   */
  create(options: { controlAuth(req: IncomingMessage): boolean; persist?: SandboxPersistence }): Promise<{ handler: MountableHandler; close?(): Promise<void> }>;
}

/** Keeping a sandbox's world across restarts; where the text is stored is the caller's business. */
export interface SandboxPersistence {
  /** The world saved by an earlier run (undefined: start from the fixture). */
  initial?: string;
  /** Names the saved world in errors (a file path). */
  source?: string;
  /** Stores the whole world; called after changes (debounced) and at close. */
  save(text: string): Promise<void>;
  onError?(err: Error): void;
}

/** `hubwarden emulator <command>`: the app's emulator as a standalone process. */
export interface ConnectorEmulatorCommand {
  /** The subcommand: `meta` for `hubwarden emulator meta`. */
  command: string;
  /** Its help line. */
  description: string;
  /** Starts the emulator on 127.0.0.1:`port` (0: any free port) with its sandbox fixture or `fixturePath`. */
  start(options: { port: number; fixturePath?: string }): Promise<{ url: string; close(): Promise<void> }>;
}

export interface ConnectorDefinition<
  S extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  P extends z.ZodType = z.ZodType,
> {
  /** `connector:` in the config: `meta-business`. */
  id: string;
  /** For people: `Meta Business Manager`. */
  label: string;
  /** The hub's per-connector config block. */
  hub: {
    /** Its key on the hub (`meta`); required on this connector's hubs, refused on others. */
    key: string;
    /** Its schema as written in the file (secret references as `secretRef` strings). */
    schema: B;
  };
  /** One `partners[]` item as written in the file (Meta: `{ businessId, token? }`). */
  partner: P;
  /** The partner an item names (its business id): a hub listing one twice is a config error. */
  partnerId?(partner: z.infer<P>): string;
  /**
   * The business a hub's block names, with where it is reached (API base URL and business id): two
   * hubs naming the same one is a config error. Each hub plans the business's seats from its own
   * directory alone, so one hub removed a seat the other granted (and invited it again), and each
   * removal threshold counted only its own hub's share of the one business.
   */
  businessOf?(block: z.infer<B>): string;
  /** The app's roles for a seat: ranking, what teams may give, the admin role. */
  roles: AppRoles;
  /** Config type name (`ad_account`) → its rules. The only asset types the connector reads and grants. */
  assetTypes: Record<string, AssetTypeRules>;
  /**
   * The asset types whose shares with or by a partner `listPartners` reads (Meta: every type;
   * TikTok: ad accounts only). Absent: every type of `assetTypes`. The agent records which types
   * each check read, so that a release adding one reads its existing shares once as the baseline
   * (one summary audit entry) rather than reporting each as newly shared in the app.
   */
  partnerShareTypes?: readonly string[];
  /**
   * What shares a rate-limit budget: the scope a change's calls count against, in the words the
   * connector's ConnectorError `limitScope` and `rateLimits()` use (Meta: invites per business,
   * `invite:<business id>`; everything else `app`). A block on one scope holds only its tasks,
   * except `app`, the app's own budget every call counts against: its block holds every scope.
   */
  rateLimitScope(change: ChangeKind, block: z.infer<B>): string;
  /** Meaning of each block, partner and grant key for the README's config reference, keyed like `meta.businessId`, `partners[].token`, `teams[].assets[].tasks`. */
  meanings: Record<string, string>;
  /** The connector's own config, resolved (secrets revealed, sandbox URL filled in). */
  config: S;
  /** The hub's block and partners → `config`'s input. Throws ConnectorError (with `field`) for a missing secret. */
  settings(input: HubSettingsInput<z.infer<B>, z.infer<P>>): z.input<S>;
  /** Builds the instance for one hub; its methods are its capabilities (capabilities.ts). Called lazily, once per hub. */
  create(config: z.infer<S>, context: ConnectorContext): HubConnector;
  /** The built-in emulator `npm start` mounts for hubs whose block asks for it. */
  sandbox?: ConnectorSandbox<z.infer<B>>;
  /** `hubwarden emulator <command>`. */
  emulator?: ConnectorEmulatorCommand;
  /**
   * The connector's fixture for the shared contract suite (test/contract), loaded lazily
   * (`() => import('./contract-fixture.ts')…`). Every registered connector has one; a test checks.
   */
  contractFixture?: () => Promise<ContractFixture>;
}

/** Connectors are values: declared with this, listed explicitly in connectors/registry.ts. */
export function defineConnector<S extends z.ZodType, B extends z.ZodType, P extends z.ZodType>(definition: ConnectorDefinition<S, B, P>): ConnectorDefinition<S, B, P> {
  return definition;
}

/** > 0 when role `a` outranks `b` in `roles.ranking`, < 0 when `b` outranks `a`, 0 when equal or both unknown. */
export function compareRoles(roles: AppRoles, a: string, b: string): number {
  const weight = (r: string) => {
    const i = roles.ranking.findIndex((x) => x.toUpperCase() === r.toUpperCase());
    return i === -1 ? -1 : roles.ranking.length - i;
  };
  return weight(a) - weight(b);
}

/** Is `role` the hub's admin role? */
export function isAdminRole(roles: AppRoles, role: string | undefined): boolean {
  return role !== undefined && role.toUpperCase() === roles.admin.toUpperCase();
}
