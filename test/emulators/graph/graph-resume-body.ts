import { GRAPH_ERRORS } from './graph-error.ts';

/**
 * The body of a Lifecycle Workflows resume (Graph v1.0
 * `POST /identityGovernance/lifecycleWorkflows/workflows/{id}/tasks/{id}/taskProcessingResults/{id}/resume`,
 * https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume). Microsoft's
 * page shows one request body, `{ "data": { "operationStatus": "Completed" }, "source": "sample",
 * "type": "lifecycleEvent" }`, and marks no field optional, so the emulator reads it strictly
 * (docs/writeback.md [INF] "Resume body"): `type` must be "lifecycleEvent", `source` a non-empty
 * string, `data` an object whose `operationStatus` is one of the values of
 * customTaskExtensionResponseData (https://learn.microsoft.com/graph/api/resources/identitygovernance-customtaskextensionresponsedata):
 * completed or failed, in any case (default) or only as the sample spells them (`'sample'`).
 * Other members of `data` (`statusReasons`, `targetSubject`) are that model's and are not checked.
 * A refusal is 400 `Request_BadRequest` in Graph's error envelope; the messages are ours.
 * Returns the status in lower case.
 */
export function resumeStatus(body: unknown, statusCase: 'any' | 'sample' = 'any'): 'completed' | 'failed' {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(body)) throw GRAPH_ERRORS.badRequest('The resume request body must be a JSON object.');
  if (body.type !== 'lifecycleEvent') throw GRAPH_ERRORS.badRequest("Invalid value specified for property 'type'; expected lifecycleEvent.");
  if (typeof body.source !== 'string' || body.source.trim() === '') throw GRAPH_ERRORS.badRequest("The property 'source' is required.");
  if (!isObject(body.data)) throw GRAPH_ERRORS.badRequest("The property 'data' is required.");
  const sent = body.data.operationStatus;
  if (typeof sent !== 'string') throw GRAPH_ERRORS.badRequest("The property 'operationStatus' is required.");
  const status = statusCase === 'sample' ? ({ Completed: 'completed', Failed: 'failed' } as Record<string, string>)[sent] ?? '' : sent.toLowerCase();
  if (status !== 'completed' && status !== 'failed') throw GRAPH_ERRORS.badRequest("Invalid value specified for property 'operationStatus'; expected completed or failed.");
  return status;
}
