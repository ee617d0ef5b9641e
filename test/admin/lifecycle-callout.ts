import assert from 'node:assert/strict';

/**
 * The callout an Entra Lifecycle Workflows custom task extension sends for a leaver, Jane
 * (customTaskExtensionCalloutData:
 * https://learn.microsoft.com/en-us/entra/id-governance/lifecycle-workflow-extensibility), for
 * the task processing result `resultId`, posted to the hook at `url` with `token`; answered 202.
 */
export async function postLeaverCallout(url: string, token: string, resultId: string): Promise<void> {
  const res = await fetch(`${url}/hooks/entra/lifecycle`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      data: {
        callbackUriPath: `/identityGovernance/lifecycleWorkflows/workflows/wf-1/tasks/task-offboard/taskProcessingResults/${resultId}/resume`,
        subject: { id: 'obj-jane', displayName: 'Jane', email: 'jane@example.com', userPrincipalName: 'jane@example.com' },
        task: { id: 'task-offboard', displayName: 'remove seat' },
        taskProcessingResult: { id: resultId, createdDateTime: '2026-11-23T10:00:00Z' },
        workflow: { id: 'wf-1', displayName: 'Leaver', workflowVersion: 1 },
      },
      source: 'sample', type: 'lifecycleEvent',
    }),
  });
  assert.equal(res.status, 202);
}
