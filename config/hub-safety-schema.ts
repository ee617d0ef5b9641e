import { z } from 'zod';

/** A hub's `safety` block: the settle window, the removal brake and its window, deprovisioning and drift policy, explicit offboardings. */
export const hubSafety = z.object({
  settleSeconds: z.number().int().min(0).max(604_800).default(120),
  removalThresholdPercent: z.number().min(0).max(100).default(20),
  /** Removals let through in this many minutes count toward the threshold together (0: each run alone). */
  removalWindowMinutes: z.number().int().min(0).max(10_080).default(60),
  confirmDeprovisioning: z.boolean().default(true),
  /** What to do with drift found in the app: correct it, or only report it. */
  drift: z.enum(['correct', 'report']).default('report'),
  /**
   * An explicit leaver action (admin API/CLI offboard, Okta Workflows, an Entra Lifecycle
   * Workflows task): `immediate` removes at once; `threshold` halts one that would pass
   * removalThresholdPercent, with the removals in the window, for approval (agent/dispatch/offboard-brake.ts).
   */
  offboards: z.enum(['immediate', 'threshold']).default('immediate'),
}).strict().default({ settleSeconds: 120, removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning: true, drift: 'report', offboards: 'immediate' });
