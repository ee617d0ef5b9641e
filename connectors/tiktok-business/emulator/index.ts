/**
 * TikTok API for Business emulator: the Business Center endpoints (members, invitations, assets,
 * partners) of https://business-api.tiktok.com/portal/docs/api-reference/v1.3, strict about
 * parameters and values, with TikTok's envelope, return codes, app rate limits (40100) and
 * page-number paging. Runs in-process for tests, standalone (`hubwarden emulator tiktok`) and
 * mounted as the product's `sandbox`. Its behaviour where TikTok is silent is listed in the
 * connector README ([INF]).
 *
 * Control endpoints: `POST /__emulator/invites/{bc_id}/{email}/accept|decline|expire`,
 * `PUT /__emulator/faults`, `PUT /__emulator/rate-limits`, `GET /__emulator/calls`,
 * `GET /__emulator/state`, `POST /__emulator/reset` (the emulator's own control API, not TikTok's).
 */
import { listenOn } from '../../sdk/listen.ts';
import type { Express } from 'express';
import { savingAfterWrites } from '../../sdk/debounced-save.ts';
import { restoreWorld, worldSaver } from './world-file.ts';
import { TikTokWorld } from './world.ts';
import { FaultPlan, type FaultConfig } from './faults.ts';
import { AppLimiter, TIERS, type AppRateLimits } from './app-limits.ts';
import { createTikTokApp, type EmulatorControlAuth } from './http-app.ts';
import { acceptInvite, declineInvite, expireInvite } from './invites.ts';
import { loadFixtureFile, sandboxFixture } from './fixture.ts';
import type { EmulatorRuntime, RecordedCall } from './context.ts';
import type { EmulatorState } from './model.ts';
import type { AlternativeReadings } from './readings.ts';

export type { FaultConfig, ThrottleFault, ForcedCode } from './faults.ts';
export type { AppRateLimits } from './app-limits.ts';
export type { AlternativeReadings } from './readings.ts';
export type { RecordedCall } from './context.ts';
export type { EmulatorControlAuth } from './http-app.ts';
export type { EmulatorState, MemberRow, Asset, Assignment, Share, Partnership, BusinessCenter, Token } from './model.ts';
export type { TikTokFixture } from './fixture.ts';
export { sandboxFixture, loadFixtureFile, parseFixture } from './fixture.ts';
export { TIKTOK_SANDBOX } from './sandbox-ids.ts';
export { TIERS } from './app-limits.ts';

export interface TikTokEmulatorOptions {
  /** default: the sandbox fixture (fixtures/sandbox.json) */
  state?: EmulatorState;
  /** delay per HTTP request (benchmarks use 100) */
  latencyMs?: number;
  faults?: FaultConfig;
  /** the developer app's limits; default the Basic tier; `null` for none */
  rateLimits?: AppRateLimits | null;
  /** injectable clock, epoch ms */
  now?: () => number;
  /** how long an invitation link stays valid (default 30 days [INF]) */
  inviteTtlMs?: number;
  /** Another emulator's reading where TikTok is silent (readings.ts; tests only). Default: this one's. */
  readings?: AlternativeReadings;
  log?: { error(msg: string, meta?: object): void };
  /** Guards `/__emulator/*` (the product passes an admin-token check when it mounts the sandbox). */
  controlAuth?: EmulatorControlAuth;
  /**
   * Keeps the world across restarts (the product's sandbox): starts from `initial` (a world saved
   * earlier; `source` names it in errors) instead of the fixture, and hands `save` the whole world
   * after each change (debounced) and at `close()`. Default: in memory only.
   */
  persist?: { initial?: string; source?: string; save(text: string): Promise<void>; debounceMs?: number; onError?(err: Error): void };
}

export interface TikTokEmulator {
  /** An express app mountable under any prefix, e.g. app.use('/sandbox/tiktok', emulator.handler). */
  handler: Express;
  listen(port?: number, host?: string): Promise<{ url: string; close(): Promise<void> }>;
  /** every call, tokens never recorded */
  calls: RecordedCall[];
  control: {
    acceptInvite(bcId: string, email: string, person?: { name?: string }): { userId: string };
    declineInvite(bcId: string, email: string): void;
    expireInvite(bcId: string, email: string): void;
    setFaults(f: FaultConfig): void;
    setRateLimits(l: AppRateLimits | undefined): void;
    clearCalls(): void;
    state(): EmulatorState;
    seed(state: EmulatorState): void;
    /** Back to the fixture the emulator was created with (`hubwarden sandbox reset`). */
    reset(): void;
  };
  /** Writes pending changes of a persisted world (call at shutdown); nothing to do otherwise. */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

export function createTikTokEmulator(options: TikTokEmulatorOptions = {}): TikTokEmulator {
  const now = options.now ?? Date.now;
  const world = new TikTokWorld();
  const fixture = () => structuredClone(options.state) ?? sandboxFixture(now());
  world.seed(fixture());
  if (options.persist?.initial !== undefined) restoreWorld(world, options.persist.initial, options.persist.source ?? 'the saved world');
  const saver = options.persist && worldSaver(world, options.persist.save, options.persist);
  const calls: RecordedCall[] = [];
  const rt: EmulatorRuntime = {
    world,
    faults: new FaultPlan(now, options.faults),
    limits: new AppLimiter(options.rateLimits === null ? undefined : options.rateLimits ?? TIERS.basic, now),
    now,
    inviteTtlMs: options.inviteTtlMs ?? 30 * DAY_MS,
    readings: options.readings ?? {},
    calls,
    log: options.log,
  };
  /** Control actions called directly (tests, the product) change the world outside HTTP: save too. */
  const changing = <T>(action: () => T): T => {
    const out = action();
    saver?.changed();
    return out;
  };
  const control: TikTokEmulator['control'] = {
    acceptInvite: (bc, email, person) => changing(() => acceptInvite(rt, bc, email, person)),
    declineInvite: (bc, email) => changing(() => declineInvite(rt, bc, email)),
    expireInvite: (bc, email) => changing(() => expireInvite(rt, bc, email)),
    setFaults: (f) => rt.faults.set(f),
    setRateLimits: (l) => rt.limits.set(l),
    clearCalls: () => void calls.splice(0, calls.length),
    state: () => world.snapshot(),
    seed: (state) => {
      world.seed(state);
      saver?.changed();
    },
    reset: () => control.seed(fixture()),
  };
  const app = createTikTokApp(rt, options.latencyMs ?? 0, control, options.controlAuth);
  const handler = saver ? savingAfterWrites(app, saver) : app;
  return { handler, calls, control, close: async () => saver?.flush(), listen: (port = 0, host = '127.0.0.1') => listenOn(handler, port, host) };
}

export interface StandaloneOptions {
  port: number;
  host?: string;
  fixturePath?: string;
  latencyMs?: number;
  log?: TikTokEmulatorOptions['log'];
}

/** `hubwarden emulator tiktok --port N`: the sandbox fixture (or a file) on 127.0.0.1:N. */
export async function startStandalone(options: StandaloneOptions): Promise<{ url: string; emulator: TikTokEmulator; close(): Promise<void> }> {
  const state = options.fixturePath ? loadFixtureFile(options.fixturePath) : undefined;
  const emulator = createTikTokEmulator({ state, latencyMs: options.latencyMs, log: options.log });
  const { url, close } = await emulator.listen(options.port, options.host ?? '127.0.0.1');
  return { url, emulator, close };
}
