/**
 * The JSON fixture that seeds the emulator: Business Centers, member rows, assets, shares,
 * partnerships, assignments and tokens, validated at load so that a bad file fails naming the
 * place (`members[3].relation_status: …`). Invitation times may be relative to load time
 * (`"-2d"`, `"+28d"`), so a checked-in fixture keeps an invitation pending.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ASSET_TYPES, type EmulatorState } from './model.ts';
import { jsonFault } from '../../sdk/json-fault.ts';
import { checkFixtureRules } from './fixture-rules.ts';

const id = z.string().regex(/^\d{1,19}$/, 'expected a digit string');
const time = z.union([z.string(), z.number()]);
const userRole = z.enum(['ADMIN', 'STANDARD']);

const fixtureSchema = z.object({
  businessCenters: z.array(z.object({
    bc_id: id, name: z.string(), company: z.string().default(''), currency: z.string().default('USD'),
    registered_area: z.string().default('US'), timezone: z.string().default('Etc/GMT'),
    type: z.enum(['NORMAL', 'DIRECT', 'AGENCY', 'SELF_SERVICE', 'SELF_SERVICE_AGENCY']).default('NORMAL'),
    status: z.enum(['REVIEWING', 'DENY', 'ENABLE', 'PUNISH']).default('ENABLE'),
    verification_status: z.enum(['NOT_SUBMITTED', 'REVIEWING', 'VERIFIED', 'FAILED', 'EXPIRED']).default('VERIFIED'),
  })),
  members: z.array(z.object({
    bc_id: id, user_id: id.optional(), user_name: z.string().optional(), user_email: z.string().min(3),
    user_role: userRole, relation_status: z.enum(['BOUND', 'PENDING', 'REJECTED']),
    finance_role: z.enum(['MANAGER', 'ANALYST']).optional(),
    invited_at: time.optional(), expires_at: time.optional(),
    invite_assets: z.array(z.object({ asset_id: id, advertiser_role: z.enum(['ADMIN', 'OPERATOR', 'ANALYST']) })).optional(),
  }).refine((m) => (m.relation_status === 'BOUND') === (m.user_id !== undefined), 'a BOUND row has a user_id; PENDING and REJECTED rows have none')).default([]),
  assets: z.array(z.object({
    asset_type: z.enum(ASSET_TYPES), asset_id: id, asset_name: z.string(), owner_bc_id: id,
    advertiser_status: z.string().optional(), advertiser_account_type: z.enum(['AUCTION', 'RESERVATION']).optional(),
    relation_status: z.enum(['BOUND', 'UNBOUND', 'PENDING', 'REJECTED']).optional(), owned_by_individual: z.boolean().optional(),
  })).default([]),
  shares: z.array(z.object({
    asset_type: z.enum(ASSET_TYPES), asset_id: id, owner_bc_id: id, partner_bc_id: id,
    advertiser_role: z.enum(['ADMIN', 'OPERATOR', 'ANALYST']).optional(), catalog_role: z.enum(['ADMIN', 'AD_PROMOTE']).optional(),
  })).default([]),
  partnerships: z.array(z.object({ bc_id: id, partner_id: id })).default([]),
  assignments: z.array(z.object({ bc_id: id, asset_type: z.enum(ASSET_TYPES), asset_id: id, user_id: id, role: z.union([z.string(), z.array(z.string())]) })).default([]),
  tokens: z.array(z.object({ value: z.string().min(1), user_id: id, app_id: id, revoked: z.boolean().optional(), scopes: z.array(z.string()).optional() })),
});

export type TikTokFixture = z.input<typeof fixtureSchema>;

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

function resolveTime(value: string | number | undefined, now: number, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value * 1000;
  const rel = /^([+-])(\d+(?:\.\d+)?)([mhd])$/.exec(value.trim());
  if (rel) return now + (rel[1] === '-' ? -1 : 1) * Number(rel[2]) * UNIT_MS[rel[3]];
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`tiktok emulator fixture: ${where}: unreadable time "${value}" (use ISO-8601, unix seconds or +28d)`);
  return ms;
}

/** Validates a fixture and resolves its times against `now`. */
export function parseFixture(input: unknown, source: string, now: number): EmulatorState {
  const result = fixtureSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new Error(`tiktok emulator fixture ${source}: ${where || '(root)'}: ${issue.message}`);
  }
  const f = result.data;
  // References must resolve, or the emulator would answer about things that do not exist.
  const bcs = new Set(f.businessCenters.map((b) => b.bc_id));
  const assets = new Set(f.assets.map((a) => a.asset_id));
  const bound = new Set(f.members.filter((m) => m.user_id).map((m) => `${m.bc_id}/${m.user_id}`));
  const fail = (where: string, what: string): never => {
    throw new Error(`tiktok emulator fixture ${source}: ${where}: ${what}`);
  };
  f.members.forEach((m, i) => bcs.has(m.bc_id) || fail(`members[${i}]`, `Business Center ${m.bc_id} is not in businessCenters`));
  f.assets.forEach((a, i) => bcs.has(a.owner_bc_id) || fail(`assets[${i}]`, `owner Business Center ${a.owner_bc_id} is not in businessCenters`));
  f.assignments.forEach((a, i) => {
    if (!assets.has(a.asset_id)) fail(`assignments[${i}]`, `asset ${a.asset_id} is not in assets`);
    if (!bound.has(`${a.bc_id}/${a.user_id}`)) fail(`assignments[${i}]`, `user ${a.user_id} is not a BOUND member of ${a.bc_id}`);
  });
  f.shares.forEach((x, i) => assets.has(x.asset_id) || fail(`shares[${i}]`, `asset ${x.asset_id} is not in assets`));
  f.tokens.forEach((t, i) => f.members.some((m) => m.user_id === t.user_id) || fail(`tokens[${i}]`, `user ${t.user_id} is a member of no Business Center`));
  // And what the rows say: only values and states TikTok's objects can have (fixture-rules.ts).
  checkFixtureRules(f, fail);
  return {
    ...f,
    // absent times stay absent (not `undefined`): the state equals its saved copy (world-file.ts)
    members: f.members.map(({ invited_at, expires_at, ...m }, i) => {
      const invitedAt = resolveTime(invited_at, now, `members[${i}].invited_at`);
      const expiresAt = resolveTime(expires_at, now, `members[${i}].expires_at`);
      return { ...m, ...(invitedAt !== undefined ? { invited_at: invitedAt } : {}), ...(expiresAt !== undefined ? { expires_at: expiresAt } : {}) };
    }),
  };
}

export function loadFixtureFile(path: string, now: number = Date.now()): EmulatorState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`tiktok emulator fixture ${path}: cannot read JSON: ${jsonFault(err)}`);
  }
  return parseFixture(parsed, path, now);
}

/** The sandbox fixture (fixtures/sandbox.json): Business Center 7000000000000000001. */
export function sandboxFixture(now: number = Date.now()): EmulatorState {
  return loadFixtureFile(fileURLToPath(new URL('./fixtures/sandbox.json', import.meta.url)), now);
}
