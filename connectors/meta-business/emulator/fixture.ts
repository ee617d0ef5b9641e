/**
 * The JSON fixture that seeds the emulator (businesses, people, assets, partners, assignments).
 * Times may be absolute (ISO-8601 or unix seconds) or relative to load time (`"+60d"`, `"-3d"`,
 * `"+12h"`), so a checked-in fixture keeps a token valid for ~60 days and an invite pending.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AssetType, InviteStatus, TokenKind } from './model.ts';
import { parseMetaFixture } from './fixture-schema.ts';
import { jsonFault } from '../../sdk/json-fault.ts';

/** ISO-8601, unix seconds, or relative to load time: `+60d`, `-3d`, `+12h`, `-30m`. */
export type FixtureTime = string | number;

export interface MetaFixture {
  businesses: Array<{ id: string; name: string; two_factor_type?: 'none' | 'admin_required' | 'all_required'; vertical?: string; created_time?: FixtureTime }>;
  tokens: Array<{ value: string; kind: TokenKind; businessId: string; userId: string; scopes: string[]; expiresAt: FixtureTime | null; appId: string }>;
  businessUsers: Array<{
    id: string;
    businessId: string;
    name: string;
    email: string;
    role: string;
    tasks?: string[];
    first_name?: string;
    last_name?: string;
    title?: string;
    finance_permission?: string;
    requestId?: string;
    created_time?: FixtureTime;
  }>;
  invites: Array<{
    id: string;
    businessId: string;
    email: string;
    role: string;
    tasks?: string[];
    status: InviteStatus;
    created_time: FixtureTime;
    expiration_time: FixtureTime;
    createdBy?: string;
  }>;
  systemUsers: Array<{ id: string; businessId: string; name: string; role: string; created_time?: FixtureTime }>;
  assets: Array<{ type: AssetType; id: string; name: string; ownerBusinessId: string; created_time?: FixtureTime }>;
  assignments: Array<{ assetId: string; userId: string; tasks: string[] }>;
  shares: Array<{ assetId: string; partnerBusinessId: string; permittedTasks: string[]; accessStatus: string; access_requested_time?: FixtureTime }>;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

export function resolveFixtureTime(value: FixtureTime | undefined, now: number): number {
  if (value === undefined) return now;
  if (typeof value === 'number') return value * 1000;
  const rel = /^([+-])(\d+(?:\.\d+)?)([mhd])$/.exec(value.trim());
  if (rel) return now + (rel[1] === '-' ? -1 : 1) * Number(rel[2]) * UNIT_MS[rel[3]];
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(ms)) throw new Error(`meta emulator fixture: unreadable time "${value}" (use ISO-8601, unix seconds or +60d)`);
  return ms;
}

/** The sandbox fixture (fixtures/sandbox.json): business 1000000000000001 "Sandbox Portfolio". */
export function sandboxFixture(): MetaFixture {
  return loadFixtureFile(fileURLToPath(new URL('./fixtures/sandbox.json', import.meta.url)));
}

export function loadFixtureFile(path: string): MetaFixture {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`meta emulator fixture ${path}: cannot read JSON: ${jsonFault(err)}`);
  }
  return parseMetaFixture(parsed, path);
}
