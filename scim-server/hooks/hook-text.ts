import { z } from 'zod';
import { freeTextProblem, labelText } from '../../agent/safe-text.ts';

/**
 * The text a hook sender chooses that hubwarden keeps: in the hook's records, in the audit
 * trigger and entries (who, about whom, why), which people read in the dashboard and the CLI and
 * export as CSV. Only a holder of the hook's secret (or an allowed app's token) sends it, but a
 * broken or compromised sender must not write unbounded text or control characters into the log.
 *
 * Neither Okta (https://developer.okta.com/docs/reference/api/system-log/#logevent-object) nor
 * Microsoft (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility)
 * gives these values a length; the real ones are UUIDs, Okta ids (`00u…`), logins, emails and
 * group names, far below the caps here. The caps are those of the admin API's inputs
 * (scim-server/admin/request-schemas.ts): 200 for an id, 320 for an email or a name.
 */
export const HOOK_ID_MAX = 200;
export const HOOK_NAME_MAX = 320;

/** A schema refinement: no control character, bidi control or lone surrogate (agent/safe-text.ts). */
export const plainHookText = (value: string, ctx: z.RefinementCtx) => {
  const problem = freeTextProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `the text ${problem}` });
};

/** An id the sender gives, that hubwarden keys a record by or sends back: refused (400) when unfit. */
export const hookId = z.string().min(1).max(HOOK_ID_MAX, `expected at most ${HOOK_ID_MAX} characters`).superRefine(plainHookText);

/**
 * A value that names a person or group (a login, an Okta user or group id, a group name), or
 * undefined when it cannot be a real one: longer than `max`, or holding a control character, bidi
 * control or lone surrogate. Never cleaned into another value, which could name somebody else;
 * left out, as Okta's own placeholder `unknown` is.
 */
export function fitName(value: string | null | undefined, max: number): string | undefined {
  return value && value.length <= max && !freeTextProblem(value) ? value : undefined;
}

/** A label the sender chose (an actor, an event type), kept readable: escaped and cut (agent/safe-text.ts labelText). */
export const hookLabel = (value: string, max = HOOK_NAME_MAX) => labelText(value, max);
