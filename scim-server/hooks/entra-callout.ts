import { z } from 'zod';
import { HOOK_NAME_MAX, hookId, plainHookText } from './hook-text.ts';

/**
 * The custom task extension callout Entra Lifecycle Workflows posts to the relay Logic App, which
 * forwards it unchanged (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility, item 2; Graph `customTaskExtensionCalloutData`).
 */
// The workflow, task and taskProcessingResult ids fill the segments of the resume path
// (graph-resume.ts resumePath). Microsoft's docs give their values only as placeholders, so they
// are taken as opaque strings, but never "." or "..": percent-encoding leaves those as they are,
// and a URL parser resolves them as dot segments (RFC 3986 §5.2.4), which would send our
// app-token POST to another Graph path than this run's resume. They are also the audit trigger's
// actor and detail and the record's key: bounded and plain text (hook-text.ts), refused otherwise,
// never cleaned into another id (that would resume another run).
const id = hookId.refine((s) => s !== '.' && s !== '..', 'expected an id, not a path segment "." or ".."');
// The subject's email and userPrincipalName name the person to act on and the audit entries' subject.
const personName = z.string().max(HOOK_NAME_MAX, `expected at most ${HOOK_NAME_MAX} characters`).superRefine(plainHookText);

export const lifecycleCallout = z.object({
  data: z.object({
    callbackUriPath: z.string().optional(),
    subject: z.object({
      id,
      displayName: z.string().nullish(),
      email: personName.nullish(),
      userPrincipalName: personName.nullish(),
    }).refine((s) => Boolean(s.email || s.userPrincipalName), 'expected the subject\'s email or userPrincipalName'),
    task: z.object({ id, displayName: z.string().nullish() }),
    taskProcessingResult: z.object({ id, createdDateTime: z.string().nullish() }),
    // workflowVersion (an Int32 in Graph's model) is not read, so not checked: a relay Logic App that
    // rebuilds the body with string interpolation (`@{…}`) sends it as text
    // (https://learn.microsoft.com/azure/logic-apps/logic-apps-workflow-definition-language#expressions),
    // and a 400 for it failed the leaver's task.
    workflow: z.object({ id, displayName: z.string().nullish() }),
  }),
  source: z.string().nullish(),
  type: z.string().nullish(),
});

export type LifecycleCallout = z.infer<typeof lifecycleCallout>;

/**
 * The person a callout is about. Entra's SCIM client sends userPrincipalName as userName and the
 * object id as externalId (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups), which is how the agent finds them.
 */
export function calloutPerson(callout: LifecycleCallout): { email?: string; userName?: string; externalId: string } {
  const { subject } = callout.data;
  return {
    ...(subject.email ? { email: subject.email } : {}),
    ...(subject.userPrincipalName ? { userName: subject.userPrincipalName } : {}),
    externalId: subject.id,
  };
}
