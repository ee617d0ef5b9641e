import { z } from 'zod';
import { MAX_EXPORT_ROWS } from './csv.ts';
import { applyBody, approveBody, auditQuery, exemptBody, hubParams, hubTaskParams, idParams, matchBody, memberParams, membersQuery, offboardBody, offerParams, personParams, reasonBody, reportsQuery, retryBody, tasksQuery } from './request-schemas.ts';
import { components } from './response-schemas.ts';

/**
 * The admin API's OpenAPI 3.1 document, served at /api/v1/openapi.json. Okta Workflows' API
 * connector builder and scripts read it. Nothing in it is written by hand twice: parameters and
 * request bodies are the zod schemas the routes validate with (request-schemas.ts), response
 * schemas the zod schemas of the AgentApi views (response-schemas.ts), both through zod 4's
 * z.toJSONSchema (JSON Schema 2020-12, the dialect OpenAPI 3.1 uses). test/admin/openapi-sync.test.ts
 * compares the served document with the routes and their answers.
 */
export type JsonSchema = { [key: string]: unknown };

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  tags: string[];
  parameters?: Array<{ name: string; in: 'path' | 'query'; required?: boolean; description?: string; schema: JsonSchema }>;
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: JsonSchema }> }>;
  security?: Array<Record<string, string[]>>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  security: Array<Record<string, string[]>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, JsonSchema>; responses: Record<string, unknown> };
  paths: Record<string, Partial<Record<'get' | 'post', OpenApiOperation>>>;
}

const REF = '#/components/schemas/';
const ref = (name: string): JsonSchema => ({ $ref: `${REF}${name}` });
/** A zod schema as an OpenAPI schema object: what a client sends (`input`: defaults optional, coercions as the wire type). */
function jsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** Response components, generated once from the registry (shared parts become $refs). */
function responseSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(components, { target: 'draft-2020-12', uri: (id) => `${REF}${id}`, unrepresentable: 'any' }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(Object.entries(schemas).map(([name, { $schema: _d, $id: _i, ...rest }]) => [name, rest]));
}

type Shape = z.ZodObject<Record<string, z.ZodType>>;
const descriptions: Record<string, string> = {
  hubId: 'hub id from the config (hubs[].id)',
  memberId: 'member id (app member id, invite:<id> or partner:<business>:<user>)',
  email: 'the person\'s email address (URL-encoded)',
  search: 'matches email or name',
};
/** The path and query parameters of a route, from the zod objects it validates `req.params` and `req.query` with. */
function parameters(path?: Shape, query?: Shape, what?: string): NonNullable<OpenApiOperation['parameters']> {
  const out: NonNullable<OpenApiOperation['parameters']> = [];
  for (const [name, schema] of Object.entries(path?.shape ?? {})) {
    out.push({ name, in: 'path', required: true, description: descriptions[name] ?? `${what ?? name} id`, schema: jsonSchema(schema) });
  }
  for (const [name, schema] of Object.entries(query?.shape ?? {})) {
    out.push({ name, in: 'query', ...(descriptions[name] ? { description: descriptions[name] } : {}), schema: jsonSchema(schema) });
  }
  return out;
}

const json = (schema: string) => ({ 'application/json': { schema: ref(schema) } });
const problemRef = (name: string) => ({ $ref: `#/components/responses/${name}` }) as unknown as { description: string };
/**
 * The problems every route may answer. 503: the store refuses writes for a while (a full disk, the
 * database gone) or other writes kept winning; nothing was changed unless the detail says to read
 * first, and `Retry-After` says when to send the same request again (RFC 9110 §10.2.3).
 */
const errors = { '400': problemRef('BadRequest'), '401': problemRef('Unauthorized'), '404': problemRef('NotFound'), '429': problemRef('TooManyAttempts'), '503': problemRef('Unavailable') };
/** And those of a request with a body (router.ts): over 1 MB, or not JSON. */
const bodyErrors = { '413': problemRef('ContentTooLarge'), '415': problemRef('UnsupportedMediaType') };
const retryAfter = { 'Retry-After': { description: 'seconds to wait before sending the request again', schema: { type: 'integer' } } };
/** Every POST reads a body (router.ts): its answers include the body's problems. */
function withBodyErrors(paths: OpenApiDocument['paths']): OpenApiDocument['paths'] {
  return Object.fromEntries(Object.entries(paths).map(([path, ops]) => [path, ops.post ? { ...ops, post: { ...ops.post, responses: { ...ops.post.responses, ...bodyErrors } } } : ops]));
}
const ok = (schema: string, description: string) => ({ '200': { description, content: json(schema) }, ...errors });
/**
 * A read that names nothing to look up (no hub, id or hub filter): it never answers 404, so it is
 * not listed (a card built from the document gets no branch for a case that never comes).
 */
const okWithoutLookup = (schema: string, description: string) => {
  const { '404': _none, ...rest } = ok(schema, description);
  return rest;
};
/** The two list routes that also answer `Accept: text/csv` (csv.ts). */
const okOrCsv = (schema: string, description: string) => ({
  '200': {
    description: `${description}; with Accept: text/csv every matching row as RFC 4180 CSV (limit up to ${MAX_EXPORT_ROWS}; a cell a spreadsheet would run as a formula, starting with = + - @, tab, CR or NUL, or holding one after a ; tab or line break, gets a ' there)`,
    content: { ...json(schema), 'text/csv': { schema: { type: 'string' } } },
  },
  ...errors,
});
const accepted = (description: string) => ({
  '202': { description, headers: { Location: { description: 'the task to poll', schema: { type: 'string' } } }, content: json('TaskAccepted') },
  ...errors,
});
const body = (schema: z.ZodType, required = true) => ({ required, content: { 'application/json': { schema: jsonSchema(schema) } } });
/** The body of an access change that takes only an optional `reason` (audited); it may be left out. */
const reasonOnly = { requestBody: body(reasonBody, false) };

/** `answer`: MemberOutcome where a repeat of the request answers `alreadyDone` (already-done.ts). */
const memberAction = (operationId: string, summary: string, request?: z.ZodType, conflict = false, answer = 'Member') => ({
  post: {
    operationId,
    summary,
    tags: ['members'],
    parameters: parameters(memberParams),
    ...(request ? { requestBody: body(request) } : reasonOnly),
    responses: { ...ok(answer, answer === 'Member' ? 'the member after the change' : 'the member after the change; a repeat (a retry) answers the member as it is with alreadyDone: true'), ...(conflict ? { '409': problemRef('Conflict') } : {}) },
  },
});

export function openApiDocument(publicUrl: string): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'hubwarden admin API',
      version: '1',
      description: 'Hubs, members, check for updates, tasks, deprovisioning reports, approvals, audit and person-level actions. Errors are RFC 9457 problem details. Retries are safe: a repeat of a change already made answers 200 with alreadyDone: true, or 202 with the task already queued, recognised by what it asks; the Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header) is not implemented and is ignored.',
    },
    servers: [{ url: `${publicUrl.replace(/\/$/, '')}/api/v1` }],
    security: [{ adminToken: [] }],
    components: {
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'one of server.adminTokens; a token scoped to some hubs ({ token, hubs }) sees and acts on those only' } },
      schemas: responseSchemas(),
      responses: Object.fromEntries(
        ([['BadRequest', 'bad input; `detail` and `field` name the field'], ['Unauthorized', 'missing or unknown admin token'], ['NotFound', 'unknown hub, member, task, report, approval or person; for a token scoped to some hubs, also those of another hub (answered as unknown ones)'], ['Conflict', 'the request contradicts what was done (an approval decided the other way, superseded or withdrawn, a dismissed or withdrawn report) or a safety rule holds it; a repeat of a request already applied is a 200 with alreadyDone: true instead'], ['TooManyAttempts', 'too many wrong admin tokens from this address; wait `Retry-After` seconds'], ['ContentTooLarge', 'the request body is larger than 1 MB'], ['UnsupportedMediaType', 'the request body is not application/json, or its charset is not supported'], ['Unavailable', 'the store refuses writes for now, or other writes kept winning; send the same request again after `Retry-After` seconds (read first when the detail says it may have been applied)']] as const).map(
          ([name, description]) => [name, { description, ...(name === 'TooManyAttempts' || name === 'Unavailable' ? { headers: retryAfter } : {}), content: { 'application/problem+json': { schema: ref('Problem') } } }],
        ),
      ),
    },
    paths: withBodyErrors({
      '/openapi.json': { get: { operationId: 'openApi', summary: 'this document', tags: ['meta'], security: [], responses: { '200': { description: 'OpenAPI 3.1 document' } } } },
      '/hubs': { get: { operationId: 'listHubs', summary: 'every hub with its health and member counts', tags: ['hubs'], responses: okWithoutLookup('HubList', 'hubs (a token scoped to some hubs: those)') } },
      '/hubs/{hubId}': { get: { operationId: 'getHub', summary: 'one hub: health and settings (secrets masked)', tags: ['hubs'], parameters: parameters(hubParams), responses: ok('HubDetail', 'the hub') } },
      '/hubs/{hubId}/members': {
        get: {
          operationId: 'listMembers',
          summary: 'members of a hub',
          tags: ['members'],
          parameters: parameters(hubParams, membersQuery),
          responses: okOrCsv('MemberList', 'a page of members'),
        },
      },
      '/hubs/{hubId}/members/{memberId}': { get: { operationId: 'getMember', summary: 'one member and its status', tags: ['members'], parameters: parameters(memberParams), responses: ok('Member', 'the member') } },
      '/hubs/{hubId}/members/{memberId}/match': memberAction('matchMember', 'match a member to a directory user (the same match again: 200 with alreadyDone: true, nothing changes)', matchBody, false, 'MemberOutcome'),
      '/hubs/{hubId}/members/{memberId}/unmatch': memberAction('unmatchMember', 'forget a manual match (already un-matched: 200 with alreadyDone: true)', undefined, false, 'MemberOutcome'),
      '/hubs/{hubId}/members/{memberId}/unexempt': memberAction('unexemptMember', 'end an exemption now; a member not exempted (a retry after its exemption ended) answers 200 with alreadyDone: true and nothing changes', undefined, true, 'MemberOutcome'),
      '/hubs/{hubId}/members/{memberId}/exempt': memberAction('exemptMember', 'exempt a member from removal, with a reason and optional expiry (409 while a removal of the member is calling the app; the same reason and expiry again: 200 with alreadyDone: true, not audited again)', exemptBody, true, 'MemberOutcome'),
      '/hubs/{hubId}/members/{memberId}/remove': {
        post: { operationId: 'removeMember', summary: 'remove a member from the hub (409 when a safety rule holds it: an exemption, a system user, the last admin, an incomplete listing)', tags: ['members'], parameters: parameters(memberParams), ...reasonOnly, responses: { ...accepted('the removal task'), '200': { description: 'a repeat (a retry) after the removal ran within the last hour: nothing is done again; alreadyDone: true', content: json('RemovalDone') }, '409': problemRef('Conflict') } },
      },
      '/hubs/{hubId}/check-for-updates': {
        post: { operationId: 'checkForUpdates', summary: 'compare the hub with the directory and correct it', tags: ['hubs'], parameters: parameters(hubParams), ...reasonOnly, responses: accepted('the check-for-updates task') },
      },
      '/hubs/{hubId}/plan': { get: { operationId: 'planHub', summary: 'dry run: what check for updates would do now', tags: ['hubs'], parameters: parameters(hubParams), responses: ok('Plan', 'planned operations') } },
      '/tasks': {
        get: {
          operationId: 'listTasks',
          summary: 'tasks, newest created first; page by following `next` as `after` (stable), or by offset (not stable: tasks queued meanwhile shift the pages)',
          tags: ['tasks'],
          parameters: parameters(undefined, tasksQuery),
          responses: ok('TaskList', 'a page of tasks'),
        },
      },
      '/tasks/{id}': { get: { operationId: 'getTask', summary: 'one task (poll until status is completed or failed)', tags: ['tasks'], parameters: parameters(idParams, undefined, 'task'), responses: ok('Task', 'the task') } },
      '/hubs/{hubId}/tasks/{taskId}/retry': {
        post: { operationId: 'retryTask', summary: 'retry a failed app change once its cause is fixed outside the request (the app fixed, the connector upgraded): the failed task is kept, marked retried (who, when, the `reason`, required), and no longer holds later tasks of the change; the change is queued again and re-planned before it calls the app, so one no longer wanted does nothing. Audited. A repeat answers 200 with alreadyDone: true and queues nothing; a task that is not a failed app change (or was a forced one: an owner\'s removal, an offboarding) is a 409; a task of another hub a 404', tags: ['tasks'], parameters: parameters(hubTaskParams, undefined, 'task'), requestBody: body(retryBody), responses: { '202': { description: 'the task queued for the change', headers: { Location: { description: 'the task to poll', schema: { type: 'string' } } }, content: json('TaskRetry') }, '200': { description: 'a repeat: already retried, nothing was queued again; alreadyDone: true', content: json('TaskRetry') }, ...errors, '409': problemRef('Conflict') } },
      },
      '/reports': { get: { operationId: 'listReports', summary: 'deprovisioning reports', tags: ['reports'], parameters: parameters(undefined, reportsQuery), responses: ok('ReportList', 'reports') } },
      '/reports/{id}/apply': {
        post: { operationId: 'applyReport', summary: 'apply all or some items of a report (409 when it was dismissed, or withdrawn: every item taken out before an owner applied it, `withdrawnBecause`, nothing queued; items already applied are not queued again, and a request whose items are all applied answers 200 with alreadyDone: true)', tags: ['reports'], parameters: parameters(idParams, undefined, 'report'), requestBody: body(applyBody, false), responses: { ...ok('ReportOutcome', 'the report after applying, or as it is with alreadyDone: true'), '409': problemRef('Conflict') } },
      },
      '/approvals': { get: { operationId: 'listApprovals', summary: 'plans halted for approval', tags: ['approvals'], parameters: parameters(undefined, reportsQuery), responses: ok('ApprovalList', 'approvals') } },
      '/approvals/{id}/approve': { post: { operationId: 'approve', summary: 'let a halted plan run; the body must give a `reason` (400 without one: approving overrides the removal threshold) (already approved: 200 with alreadyDone: true, nothing runs again; rejected: 409; superseded: 409 naming the approval that replaced it, `supersededBy`, nothing runs; withdrawn: 409 naming why, `withdrawnBecause`, nothing runs)', tags: ['approvals'], parameters: parameters(idParams, undefined, 'approval'), requestBody: body(approveBody), responses: { ...ok('ApprovalOutcome', 'the approval'), '409': problemRef('Conflict') } } },
      '/approvals/{id}/reject': { post: { operationId: 'reject', summary: 'cancel a halted plan (already rejected: 200 with alreadyDone: true; approved: 409; superseded: 409 naming the approval that replaced it; withdrawn: 409)', tags: ['approvals'], parameters: parameters(idParams, undefined, 'approval'), ...reasonOnly, responses: { ...ok('ApprovalOutcome', 'the approval'), '409': problemRef('Conflict') } } },
      '/audit': {
        get: {
          operationId: 'listAudit',
          summary: 'the audit log, newest first; a page may hold more than `limit` entries when entries written by two replicas share its last seq, so that its `next` skips none',
          tags: ['audit'],
          parameters: parameters(undefined, auditQuery),
          responses: okOrCsv('AuditList', 'a page of audit entries'),
        },
      },
      '/people/{email}/offboard': { post: { operationId: 'offboardPerson', summary: 'remove a person\'s seats on every hub now, and hold them (no invite) until the IdP deactivates and reactivates them; 409 naming the directory user ids when the email names several on a hub, one or more active (a leaver and their rehire), or a user the IdP deleted and only users with that email created after it was: send `directoryUserId` to name one', tags: ['people'], parameters: parameters(personParams), requestBody: body(offboardBody, false), responses: { ...accepted('the parent offboarding task'), '200': { description: 'a repeat (a retry of the leaver action) after its offboarding completed, with nothing changed since (the person still held, no seat or invite of theirs left, the same seats kept by a rule): answered with that task, nothing queued; alreadyDone: true. Re-activated in the IdP or invited again since, a new offboarding is queued (202)', content: json('OffboardDone') }, '409': problemRef('Conflict') } } },
      '/people/{email}/offers': { get: { operationId: 'listOffers', summary: 'the seats offered to a person (claim teams and collections), on every hub', tags: ['people'], parameters: parameters(personParams), responses: okWithoutLookup('OfferList', 'the person\'s offers (none: an empty list, not a 404)') } },
      '/people/{email}/offers/{offerId}/claim': {
        post: {
          operationId: 'claimOffer',
          summary: 'claim an offer on the person\'s behalf: the grant becomes desired and the person is invited as for any grant (claiming twice sends one invite)',
          tags: ['people'],
          parameters: parameters(offerParams),
          ...reasonOnly,
          responses: { ...accepted('the re-evaluation of the person that invites them'), '409': problemRef('Conflict') },
        },
      },
      '/people/{email}/reevaluate': {
        post: {
          operationId: 'reevaluatePerson',
          summary: 're-evaluate a person on every hub now',
          tags: ['people'],
          parameters: parameters(personParams),
          ...reasonOnly,
          responses: { '202': { description: 'one task per hub', content: json('TasksAccepted') }, ...errors },
        },
      },
    }),
  };
}
