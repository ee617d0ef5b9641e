import { MEMBER_SORTS, MEMBER_STATUSES, TASK_STATUSES } from './request-schemas.ts';
import { schemas, type JsonSchema } from './openapi-schemas.ts';

/**
 * The admin API's OpenAPI 3.1 document, served at /api/v1/openapi.json. Okta Workflows' API
 * connector builder and scripts read it; a test checks every route the router registers is here.
 */
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

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: string) => ({ 'application/json': { schema: ref(schema) } });
const problemRef = (name: string) => ({ $ref: `#/components/responses/${name}` }) as unknown as { description: string };
const path = (name: string, description: string) => ({ name, in: 'path' as const, required: true, description, schema: { type: 'string' } });
const query = (name: string, schema: JsonSchema, description?: string) => ({ name, in: 'query' as const, schema, ...(description ? { description } : {}) });
const paging = [query('offset', { type: 'integer', minimum: 0 }), query('limit', { type: 'integer', minimum: 1, maximum: 500 })];

const hubId = path('hubId', 'hub id from the config (hubs[].id)');
const memberId = path('memberId', 'member id (app member id, or invite:<id>)');
const id = (what: string) => path('id', `${what} id`);
const email = path('email', 'the person\'s email address (URL-encoded)');

const errors = { '400': problemRef('BadRequest'), '401': problemRef('Unauthorized'), '404': problemRef('NotFound'), '429': problemRef('TooManyAttempts') };
const ok = (schema: string, description: string) => ({ '200': { description, content: json(schema) }, ...errors });
const accepted = (description: string) => ({
  '202': { description, headers: { Location: { description: 'the task to poll', schema: { type: 'string' } } }, content: json('TaskAccepted') },
  ...errors,
});
const body = (schema: string, required = true) => ({ required, content: json(schema) });

const memberAction = (operationId: string, summary: string, request?: string) => ({
  post: {
    operationId,
    summary,
    tags: ['members'],
    parameters: [hubId, memberId],
    ...(request ? { requestBody: body(request) } : {}),
    responses: ok('Member', 'the member after the change'),
  },
});

export function openApiDocument(publicUrl: string): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'hubwarden admin API',
      version: '1',
      description: 'Hubs, members, check for updates, tasks, deprovisioning reports, approvals, audit and person-level actions. Errors are RFC 9457 problem details.',
    },
    servers: [{ url: `${publicUrl.replace(/\/$/, '')}/api/v1` }],
    security: [{ adminToken: [] }],
    components: {
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'one of server.adminTokens' } },
      schemas,
      responses: Object.fromEntries(
        ([['BadRequest', 'bad input; `detail` and `field` name the field'], ['Unauthorized', 'missing or unknown admin token'], ['NotFound', 'unknown hub, member, task, report, approval or person'], ['Conflict', 'the report or approval was already decided'], ['TooManyAttempts', 'too many wrong admin tokens from this address; wait `Retry-After` seconds']] as const).map(
          ([name, description]) => [name, { description, content: { 'application/problem+json': { schema: ref('Problem') } } }],
        ),
      ),
    },
    paths: {
      '/openapi.json': { get: { operationId: 'openApi', summary: 'this document', tags: ['meta'], security: [], responses: { '200': { description: 'OpenAPI 3.1 document' } } } },
      '/hubs': { get: { operationId: 'listHubs', summary: 'every hub with its health and member counts', tags: ['hubs'], responses: ok('HubList', 'hubs') } },
      '/hubs/{hubId}': { get: { operationId: 'getHub', summary: 'one hub: health and settings (secrets masked)', tags: ['hubs'], parameters: [hubId], responses: ok('HubDetail', 'the hub') } },
      '/hubs/{hubId}/members': {
        get: {
          operationId: 'listMembers',
          summary: 'members of a hub',
          tags: ['members'],
          parameters: [hubId, query('status', { enum: [...MEMBER_STATUSES] }), query('search', { type: 'string' }, 'matches email or name'), ...paging, query('sort', { enum: [...MEMBER_SORTS] })],
          responses: ok('MemberList', 'a page of members'),
        },
      },
      '/hubs/{hubId}/members/{memberId}': { get: { operationId: 'getMember', summary: 'one member and its status', tags: ['members'], parameters: [hubId, memberId], responses: ok('Member', 'the member') } },
      '/hubs/{hubId}/members/{memberId}/match': memberAction('matchMember', 'match a member to a directory user', 'MatchRequest'),
      '/hubs/{hubId}/members/{memberId}/unmatch': memberAction('unmatchMember', 'forget a manual match'),
      '/hubs/{hubId}/members/{memberId}/unexempt': memberAction('unexemptMember', 'end an exemption now (409 when the member is not exempted)'),
      '/hubs/{hubId}/members/{memberId}/exempt': memberAction('exemptMember', 'exempt a member from removal, with a reason and optional expiry', 'ExemptRequest'),
      '/hubs/{hubId}/members/{memberId}/remove': {
        post: { operationId: 'removeMember', summary: 'remove a member from the hub', tags: ['members'], parameters: [hubId, memberId], responses: accepted('the removal task') },
      },
      '/hubs/{hubId}/check-for-updates': {
        post: { operationId: 'checkForUpdates', summary: 'compare the hub with the directory and correct it', tags: ['hubs'], parameters: [hubId], responses: accepted('the check-for-updates task') },
      },
      '/hubs/{hubId}/plan': { get: { operationId: 'planHub', summary: 'dry run: what check for updates would do now', tags: ['hubs'], parameters: [hubId], responses: ok('Plan', 'planned operations') } },
      '/tasks': {
        get: {
          operationId: 'listTasks',
          summary: 'tasks, newest first',
          tags: ['tasks'],
          parameters: [query('hubId', { type: 'string' }), query('status', { enum: [...TASK_STATUSES] }), query('kind', { type: 'string' }), query('parentId', { type: 'string' }), ...paging],
          responses: ok('TaskList', 'a page of tasks'),
        },
      },
      '/tasks/{id}': { get: { operationId: 'getTask', summary: 'one task (poll until status is completed or failed)', tags: ['tasks'], parameters: [id('task')], responses: ok('Task', 'the task') } },
      '/reports': { get: { operationId: 'listReports', summary: 'deprovisioning reports', tags: ['reports'], parameters: [query('hubId', { type: 'string' })], responses: ok('ReportList', 'reports') } },
      '/reports/{id}/apply': {
        post: { operationId: 'applyReport', summary: 'apply all or some items of a report', tags: ['reports'], parameters: [id('report')], requestBody: body('ApplyRequest', false), responses: { ...ok('Report', 'the report after applying'), '409': problemRef('Conflict') } },
      },
      '/approvals': { get: { operationId: 'listApprovals', summary: 'plans halted for approval', tags: ['approvals'], parameters: [query('hubId', { type: 'string' })], responses: ok('ApprovalList', 'approvals') } },
      '/approvals/{id}/approve': { post: { operationId: 'approve', summary: 'let a halted plan run', tags: ['approvals'], parameters: [id('approval')], responses: { ...ok('Approval', 'the approval'), '409': problemRef('Conflict') } } },
      '/approvals/{id}/reject': { post: { operationId: 'reject', summary: 'cancel a halted plan', tags: ['approvals'], parameters: [id('approval')], responses: { ...ok('Approval', 'the approval'), '409': problemRef('Conflict') } } },
      '/audit': {
        get: {
          operationId: 'listAudit',
          summary: 'the audit log',
          tags: ['audit'],
          parameters: [query('hubId', { type: 'string' }), query('email', { type: 'string' }), query('action', { type: 'string' }), query('since', { type: 'string', format: 'date-time' }), ...paging],
          responses: ok('AuditList', 'a page of audit entries'),
        },
      },
      '/people/{email}/offboard': { post: { operationId: 'offboardPerson', summary: 'remove a person\'s seats on every hub now', tags: ['people'], parameters: [email], responses: accepted('the parent offboarding task') } },
      '/people/{email}/offers': { get: { operationId: 'listOffers', summary: 'the seats offered to a person (claim teams and collections), on every hub', tags: ['people'], parameters: [email], responses: ok('OfferList', 'the person\'s offers') } },
      '/people/{email}/offers/{offerId}/claim': {
        post: {
          operationId: 'claimOffer',
          summary: 'claim an offer on the person\'s behalf: the grant becomes desired and the person is invited as for any grant (claiming twice sends one invite)',
          tags: ['people'],
          parameters: [email, path('offerId', 'the offer id (from listOffers)')],
          responses: { ...accepted('the re-evaluation of the person that invites them'), '409': problemRef('Conflict') },
        },
      },
      '/people/{email}/reevaluate': {
        post: {
          operationId: 'reevaluatePerson',
          summary: 're-evaluate a person on every hub now',
          tags: ['people'],
          parameters: [email],
          responses: { '202': { description: 'one task per hub', content: json('TasksAccepted') }, ...errors },
        },
      },
    },
  };
}
