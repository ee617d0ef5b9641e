import type { HubConfigFile } from '../../config/schema.ts';
import type { PlannedOperation } from '../api.ts';
import { roleRulesOfHub } from '../grants/role-rules.ts';
import type { ReadView } from '../store/store.ts';
import { driftHoldsOf, holdDrift, type DriftHoldRecord } from '../safety/drift-holds.ts';
import { memberRowOf, type PlanResult } from './operation.ts';
import { plan } from './plan.ts';
import { actualOf, desiredOf, grantNeedsOf } from './plan-input.ts';
import { personInput, type Person } from './person-input.ts';
import { planPairsOf, removalsInFlight } from './removal-in-flight.ts';

export interface PlanHubOptions {
  now?: Date;
}

/**
 * Dry run (`hubwarden plan --hub ID`, AgentApi.plan), and the reconcile pass: what the agent would
 * do on the hub now, from the desired state and the last app snapshot. Reads its inputs (async),
 * then runs the pure, synchronous `plan`; changes nothing. The snapshot is read first, so only the
 * grants the plan can use are kept (plan-input.ts `hubGrants`), not one per directory user.
 */
export async function planHub(view: ReadView, hub: HubConfigFile, options: PlanHubOptions = {}): Promise<PlanResult> {
  return (await planHubHolding(view, hub, options)).result;
}

/**
 * The hub's plan with changes made by hand held (`safety.drift: report`, safety/drift-holds.ts),
 * and which holds it read and which of them an operation would undo (the reconcile pass ends the rest).
 */
export async function planHubHolding(view: ReadView, hub: HubConfigFile, options: PlanHubOptions = {}): Promise<{ result: PlanResult; holds: Array<Readonly<DriftHoldRecord>>; used: Set<string> }> {
  const rules = roleRulesOfHub(hub);
  const [actual, holds] = await Promise.all([actualOf(view, hub.id), driftHoldsOf(view, hub)]);
  const desired = await desiredOf(view, hub, rules, grantNeedsOf(actual));
  actual.removalsInFlight = await removalsInFlight(view, hub.id, planPairsOf(desired, actual));
  const { result, used } = holdDrift(plan(desired, actual, { now: (options.now ?? new Date()).toISOString(), rules, drift: hub.safety.drift }), holds);
  return { result, holds, used };
}

/**
 * A person's part of the plan (per-person reconcile, and re-checking an operation before it runs):
 * reads only that person's slice (`personInput`), then runs the pure `plan`.
 */
export async function planPerson(view: ReadView, hub: HubConfigFile, person: Person, options: PlanHubOptions = {}): Promise<PlanResult> {
  const rules = roleRulesOfHub(hub);
  // The hub's drift holds are read with the slice's first reads (few: rows changed by hand).
  const [input, holds] = await Promise.all([personInput(view, hub, person, rules), driftHoldsOf(view, hub)]);
  return holdDrift(plan(input.desired, input.actual, { now: (options.now ?? new Date()).toISOString(), rules, scope: input.person, drift: hub.safety.drift }), holds).result;
}

/** The plan as the API shows it. */
export function toPlannedOperations(result: PlanResult): PlannedOperation[] {
  return [
    ...result.operations.map((op) => ({ kind: op.kind, summary: op.summary, memberId: memberRowOf(op), email: op.email })),
    ...result.held.map((h) => ({ kind: `held:${h.operation.kind}`, summary: `${h.operation.summary} (held: ${h.why})`, memberId: memberRowOf(h.operation), email: h.operation.email })),
  ];
}

/** The plan as `hubwarden plan` prints it: one line per operation, then what is held and why. */
export function formatPlan(hubId: string, result: PlanResult): string {
  const lines = [`plan for hub ${hubId}: ${result.operations.length} operation(s)${result.held.length ? `, ${result.held.length} held` : ''} (dry run, nothing changed)`];
  for (const op of result.operations) lines.push(`  ${op.effect.padEnd(9)} ${op.summary}`);
  for (const h of result.held) lines.push(`  held      ${h.operation.summary}: ${h.why}`);
  return lines.join('\n');
}
