/**
 * Validation of fixture files, so a bad file fails at load with the exact place
 * (`invites[1].status: Invalid option …`) instead of misbehaving later.
 */
import { z } from 'zod';
import type { MetaFixture } from './fixture.ts';

const time = z.union([z.string(), z.number()]);
const id = z.string().min(1);

export const metaFixtureSchema = z.object({
  businesses: z.array(z.object({ id, name: z.string(), two_factor_type: z.enum(['none', 'admin_required', 'all_required']).optional(), vertical: z.string().optional(), created_time: time.optional() })),
  tokens: z.array(z.object({ value: z.string().min(1), kind: z.enum(['system_user', 'user']), businessId: id, userId: id, scopes: z.array(z.string()), expiresAt: time.nullable(), appId: z.string() })),
  businessUsers: z.array(z.object({
    id, businessId: id, name: z.string(), email: z.string(), role: z.string(), tasks: z.array(z.string()).optional(),
    first_name: z.string().optional(), last_name: z.string().optional(), title: z.string().optional(), finance_permission: z.string().optional(),
    requestId: z.string().optional(), created_time: time.optional(),
  })).default([]),
  invites: z.array(z.object({
    id, businessId: id, email: z.string(), role: z.string(), tasks: z.array(z.string()).optional(),
    status: z.enum(['PENDING', 'EXPIRED', 'DECLINE', 'CANCELED']), created_time: time, expiration_time: time, createdBy: z.string().optional(),
  })).default([]),
  systemUsers: z.array(z.object({ id, businessId: id, name: z.string(), role: z.string(), created_time: time.optional() })).default([]),
  assets: z.array(z.object({ type: z.enum(['ad_account', 'page', 'catalog', 'pixel']), id, name: z.string(), ownerBusinessId: id, created_time: time.optional() })).default([]),
  assignments: z.array(z.object({ assetId: id, userId: id, tasks: z.array(z.string()) })).default([]),
  shares: z.array(z.object({ assetId: id, partnerBusinessId: id, permittedTasks: z.array(z.string()), accessStatus: z.string(), access_requested_time: time.optional() })).default([]),
});

export function parseMetaFixture(input: unknown, source: string): MetaFixture {
  const result = metaFixtureSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new Error(`meta emulator fixture ${source}: ${where || '(root)'}: ${issue.message}`);
  }
  const fixture: MetaFixture = result.data;
  return fixture;
}
