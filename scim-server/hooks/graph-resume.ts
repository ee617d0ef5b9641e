import type { Client } from '@microsoft/microsoft-graph-client';
import { createGraphClient, TOKEN_REFUSED } from '../../agent/writeback/graph-client.ts';
import type { LoadedConfig } from '../../config/load.ts';

/**
 * Tells Lifecycle Workflows a custom task extension finished ("launch and wait"): Graph v1.0
 * `POST /identityGovernance/lifecycleWorkflows/workflows/{id}/tasks/{id}/taskProcessingResults/{id}/resume`
 * (https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume, 204 No
 * Content). Without it the workflow marks the task failed when its callback timeout passes.
 */
export interface ResumeTarget {
  workflowId: string;
  taskId: string;
  taskProcessingResultId: string;
}

export type ResumeCall = (idp: string, target: ResumeTarget, status: 'completed' | 'failed') => Promise<void>;

/**
 * A final refusal of a resume sent again (after a restart, or after a try that failed on the way and
 * may have reached Graph) that can mean "this result was already resumed". Microsoft's resume API
 * page (https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume)
 * documents only the 204, not how Graph answers a repeat: read strictly, any 4xx may be that
 * answer, except those that say who may call (401, 403), that the run is unknown (404) or "not
 * now" (429, sent again), and the token endpoint refusing the app (TOKEN_REFUSED).
 */
export function refusedAsRepeat(err: unknown): boolean {
  const e = err as { statusCode?: unknown; code?: unknown; name?: unknown } | undefined;
  if (e?.code === TOKEN_REFUSED || e?.name === TOKEN_REFUSED) return false;
  const status = e?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 && ![401, 403, 404, 429].includes(status);
}

export function resumePath(t: ResumeTarget): string {
  const e = encodeURIComponent;
  return `/identityGovernance/lifecycleWorkflows/workflows/${e(t.workflowId)}/tasks/${e(t.taskId)}/taskProcessingResults/${e(t.taskProcessingResultId)}/resume`;
}

/**
 * Resume through the real Graph SDK with an app token (client credentials against the provider's
 * authorityUrl). The client chain is the write-back one (agent/writeback/graph-client.ts), which
 * authenticates on any host, so the same code reaches Graph and the test emulator.
 */
export function graphResume(config: LoadedConfig, retry?: { delaySeconds?: number; maxRetries?: number }): ResumeCall {
  const clients = new Map<string, Client>();
  const clientFor = (idp: string): Client => {
    let client = clients.get(idp);
    if (client) return client;
    const p = config.file.identityProviders[idp];
    if (!p || p.kind !== 'entra') throw new Error(`entra lifecycle: no Entra identity provider "${idp}"`);
    client = createGraphClient({
      tenantId: p.tenantId,
      clientId: p.clientId,
      clientSecret: () => config.secret(p.clientSecret).reveal(),
      graphBaseUrl: p.graphBaseUrl,
      authorityUrl: p.authorityUrl,
      retry,
    }).client;
    clients.set(idp, client);
    return client;
  };
  return async (idp, target, operationStatus) => {
    const send = (status: string) => clientFor(idp)
      .api(resumePath(target))
      .post({ data: { operationStatus: status }, source: 'hubwarden', type: 'lifecycleEvent' })
      .catch((err: { statusCode?: unknown }) => {
        // The resume answers 204. A 2xx declaring JSON with no body makes the SDK throw a parse error
        // carrying that 2xx status: the workflow was resumed, and recording "resume failed" for it
        // would tell the admin otherwise.
        if (typeof err?.statusCode === 'number' && err.statusCode >= 200 && err.statusCode < 300) return undefined;
        throw err;
      });
    try {
      await send(operationStatus);
    } catch (err) {
      // Graph lists the values in lower case (customTaskExtensionOperationStatus: completed, failed)
      // and its resume example sends "Completed" (https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume).
      // A 400 changed nothing: the value is sent once more as the example spells it.
      if ((err as { statusCode?: unknown })?.statusCode !== 400) throw err;
      await send(operationStatus === 'completed' ? 'Completed' : 'Failed').catch(() => { throw err; });
    }
  };
}
