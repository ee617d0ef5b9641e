import { AsyncLocalStorage } from 'node:async_hooks';
import type { AgentApi, PersonChangeOptions, ReportApplyOptions } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';

/**
 * The dashboard reaches the agent through the admin API's own routes (same validation, same
 * errors), but the audit log must name the person signed in, not the internal token the adapter
 * uses. The adapter runs each request inside `actingAs.run(trigger)`; this wrapper replaces the
 * trigger of every method that changes something with that one.
 */
export const actingAs = new AsyncLocalStorage<Trigger>();

/**
 * AgentApi methods whose last argument is the Trigger (agent/api.ts): every one of them. One left
 * out is audited as the adapter's internal token (`admin-token:<hash of a random per-process
 * token>`), which names nobody: an administrator's claim of someone's offer
 * (`/ui/api/v1/people/{email}/offers/{offerId}/claim`) was, until claimOffer was listed. An audit
 * record says who acted (NIST SP 800-53 AU-3, https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final).
 */
const TRIGGERED = [
  'matchMember', 'unmatchMember', 'exemptMember', 'unexemptMember', 'removeMember', 'registerGuest', 'checkForUpdates',
  'applyReport', 'decideApproval', 'reevaluatePerson', 'suspendPerson', 'offboard', 'claimOffer', 'claimOwnOffer', 'retryTask',
] as const satisfies ReadonlyArray<keyof AgentApi>;

/**
 * Every AgentApi method that takes a Trigger last, so the typecheck fails when one is added to
 * the API but not to TRIGGERED: a missing one (claimOffer was) is audited as the adapter's
 * internal token, a per-process secret that names nobody, instead of the person signed in.
 */
type TriggeredMethod = { [K in keyof AgentApi]: AgentApi[K] extends (...args: infer A) => unknown ? (A extends [...unknown[], Trigger] ? K : Required<A> extends [...unknown[], Trigger, PersonChangeOptions | ReportApplyOptions] ? K : never) : never }[keyof AgentApi];

/**
 * Where the Trigger is in the methods that take options after it (PersonChangeOptions,
 * ReportApplyOptions): the options are kept, the trigger replaced. Every other method takes its
 * Trigger last. One missing here had its options replaced by the trigger when they were passed.
 */
const TRIGGER_AT: Partial<Record<(typeof TRIGGERED)[number], number>> = { reevaluatePerson: 1, suspendPerson: 2, offboard: 1, decideApproval: 2, applyReport: 2, removeMember: 2, matchMember: 3, unmatchMember: 2, exemptMember: 3, unexemptMember: 2 };
type Unlisted = Exclude<TriggeredMethod, (typeof TRIGGERED)[number]>;
const everyTriggeredMethodListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyTriggeredMethodListed;

export function agentActingAsSession(agent: AgentApi): AgentApi {
  const wrapped: Record<string, unknown> = {};
  for (const name of TRIGGERED) {
    const method = agent[name] as (...args: unknown[]) => unknown;
    wrapped[name] = (...args: unknown[]) => {
      const trigger = actingAs.getStore();
      // Outside a dashboard request nobody signed in: refuse rather than audit a wrong actor.
      if (!trigger) throw new Error('dashboard: an agent change outside a signed-in request');
      const at = TRIGGER_AT[name] ?? args.length - 1;
      // The person is the session's; the reason they gave (the body's `reason`) stays theirs to audit.
      const reason = (args[at] as Trigger | undefined)?.reason;
      return method.apply(agent, [...args.slice(0, at), reason ? { ...trigger, reason } : trigger, ...args.slice(at + 1)]);
    };
  }
  return new Proxy(agent, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in wrapped) return wrapped[prop];
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
