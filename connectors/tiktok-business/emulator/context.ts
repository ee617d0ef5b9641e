/**
 * What an endpoint sees: the world, the caller (token → user), the parsed parameters, and the
 * access rules every BC endpoint shares.
 */
import type { TikTokWorld } from './world.ts';
import type { FaultPlan } from './faults.ts';
import type { AppLimiter } from './app-limits.ts';
import type { MemberRow, Token } from './model.ts';
import { Fields } from './params.ts';
import { noPermission } from './envelope.ts';
import type { AlternativeReadings } from './readings.ts';

/** The permission scopes of the API Reference page, one per endpoint group. */
export const SCOPES = {
  read: 'Read Business Center',
  member: 'Business Center Member Management',
  asset: 'Business Center Asset',
  partner: 'Business Center Partner Management',
} as const;
export type ScopeKey = keyof typeof SCOPES;

export interface RecordedCall {
  method: string;
  /** the endpoint without version and slashes, e.g. `bc/member/get` */
  endpoint: string;
  query: Record<string, string>;
  body: unknown;
  /** HTTP status; 0 for a held or dropped request */
  status: number;
  /** TikTok's `code`, when the call reached the API */
  code?: number;
  at: number;
}

export interface EmulatorRuntime {
  world: TikTokWorld;
  faults: FaultPlan;
  limits: AppLimiter;
  now(): number;
  inviteTtlMs: number;
  /** Another reading where TikTok is silent (readings.ts); empty: this emulator's own. */
  readings: AlternativeReadings;
  calls: RecordedCall[];
  log?: { error(msg: string, meta?: object): void };
}

export interface TikTokCall {
  method: 'GET' | 'POST';
  endpoint: string;
  params: Record<string, unknown>;
  token: Token;
}

export class CallContext {
  constructor(readonly rt: EmulatorRuntime, readonly call: TikTokCall) {}

  get world(): TikTokWorld {
    return this.rt.world;
  }

  /** The call's parameters, refusing any not in `allowed` (40002). */
  fields(allowed: readonly string[]): Fields {
    return new Fields(this.call.params, allowed, { fromQuery: this.call.method === 'GET' });
  }

  /** The caller's BOUND row in a BC: reading needs one, writing needs ADMIN (40001 otherwise). */
  member(bcId: string, need: 'read' | 'admin'): MemberRow {
    if (!this.world.bcs.has(bcId)) throw noPermission(`bc_id: no permission to access Business Center ${bcId}`);
    const row = this.world.boundMember(bcId, this.call.token.user_id);
    if (!row) throw noPermission(`bc_id: the user is not a member of Business Center ${bcId}`);
    if (need === 'admin' && row.user_role !== 'ADMIN') throw noPermission(`no permission: only an ADMIN of Business Center ${bcId} may do this`);
    return row;
  }

  /** Child BCs are not emulated: any child-BC parameter is refused (40001). */
  noChildBc(fields: Fields, ...keys: string[]): void {
    for (const key of keys) if (fields.has(key)) throw noPermission(`${key}: no permission to access this child Business Center`);
  }
}
