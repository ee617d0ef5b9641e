import { z } from 'zod';
import type { Approval, AuditEntry, DeprovisioningReport, HubHealth, HubSummary, MemberView, OfferView, PlannedOperation, TaskRetry, TaskView } from '../../agent/api.ts';
import { AUDIT_OUTCOMES } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { DIRECTORY_STATUSES, MEMBER_STATUSES, TASK_STATUSES } from './request-schemas.ts';

/**
 * What the admin API returns, declared with zod beside the request schemas. The OpenAPI
 * document's components are generated from these (openapi.ts, z.toJSONSchema), and the compile-
 * time checks at the bottom fail when a schema and the AgentApi view it describes (agent/api.ts)
 * differ, so the document cannot drift from what the routes send. Objects are strict: the
 * route test (test/admin/openapi-sync.test.ts) parses real answers with them, so a field the
 * agent adds without documenting it fails there.
 */

/** Every schema with a component name; openapi.ts turns the registry into `components.schemas`. */
export const components = z.registry<{ id: string }>();
/** The same schemas by component name (the route test parses answers with the one a response names). */
export const componentsByName = new Map<string, z.ZodType>();
const named = <S extends z.ZodType>(id: string, schema: S): S => {
  components.add(schema, { id });
  componentsByName.set(id, schema);
  return schema;
};

const count = z.number().int().min(0);
/** ISO 8601 instants as the agent writes them (`new Date().toISOString()`). */
const instant = z.string().describe('ISO 8601 date-time');
const list = <S extends z.ZodType>(item: S) => z.object({ total: count, offset: count.optional(), limit: count.optional(), items: z.array(item) }).strict();

export const Problem = named('Problem', z.object({
  type: z.url(), title: z.string(), status: z.number().int(), detail: z.string(), instance: z.string().optional(), field: z.string().optional(),
}).strict().describe('RFC 9457 problem details'));

export const TriggerSchema = named('Trigger', z.object({
  type: z.enum(['scim', 'schedule', 'admin', 'cli', 'okta-event-hook', 'okta-workflows', 'entra-lifecycle', 'agent', 'dashboard', 'config']),
  idp: z.string().optional(), actor: z.string().optional(), detail: z.string().optional(),
  reason: z.string().optional().describe('the reason the person who asked gave (the admin API\'s `reason`, the CLI\'s --reason)'),
  hubs: z.array(z.string()).optional().describe('the hubs of the admin token that asked, when it is scoped to some hubs (server.adminTokens[].hubs); absent: every hub'),
}).strict());

export const HubHealthSchema = named('HubHealth', z.object({
  status: z.enum(['ok', 'degraded', 'paused', 'unknown']),
  problems: z.array(z.string()),
  credential: z.object({
    valid: z.boolean(), expiresAt: instant.optional(),
    expiryUnknown: z.literal(true).optional().describe('the app did not say when the credential expires: no expiresAt means unknown here, not never'),
    missingScopes: z.array(z.string()),
  }).strict().optional(),
  lastCheckForUpdates: z.object({ at: instant, outcome: z.enum(['completed', 'failed']), taskId: z.string() }).strict().optional(),
  failingTasks: count,
  invitesNearExpiry: count,
  pausedReason: z.string().optional(),
}).strict());

export const HubSchema = named('Hub', z.object({
  id: z.string(), label: z.string(), connector: z.string(), identityProvider: z.string().optional(),
  health: HubHealthSchema,
  memberCounts: z.object(Object.fromEntries(MEMBER_STATUSES.map((s) => [s, count])) as Record<(typeof MEMBER_STATUSES)[number], typeof count>).strict(),
}).strict());
export const HubDetail = named('HubDetail', HubSchema.extend({
  settings: z.record(z.string(), z.unknown()).describe('the hub config entry; secret references masked as "[secret env:NAME]"'),
}).strict());
export const HubList = named('HubList', list(HubSchema));

const assetTasks = z.object({ type: z.string(), id: z.string(), tasks: z.array(z.string()) }).strict();
export const MemberSchema = named('Member', z.object({
  hubId: z.string(), id: z.string().describe('app member id, invite:<id> or partner:<business>:<user>'),
  status: z.enum(MEMBER_STATUSES),
  email: z.string().optional(), name: z.string().optional(), appRole: z.string().optional(), hubRole: z.string().optional(),
  assets: z.array(assetTasks),
  reachesAllAssets: z.literal(true).optional().describe('a member holding the admin role of an app whose admins reach every asset: `assets` lists only its explicit assignments'),
  removalPending: z.literal(true).optional().describe('the app has marked this seat for removal: it is on its way out; plans neither remove nor change it, nor invite the person again, and hold it for an owner'),
  directoryUserId: z.string().optional(),
  grantedBy: z.array(z.string()),
  directoryStatus: z.enum(DIRECTORY_STATUSES).optional().describe('where the directory user stands in the IdP: active, deactivated (SCIM active false), suspended (Okta suspend event hook), offboarded (a leaver action while the IdP still pushes the person active; held until the IdP deactivates and reactivates them) or deleted (SCIM DELETE; the row is unmatched then); anything but active holds no seat, its removal is pending unless the row is exempted'),
  kind: z.enum(['member', 'invite', 'partner-user']),
  partnerBusinessId: z.string().optional(),
  partnerBusinessName: z.string().optional(),
  unavailable: z.string().optional().describe("a partner's person whose data could not be read at the last check: \"partner data unavailable: <reason>\""),
  exemption: z.object({ reason: z.string(), until: z.string().optional(), by: z.string(), at: instant }).strict().optional(),
  candidates: z.array(z.string()).optional(),
  otherSeats: z.array(z.string()).optional().describe('the ids of the other rows (seats, pending invites) of the same directory user on this hub: one person holding two seats (a paid seat wasted, or an account someone else uses). Never removed for it: an owner decides (remove, unmatch or exempt one). Filter with `flag=other-seats`'),
  matchReason: z.string().optional().describe('why the row is matched to a directory user none of whose emails it carries, e.g. "matched by directory user; email changed in the IdP"'),
  lastSeenAt: instant.optional(),
}).strict());
export const MemberList = named('MemberList', list(MemberSchema).extend({
  next: z.string().optional().describe('pass as `after` for the next page; absent on the last page'),
}));

export const TaskSchema = named('Task', z.object({
  id: z.string(), hubId: z.string().optional(), kind: z.string(), status: z.enum(TASK_STATUSES),
  trigger: TriggerSchema, summary: z.string(), attempts: count,
  createdAt: instant, updatedAt: instant, nextRunAt: instant.optional(), startedAt: instant.optional(), completedAt: instant.optional(),
  lastError: z.object({ kind: z.string(), message: z.string() }).strict().optional(),
  parentId: z.string().optional(),
  progress: z.object({ done: count, total: count, phase: z.string().optional() }).strict().optional(),
  result: z.unknown().optional().describe('what the task found or did; its shape depends on the kind'),
  retry: z.object({ at: instant, by: z.string(), reason: z.string().optional(), taskId: z.string() }).strict().optional()
    .describe('on a failed task an owner retried (POST /hubs/{hubId}/tasks/{taskId}/retry): who, when, why, and the task queued; it holds no later task of the same change any more'),
  retryable: z.literal(true).optional()
    .describe('on a failed app change POST /hubs/{hubId}/tasks/{taskId}/retry queues again (not forced, not retried yet); absent on any other task, which that route answers with 409 (or 200 alreadyDone once retried)'),
}).strict());
export const TaskList = named('TaskList', list(TaskSchema).extend({
  next: z.string().optional().describe('pass as `after` for the next page (a cursor: stable while tasks are queued or finished); absent on the last page'),
}));
export const TaskAccepted = named('TaskAccepted', z.object({ taskId: z.string(), task: TaskSchema }).strict());
/** A leaver action repeated after its offboarding completed, nothing changed since (agent/dispatch/offboard-repeat.ts): that task, nothing queued. */
export const OffboardDone = named('OffboardDone', z.object({
  taskId: z.string(), task: TaskSchema.describe('the offboarding that completed'),
  alreadyDone: z.literal(true), detail: z.string().describe('which offboarding answered the repeat, and when it completed'),
}).strict());
/** An owner's retry of a failed task (agent/tasks/retry-task.ts): the task queued, and the failed one marked retried. */
export const TaskRetrySchema = named('TaskRetry', z.object({
  taskId: z.string().describe('the task queued for the change (on a repeat: the one the first retry queued)'),
  task: TaskSchema.optional().describe('that task; absent on a repeat once it was pruned'),
  retried: TaskSchema.describe('the failed task, kept as it failed, with `retry`: who retried it, when, why'),
  alreadyDone: z.literal(true).optional().describe('present on a repeat (a double click, a retry of the call): nothing was queued again'),
  detail: z.string().optional().describe('with alreadyDone: when and by whom it was retried'),
}).strict());
export const TasksAccepted = named('TasksAccepted', z.object({ taskIds: z.array(z.string()), tasks: z.array(TaskSchema) }).strict());

const plannedOperation = z.object({ kind: z.string(), summary: z.string(), memberId: z.string().optional(), email: z.string().optional() }).strict();
export const Plan = named('Plan', z.object({ hubId: z.string(), dryRun: z.literal(true), operations: z.array(plannedOperation) }).strict());

export const ReportSchema = named('Report', z.object({
  id: z.string(), hubId: z.string(), createdAt: instant,
  status: z.enum(['open', 'applied', 'partially-applied', 'dismissed', 'withdrawn']),
  items: z.array(z.object({
    memberId: z.string(), email: z.string().optional(), directoryUserId: z.string().optional(),
    action: z.enum(['remove-member', 'cancel-invite', 'downgrade']), reason: z.string(), appliedAt: instant.optional(), taskId: z.string().optional(),
  }).strict()),
  withdrawnBecause: z.string().optional().describe('on a withdrawn report: why nobody needs to apply it (every item was taken out before an owner applied it: the seat became a rehire\'s); applying it is a 409 and queues nothing'),
}).strict());
export const ReportList = named('ReportList', list(ReportSchema));

export const ApprovalSchema = named('Approval', z.object({
  id: z.string(), hubId: z.string(), createdAt: instant, status: z.enum(['pending', 'approved', 'rejected', 'superseded', 'withdrawn']),
  explanation: z.string(), operations: z.array(z.object({ kind: z.string(), summary: z.string() }).strict()), taskId: z.string(),
  supersededBy: z.string().optional().describe('on a superseded approval: the approval that replaced it (holding other operations), the one to read and decide instead'),
  withdrawnBecause: z.string().optional().describe('on a withdrawn approval: why nobody needs to decide it (a later pass no longer planned its changes, or queued the rest below the threshold); deciding it is a 409 and runs nothing'),
}).strict());
export const ApprovalList = named('ApprovalList', list(ApprovalSchema));

/**
 * The answer of a state-changing route (already-done.ts): the resource after the change, or, for
 * a repeat of a request already applied (a retry whose first answer was lost), the resource as it
 * is with `alreadyDone` and a `detail` saying nothing was done again.
 */
const outcome = <S extends z.ZodObject>(schema: S) => schema.extend({
  alreadyDone: z.literal(true).optional().describe('present on a repeat of a request already applied (a retry): nothing was done again, the resource is as it is now'),
  detail: z.string().optional().describe('with alreadyDone: what was already done'),
}).strict();
export const MemberOutcome = named('MemberOutcome', outcome(MemberSchema));
export const ReportOutcome = named('ReportOutcome', outcome(ReportSchema));
export const ApprovalOutcome = named('ApprovalOutcome', outcome(ApprovalSchema));
/** A removal retried after it ran (hub-routes.ts): the row is gone; the task that removed it, when still kept. */
export const RemovalDone = named('RemovalDone', z.object({
  hubId: z.string(), memberId: z.string(), removedAt: instant.describe('when the removal was carried out (its audit entry)'),
  taskId: z.string().optional(), task: TaskSchema.optional(), alreadyDone: z.literal(true), detail: z.string(),
}).strict());

export const AuditEntrySchema = named('AuditEntry', z.object({
  seq: count, at: instant, hubId: z.string().optional(), trigger: TriggerSchema, action: z.string(),
  subject: z.object({ email: z.string().optional(), directoryUserId: z.string().optional(), memberId: z.string().optional(), label: z.string().optional() }).strict().optional(),
  why: z.string(), outcome: z.enum(AUDIT_OUTCOMES)
    .describe('`unknown`: the change was sent to the app and its answer lost (a timeout, a dropped connection): the app may have made it; a later entry of the same task says what became of it'),
  detail: z.record(z.string(), z.unknown()).optional(), taskId: z.string().optional(),
}).strict());
export const AuditList = named('AuditList', list(AuditEntrySchema).extend({
  next: z.number().int().optional().describe('pass as `before` for the next page; absent on the last page'),
}));

export const OfferSchema = named('Offer', z.object({
  id: z.string(), hubId: z.string(), collection: z.string().optional(), appRole: z.string(),
  assets: z.array(z.object({ type: z.string(), id: z.string(), tasks: z.array(z.string()) }).strict()),
  status: z.enum(['offered', 'claimed', 'expired']), offeredAt: instant, expiresAt: instant.optional(), claimedAt: instant.optional(),
}).strict());
export const OfferList = named('OfferList', z.object({ items: z.array(OfferSchema) }).strict());

// Compile-time: each schema's output type is exactly the AgentApi view it documents: mutually
// assignable and with the same keys (an optional field missing on one side would still assign).
type Assignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Same<A, B> = Assignable<A, B> extends true ? Assignable<keyof A, keyof B> : false;
const same = <A, B>(ok: Same<A, B>) => ok;
same<z.infer<typeof TriggerSchema>, Trigger>(true);
same<z.infer<typeof HubHealthSchema>, HubHealth>(true);
same<z.infer<typeof HubSchema>, HubSummary>(true);
same<z.infer<typeof MemberSchema>, MemberView>(true);
same<z.infer<typeof TaskSchema>, TaskView>(true);
same<z.infer<typeof TaskRetrySchema>, TaskRetry>(true);
same<z.infer<typeof plannedOperation>, PlannedOperation>(true);
same<z.infer<typeof ReportSchema>, DeprovisioningReport>(true);
same<z.infer<typeof ApprovalSchema>, Approval>(true);
same<z.infer<typeof AuditEntrySchema>, AuditEntry>(true);
same<z.infer<typeof OfferSchema>, OfferView>(true);
