import assert from 'node:assert/strict';

/** A leaver as a callout's `subject` names them, and the task's display name. */
export interface Leaver { id: string; name: string; email: string; task: string }

const JANE: Leaver = { id: 'obj-jane', name: 'Jane', email: 'jane@example.com', task: 'remove seat' };

/**
 * The callout an Entra Lifecycle Workflows custom task extension sends for a leaver (Jane unless
 * told) for the task processing result `resultId` (customTaskExtensionCalloutData:
 * https://learn.microsoft.com/en-us/entra/id-governance/lifecycle-workflow-extensibility).
 */
export const leaverCallout = (resultId: string, leaver: Leaver = JANE) => ({
  data: {
    callbackUriPath: `/identityGovernance/lifecycleWorkflows/workflows/wf-1/tasks/task-offboard/taskProcessingResults/${resultId}/resume`,
    subject: { id: leaver.id, displayName: leaver.name, email: leaver.email, userPrincipalName: leaver.email },
    task: { id: 'task-offboard', displayName: leaver.task },
    taskProcessingResult: { id: resultId, createdDateTime: '2026-11-23T10:00:00Z' },
    workflow: { id: 'wf-1', displayName: 'Leaver', workflowVersion: 1 },
  },
  source: 'sample', type: 'lifecycleEvent',
});

/** Jane's callout posted to the hook at `url` with `token`; answered 202. */
export async function postLeaverCallout(url: string, token: string, resultId: string): Promise<void> {
  const res = await fetch(`${url}/hooks/entra/lifecycle`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(leaverCallout(resultId)),
  });
  assert.equal(res.status, 202);
}
