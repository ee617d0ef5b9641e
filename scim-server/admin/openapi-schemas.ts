import { HUB_ROLES, MEMBER_STATUSES, TASK_STATUSES } from './request-schemas.ts';

/**
 * JSON Schemas (OpenAPI 3.1 uses JSON Schema 2020-12) of what the admin API returns, mirroring
 * the AgentApi views in agent/api.ts. Kept as data so the document is served as-is.
 */
export type JsonSchema = { [key: string]: unknown };

const str: JsonSchema = { type: 'string' };
const int: JsonSchema = { type: 'integer', minimum: 0 };
const dateTime: JsonSchema = { type: 'string', format: 'date-time' };
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const list = (item: string): JsonSchema => ({
  type: 'object',
  required: ['total', 'items'],
  properties: { total: int, offset: int, limit: int, items: { type: 'array', items: ref(item) } },
});

const trigger: JsonSchema = {
  type: 'object',
  required: ['type'],
  properties: { type: str, idp: str, actor: str, detail: str },
};

export const schemas: Record<string, JsonSchema> = {
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details',
    required: ['type', 'title', 'status', 'detail'],
    properties: { type: { type: 'string', format: 'uri' }, title: str, status: { type: 'integer' }, detail: str, instance: str, field: str },
  },
  Trigger: trigger,
  HubHealth: {
    type: 'object',
    required: ['status', 'problems', 'failingTasks', 'invitesNearExpiry'],
    properties: {
      status: { enum: ['ok', 'degraded', 'paused', 'unknown'] },
      problems: { type: 'array', items: str },
      credential: { type: 'object', properties: { valid: { type: 'boolean' }, expiresAt: dateTime, missingScopes: { type: 'array', items: str } } },
      lastCheckForUpdates: { type: 'object', properties: { at: dateTime, outcome: { enum: ['completed', 'failed'] }, taskId: str } },
      failingTasks: int,
      invitesNearExpiry: int,
      pausedReason: str,
    },
  },
  Hub: {
    type: 'object',
    required: ['id', 'label', 'connector', 'health', 'memberCounts'],
    properties: {
      id: str,
      label: str,
      connector: str,
      identityProvider: str,
      health: ref('HubHealth'),
      memberCounts: { type: 'object', additionalProperties: int },
    },
  },
  HubDetail: {
    allOf: [ref('Hub'), { type: 'object', required: ['settings'], properties: { settings: { type: 'object', description: 'the hub config entry; secret references masked as "[secret env:NAME]"' } } }],
  },
  HubList: list('Hub'),
  Member: {
    type: 'object',
    required: ['hubId', 'id', 'status', 'assets', 'grantedBy', 'kind'],
    properties: {
      hubId: str,
      id: str,
      status: { enum: [...MEMBER_STATUSES] },
      email: str,
      name: str,
      appRole: str,
      hubRole: str,
      assets: { type: 'array', items: { type: 'object', properties: { type: str, id: str, tasks: { type: 'array', items: str } } } },
      directoryUserId: str,
      grantedBy: { type: 'array', items: str },
      kind: { enum: ['member', 'invite', 'partner-user'] },
      partnerBusinessId: str,
      exemption: { type: 'object', properties: { reason: str, until: str, by: str, at: dateTime } },
      candidates: { type: 'array', items: str },
      lastSeenAt: dateTime,
    },
  },
  MemberList: list('Member'),
  Task: {
    type: 'object',
    required: ['id', 'kind', 'status', 'trigger', 'summary', 'attempts', 'createdAt', 'updatedAt'],
    properties: {
      id: str,
      hubId: str,
      kind: str,
      status: { enum: [...TASK_STATUSES] },
      trigger: ref('Trigger'),
      summary: str,
      attempts: int,
      createdAt: dateTime,
      updatedAt: dateTime,
      nextRunAt: dateTime,
      completedAt: dateTime,
      lastError: { type: 'object', properties: { kind: str, message: str } },
      parentId: str,
      progress: { type: 'object', properties: { done: int, total: int, phase: str } },
      result: {},
    },
  },
  TaskList: list('Task'),
  TaskAccepted: { type: 'object', required: ['taskId', 'task'], properties: { taskId: str, task: ref('Task') } },
  TasksAccepted: { type: 'object', required: ['taskIds', 'tasks'], properties: { taskIds: { type: 'array', items: str }, tasks: { type: 'array', items: ref('Task') } } },
  Plan: {
    type: 'object',
    required: ['hubId', 'dryRun', 'operations'],
    properties: {
      hubId: str,
      dryRun: { const: true },
      operations: { type: 'array', items: { type: 'object', required: ['kind', 'summary'], properties: { kind: str, summary: str, memberId: str, email: str } } },
    },
  },
  Report: {
    type: 'object',
    required: ['id', 'hubId', 'createdAt', 'status', 'items'],
    properties: {
      id: str,
      hubId: str,
      createdAt: dateTime,
      status: { enum: ['open', 'applied', 'partially-applied', 'dismissed'] },
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: { memberId: str, email: str, directoryUserId: str, action: { enum: ['remove-member', 'cancel-invite', 'downgrade'] }, reason: str, appliedAt: dateTime, taskId: str },
        },
      },
    },
  },
  ReportList: list('Report'),
  Approval: {
    type: 'object',
    required: ['id', 'hubId', 'createdAt', 'status', 'explanation', 'operations', 'taskId'],
    properties: {
      id: str,
      hubId: str,
      createdAt: dateTime,
      status: { enum: ['pending', 'approved', 'rejected'] },
      explanation: str,
      operations: { type: 'array', items: { type: 'object', properties: { kind: str, summary: str } } },
      taskId: str,
    },
  },
  ApprovalList: list('Approval'),
  AuditEntry: {
    type: 'object',
    required: ['seq', 'at', 'trigger', 'action', 'why', 'outcome'],
    properties: {
      seq: int,
      at: dateTime,
      hubId: str,
      trigger: ref('Trigger'),
      action: str,
      subject: { type: 'object', properties: { email: str, directoryUserId: str, memberId: str, label: str } },
      why: str,
      outcome: { enum: ['ok', 'already-done', 'failed', 'skipped', 'pending'] },
      detail: { type: 'object' },
      taskId: str,
    },
  },
  AuditList: list('AuditEntry'),
  Offer: {
    type: 'object',
    required: ['id', 'hubId', 'appRole', 'assets', 'status', 'offeredAt'],
    properties: {
      id: str,
      hubId: str,
      collection: str,
      appRole: str,
      assets: { type: 'array', items: { type: 'object', required: ['type', 'id', 'tasks'], properties: { type: str, id: str, tasks: { type: 'array', items: str } } } },
      status: { enum: ['offered', 'claimed', 'expired'] },
      offeredAt: dateTime,
      expiresAt: dateTime,
      claimedAt: dateTime,
    },
  },
  OfferList: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('Offer') } } },
  MatchRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['directoryUserId'],
    properties: { directoryUserId: { type: 'string', minLength: 1 }, hubRole: { enum: [...HUB_ROLES] } },
  },
  ExemptRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: { reason: { type: 'string', minLength: 1, maxLength: 500 }, until: { type: 'string', description: 'a date (2026-12-31) or an ISO 8601 date-time' } },
  },
  ApplyRequest: {
    type: 'object',
    additionalProperties: false,
    properties: { memberIds: { oneOf: [{ const: 'all' }, { type: 'array', items: str, minItems: 1 }], default: 'all' } },
  },
};
