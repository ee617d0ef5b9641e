/**
 * Meta Graph API emulator: the Business Management endpoints
 * (https://developers.facebook.com/docs/business-management-apis/business-manager/get-started), with
 * only the fields Meta lists per node and edge (graph-fields.json), faithful enough that a client passing against it works
 * against graph.facebook.com. Runs in-process for tests, standalone (`startStandalone`, used by
 * `hubwarden emulator meta --port N`) and mounted as the product's `sandbox`.
 *
 * Clients use `<url>/v25.0/...` (any released `vNN.0`, or none). Control endpoints for the sandbox and
 * manual testing: `POST /__emulator/invites/{id}/accept|decline|expire`, `PUT /__emulator/faults`,
 * `GET /__emulator/calls`, `GET /__emulator/state`, `POST /__emulator/reset`.
 */
import { listenOn } from '../../sdk/listen.ts';
import type { Express } from 'express';
import { savingAfterWrites } from '../../sdk/debounced-save.ts';
import { MetaWorld } from './world.ts';
import { restoreWorld, worldSaver, type WorldSaver } from './world-file.ts';
import { FaultPlan, type FaultConfig } from './faults.ts';
import { createGraphApp, type EmulatorControlAuth } from './http-app.ts';
import { acceptInvite, declineInvite, expireInvite } from './invites.ts';
import { loadFixtureFile, sandboxFixture, type MetaFixture } from './fixture.ts';
import type { EmulatorRuntime, InviteLimit, RecordedCall } from './graph-context.ts';
import type { EmulatorState } from './model.ts';
import type { GuardOptions } from './guards.ts';

export type { MetaFixture, FixtureTime } from './fixture.ts';
export type { FaultConfig, ThrottleFault, ThrottleCode } from './faults.ts';
export type { RecordedCall, InviteLimit } from './graph-context.ts';
export type { GuardOptions } from './guards.ts';
export type { EmulatorControlAuth } from './http-app.ts';
export type { EmulatorState, Business, BusinessUser, Invite, SystemUser, Asset, Assignment, Share, Token } from './model.ts';
export { sandboxFixture, loadFixtureFile } from './fixture.ts';
export { generateFixture, type GenerateFixtureOptions } from './generate-fixture.ts';
export { SANDBOX } from './sandbox-ids.ts';

export interface MetaEmulatorOptions {
  /** default: the sandbox fixture (fixtures/sandbox.json) */
  fixture?: MetaFixture;
  /** delay per HTTP request (benchmarks use 100) */
  latencyMs?: number;
  /** fault injection; change at runtime with control.setFaults */
  faults?: FaultConfig;
  /** code 17 after `count` invites per business per window (default: off) */
  inviteLimit?: InviteLimit;
  /** injectable clock, epoch ms (invite expiry, throttling windows, token expiry) */
  now?: () => number;
  /**
   * Whether invites leave `pending_users` as soon as they stop being pending (default
   * 'pending-only', as Meta lists them) or expired and declined ones stay listed with their status
   * ('keep-expired', a looser reading some tests use to see those statuses in the listing).
   */
  inviteVisibility?: 'keep-expired' | 'pending-only';
  /**
   * Inviting an email that already holds a seat or a pending invite: refused with code 100
   * (default 'refuse', the strict reading) or answered as an idempotent success returning the
   * existing request's id ('existing-id'). Meta documents neither (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users):
   * the vendor docs are silent, so both are readings of that silence (connector README [INF]).
   */
  inviteExisting?: 'refuse' | 'existing-id';
  /** how long a new invite stays PENDING (default 30 days [INF]) */
  inviteTtlMs?: number;
  /**
   * Honour the legacy `method=post|delete` and `suppress_http_code=1` overrides on GET (default
   * off). Graph has them as legacy features, but Meta's reference pages do not document them (the
   * vendor docs are silent; [INF] strict choice), so an emulator written
   * from those pages may lack them: off, `method` and `suppress_http_code` are refused (#100) like any
   * parameter an endpoint does not take (route-params.ts), and no client here can come to depend on
   * them (connector README [INF]).
   */
  legacyOverrides?: boolean;
  /**
   * Serve `GET /debug_token` (default off). Meta's business-management reference pages, which
   * this emulator follows, do not document it, so an emulator written from them may lack it: off,
   * the path answers 2500 like any path Graph does not know, and the connector's token check
   * falls back to a documented read (connector README [INF], Token health).
   */
  debugToken?: boolean;
  /**
   * Run as a Meta app with "Require App Secret" on (https://developers.facebook.com/docs/graph-api/securing-requests),
   * this being its app secret: a call whose `appsecret_proof` is missing or is not the HMAC-SHA256
   * of its token under this secret is refused (#100) (app-secret.ts; connector README [INF]).
   * Default: none, and a proof sent is taken and ignored.
   */
  appSecret?: string;
  /** optional business rules (2FA 415, Advanced Access 10, new-admin restriction 10/2859030); all off by default */
  guards?: GuardOptions;
  /** winston-compatible logger for emulator bugs (pass childLogger('meta-emulator')); default: none */
  log?: { error(msg: string, meta?: object): void };
  /**
   * Guards the `/__emulator/*` control endpoints: requests it refuses get 401. The product passes
   * an admin-token check when it mounts the sandbox; default: unguarded (tests, standalone).
   */
  controlAuth?: EmulatorControlAuth;
  /**
   * Keep the world across restarts (the product's sandbox): `initial` is a saved world (from
   * `save`) to start from instead of the fixture, `source` names it in errors, and `save` gets the
   * whole world after each change (debounced) and at `close()`. Default: in memory only.
   */
  persist?: { initial?: string; source?: string; save(text: string): Promise<void>; debounceMs?: number; onError?(err: Error): void };
}

export interface MetaEmulator {
  /** An express app mountable under any path prefix, e.g. app.use('/sandbox/graph', emulator.handler). */
  handler: Express;
  /** Standalone: listen on 127.0.0.1:port (0 = any); url has no trailing slash. */
  listen(port?: number, host?: string): Promise<{ url: string; close(): Promise<void> }>;
  /** every call (also each op inside a batch), tokens redacted */
  calls: RecordedCall[];
  control: {
    acceptInvite(requestId: string, person?: { name?: string; email?: string }): { memberId: string };
    declineInvite(requestId: string): void;
    expireInvite(requestId: string): void;
    setFaults(f: FaultConfig): void;
    /** Replaces the optional guards (e.g. `noBusinessToBusinessAccess`) at runtime. */
    setGuards(g: GuardOptions): void;
    clearCalls(): void;
    state(): EmulatorState;
    seed(fixture: MetaFixture): void;
    /** Back to the fixture the emulator was created with (`hubwarden sandbox reset`). */
    reset(): void;
  };
  /** Writes pending changes of a persisted world (call at shutdown); nothing to do otherwise. */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

export function createMetaEmulator(options: MetaEmulatorOptions = {}): MetaEmulator {
  const now = options.now ?? Date.now;
  const world = new MetaWorld(now);
  const fixture = () => options.fixture ?? sandboxFixture();
  if (options.persist?.initial !== undefined) restoreWorld(world, options.persist.initial, options.persist.source ?? 'the saved world');
  else world.seed(fixture());
  const saver: WorldSaver | undefined = options.persist && worldSaver(world, options.persist.save, options.persist);
  const calls: RecordedCall[] = [];
  const runtime: EmulatorRuntime = {
    world,
    faults: new FaultPlan(now, options.faults),
    now,
    inviteLimit: options.inviteLimit,
    inviteVisibility: options.inviteVisibility ?? 'pending-only',
    inviteExisting: options.inviteExisting ?? 'refuse',
    inviteTtlMs: options.inviteTtlMs ?? 30 * DAY_MS,
    legacyOverrides: options.legacyOverrides ?? false,
    debugToken: options.debugToken ?? false,
    ...(options.appSecret !== undefined ? { appSecret: options.appSecret } : {}),
    guards: { ...(options.guards ?? {}) },
    inviteLog: new Map(),
    usage: { windowStart: now(), calls: 0 },
    calls,
    log: options.log,
  };
  const changing = <T>(change: () => T): T => {
    const result = change();
    saver?.changed();
    return result;
  };
  const control: MetaEmulator['control'] = {
    acceptInvite: (id, person) => changing(() => acceptInvite(runtime, id, person)),
    declineInvite: (id) => changing(() => declineInvite(runtime, id)),
    expireInvite: (id) => changing(() => expireInvite(runtime, id)),
    setFaults: (f) => runtime.faults.set(f),
    setGuards: (g) => {
      for (const k of Object.keys(runtime.guards)) delete runtime.guards[k as keyof GuardOptions];
      Object.assign(runtime.guards, g);
    },
    clearCalls: () => void calls.splice(0, calls.length),
    state: () => world.snapshot(),
    seed: (f) => {
      world.seed(f);
      runtime.inviteLog.clear();
      saver?.changed();
    },
    reset: () => control.seed(fixture()),
  };
  const graph = createGraphApp(runtime, options.latencyMs ?? 0, control, options.controlAuth);
  const handler = saver ? savingAfterWrites(graph, saver) : graph;
  return {
    handler,
    calls,
    control,
    close: async () => saver?.flush(),
    listen: (port = 0, host = '127.0.0.1') => listenOn(handler, port, host),
  };
}

export interface StandaloneOptions {
  port: number;
  host?: string;
  fixturePath?: string;
  latencyMs?: number;
  /** see MetaEmulatorOptions.appSecret */
  appSecret?: string;
  log?: MetaEmulatorOptions['log'];
}

/** `hubwarden emulator meta --port N`: the sandbox fixture (or a file) on 127.0.0.1:N. */
export async function startStandalone(options: StandaloneOptions): Promise<{ url: string; emulator: MetaEmulator; close(): Promise<void> }> {
  const fixture = options.fixturePath ? loadFixtureFile(options.fixturePath) : undefined;
  const emulator = createMetaEmulator({ fixture, latencyMs: options.latencyMs, log: options.log, ...(options.appSecret !== undefined ? { appSecret: options.appSecret } : {}) });
  const { url, close } = await emulator.listen(options.port, options.host ?? '127.0.0.1');
  return { url, emulator, close };
}
