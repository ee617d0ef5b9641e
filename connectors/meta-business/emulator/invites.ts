/**
 * Invites (BusinessRoleRequest): `GET /{business}/pending_users`
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users)
 * and `GET|POST|DELETE /{business-role-request-id}`, plus the acceptance that only a person can do
 * in real life (exposed as emulator control).
 *
 * Choices where Meta is silent ([INF] in the connector README):
 * - Inviting an email that already holds a seat, or has a PENDING invite, is refused with code
 *   100 ("… is already a member …" / "… already has a pending invitation …"): the strict answer
 *   (Meta documents neither). Nothing is created or counted against the invite limit.
 *   The looser reading of the same silence (`inviteExisting: 'existing-id'`): an idempotent
 *   success returning the existing request's id: the pending invite's, or for a member the
 *   request they accepted (`business_role_request`); a member with no such request has no request
 *   id to return, and is refused as in the strict reading. Nothing is created or counted either.
 * - `pending_users` lists invites only while they are pending (Meta: "pending users"; default
 *   `inviteVisibility: 'pending-only'`). With `'keep-expired'`, expired and declined invites stay
 *   listed with status EXPIRED / DECLINE until deleted or replaced by a new invite: a looser
 *   reading, for tests that want those statuses in the listing. Either way GET /{id} reads them.
 */
import { GraphError, invalidParameter } from './graph-error.ts';
import { requireAdminCaller, requireOwnBusiness, requireVisible } from './access.ts';
import { businessTasksParam, roleParam } from './business-roles.ts';
import { inviteNode } from './graph-nodes.ts';
import { project } from './node-fields.ts';
import { throttleError } from './faults.ts';
import { defaultTasks, financePermission } from './world.ts';
import { checkPeopleChange } from './guards.ts';
import { checkTaskNames } from './task-bundles.ts';
import { listParam } from './request-params.ts';
import type { EmulatorRuntime, GraphContext } from './graph-context.ts';
import type { Business, Invite } from './model.ts';

export function createInvite(ctx: GraphContext, business: Business, email: string, role: string | undefined, tasks: string[] | undefined): unknown {
  const world = ctx.world;
  // `invited_user_type`: FB (default) or MWA, a Meta account managed by the person's organization (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users).
  const userType = checkTaskNames(listParam(ctx.call.params, 'invited_user_type') ?? ['FB'], ['FB', 'MWA'], 'invited_user_type');
  const idempotent = ctx.runtime.inviteExisting === 'existing-id';
  const seat = world.users.findByEmail(business.id, email)[0];
  if (seat && idempotent && seat.requestId) return { id: seat.requestId };
  if (seat) throw invalidParameter(`The user with email ${email} is already a member of this business`);
  for (const invite of world.invites.findByEmail(business.id, email)) {
    if (world.inviteStatus(invite) === 'PENDING') {
      if (idempotent) return ctx.fields ? project(inviteNode, invite, ctx.fields, ctx.render) : { id: invite.id };
      throw invalidParameter(`The user with email ${email} already has a pending invitation to this business`);
    }
    world.invites.delete(invite.id); // an expired or declined invite is replaced by the new one
  }
  countInvite(ctx.runtime, business.id);
  const now = ctx.runtime.now();
  const invite: Invite = {
    id: world.nextId(),
    businessId: business.id,
    email,
    role: role ?? 'EMPLOYEE',
    tasks: tasks ?? defaultTasks(role ?? 'EMPLOYEE'),
    status: 'PENDING',
    created_time: now,
    updated_time: now,
    expiration_time: now + ctx.runtime.inviteTtlMs,
    createdBy: ctx.caller.userId,
    invited_user_type: userType,
    seq: world.nextSeq(),
  };
  world.invites.set(invite.id, invite);
  return ctx.fields ? project(inviteNode, invite, ctx.fields, ctx.render) : { id: invite.id };
}

/** "When you reach this limit you will get error code 17, you should resume 24 hours later" (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users). */
function countInvite(runtime: EmulatorRuntime, businessId: string): void {
  const recent = refuseOverInviteLimit(runtime, businessId);
  if (recent) recent.push(runtime.now());
}

/** The invites counted in the window (undefined: no limit configured); code 17 when it is full. */
function refuseOverInviteLimit(runtime: EmulatorRuntime, businessId: string): number[] | undefined {
  const limit = runtime.inviteLimit;
  if (!limit) return undefined;
  const now = runtime.now();
  const recent = (runtime.inviteLog.get(businessId) ?? []).filter((t) => t > now - limit.windowMs);
  runtime.inviteLog.set(businessId, recent);
  // A business-node edge: X-App-Usage only, no regain time (faults.ts); the wait is the documented 24 h.
  if (recent.length >= limit.count) throw throttleError(17, businessId, 0);
  return recent;
}

export function listPendingUsers(ctx: GraphContext, business: Business): unknown {
  requireOwnBusiness(ctx, business.id);
  const email = ctx.param('email')?.toLowerCase();
  const pendingOnly = ctx.runtime.inviteVisibility === 'pending-only';
  const candidates = email === undefined ? ctx.world.invites.values() : ctx.world.invites.findByEmail(business.id, email).sort((a, b) => a.seq - b.seq);
  const invites = [...candidates].filter((i) => i.businessId === business.id && ctx.runtime.faults.listed(i.created_time));
  // Invites no longer pending are hidden after the page is cut (paginate's `visible`), as Graph
  // filters for visibility: a page may come back short or empty and still carry `next`
  // (https://developers.facebook.com/docs/graph-api/results).
  const listed = pendingOnly ? (i: Invite) => ctx.world.inviteStatus(i) === 'PENDING' : undefined;
  return ctx.page(invites, 'pending_users', business.id, (i) => project(inviteNode, i, ctx.fields, ctx.render), listed);
}

export function getInvite(ctx: GraphContext, invite: Invite): unknown {
  requireVisible(ctx, invite.businessId, invite.id);
  return project(inviteNode, invite, ctx.fields, ctx.render);
}

/** POST /{request-id}: change role/tasks of a pending invite; returns `{id}` (https://developers.facebook.com/docs/business-management-apis/business-manager/get-started). */
export function updateInvite(ctx: GraphContext, invite: Invite): unknown {
  requireVisible(ctx, invite.businessId, invite.id);
  requireAdminCaller(ctx);
  checkPeopleChange(ctx, invite.businessId);
  if (ctx.world.inviteStatus(invite) !== 'PENDING') {
    throw invalidParameter(`The invitation ${invite.id} is ${invite.status}, not pending; invite the person again`);
  }
  const role = roleParam(ctx.call.params);
  const tasks = businessTasksParam(ctx.call.params);
  if (role) invite.role = role;
  if (tasks) invite.tasks = tasks;
  else if (role) invite.tasks = defaultTasks(role);
  invite.updated_time = ctx.runtime.now();
  return ctx.fields ? project(inviteNode, invite, ctx.fields, ctx.render) : { id: invite.id };
}

/**
 * DELETE /{request-id}: cancel (https://developers.facebook.com/docs/business-management-apis/business-manager/get-started).
 * Cancelling is subject to the invite limit: while the window is full it is refused with code 17
 * like an invite (the strict reading: Meta has no resend, so a re-send is cancel + invite, and
 * both steps count as sending invitations; connector README [INF]). A cancel is not counted.
 */
export function cancelInvite(ctx: GraphContext, invite: Invite): unknown {
  requireVisible(ctx, invite.businessId, invite.id);
  requireAdminCaller(ctx);
  checkPeopleChange(ctx, invite.businessId);
  refuseOverInviteLimit(ctx.runtime, invite.businessId);
  ctx.world.invites.delete(invite.id);
  return { success: true };
}

// ---- emulator control: what the invited person (or time) does ----

function pendingInvite(runtime: EmulatorRuntime, requestId: string, action: string): Invite {
  const invite = runtime.world.invites.get(requestId);
  if (!invite) throw new GraphError({ code: 100, subcode: 33, message: `meta emulator: cannot ${action} invite ${requestId}: no such invite` });
  const status = runtime.world.inviteStatus(invite);
  if (status !== 'PENDING') throw new GraphError({ code: 100, message: `meta emulator: cannot ${action} invite ${requestId}: it is ${status}` });
  return invite;
}

/** The person accepts: a BusinessUser with a new id appears and the request is dropped (connectors/meta-business/README.md [INF]). */
export function acceptInvite(runtime: EmulatorRuntime, requestId: string, person?: { name?: string; email?: string }): { memberId: string } {
  const invite = pendingInvite(runtime, requestId, 'accept');
  const world = runtime.world;
  const local = invite.email.split('@')[0];
  const name = person?.name ?? local.split(/[._-]+/).map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join(' ');
  const id = world.nextId();
  const finance = financePermission(invite.role, invite.tasks);
  world.users.set(id, {
    // `email`: the person may accept signed in under another address than the one invited; the
    // BusinessUser's email is then theirs, and the request keeps the address it was sent to.
    id, businessId: invite.businessId, name, email: person?.email ?? invite.email, role: invite.role, tasks: [...invite.tasks],
    ...(finance ? { finance_permission: finance } : {}),
    requestId: invite.id, ...(person?.email && person.email !== invite.email ? { requestEmail: invite.email } : {}), created_time: runtime.now(), seq: world.nextSeq(),
  });
  world.invites.delete(invite.id);
  return { memberId: id };
}

export function declineInvite(runtime: EmulatorRuntime, requestId: string): void {
  const invite = pendingInvite(runtime, requestId, 'decline');
  invite.status = 'DECLINE';
  invite.updated_time = runtime.now();
}

export function expireInvite(runtime: EmulatorRuntime, requestId: string): void {
  const invite = pendingInvite(runtime, requestId, 'expire');
  invite.status = 'EXPIRED';
  invite.expiration_time = invite.updated_time = runtime.now();
}
