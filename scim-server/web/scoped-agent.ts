import type { AgentApi, AuditEntry, HubSummary, MemberView, Paged, TaskView } from '../../agent/api.ts';
import { HUB_ROLES, type HubRole } from '../../config/schema.ts';
import { TASK_RETRY_RIGHT } from '../../agent/access/hub-access.ts';
import { memberReader } from '../admin/member-email.ts';
import { emailKey } from '../../agent/matching/email-key.ts';
import { compareTaskPlaces, taskCursorOf } from '../../agent/tasks/task-cursor.ts';
import { Problem } from '../admin/problem.ts';
import { FORBIDDEN_DETAIL, viewerMay, type Viewer } from './hub-guard.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import type { Operation } from '../../agent/plan/operation.ts';
import { approveRanked } from './approval-rank.ts';
import { applyReportRanked } from './report-rank.ts';
import { holdersCheckedWithin, removeRanked } from './removal-rank.ts';
import { exemptionChangedRanked } from './exemption-rank.ts';
import type { ReadView } from '../../agent/store/store.ts';

/**
 * The agent as one viewer may use it: the second line behind the route checks of hub-guard.ts
 * (a route added later without its check still cannot reach another hub). Administrators get the
 * agent unchanged. For anyone else:
 * - every method keyed by a hub refuses (403) a hub they do not manage;
 * - lists across hubs (hubs, tasks, audit, reports, approvals) hold only their hubs, and a hub's
 *   health only for its owners;
 * - a task, report or approval of another hub is not found;
 * - nobody matches, un-matches or exempts their own seat, matches a row to themselves,
 *   registers themselves as a guest or rejects an approval whose halted plan removes their own
 *   seat (`notOwnRow` below), and nobody matches a row to someone whose hub role is above theirs,
 *   nor removes the seat of someone whose hub role is above theirs (also by applying a report,
 *   report-rank.ts, or approving a halted plan: approval-rank.ts), nor matches such a seat to someone else,
 *   un-matches it, or ends or replaces its exemption; a disputed seat counts as each of its
 *   candidates' (`directory` tells whose role it is; without it, refused);
 * - person-wide actions (offboard, re-evaluate, offers of anyone) are for administrators only:
 *   My access claims the person's own offers through its own route.
 */
export interface DirectoryRoles {
  /**
   * A directory user's hub role on a hub from their mapped groups, also while the IdP has them
   * deactivated or suspended: a match outlives that, and the seat gets their access back with them.
   * `view`: read through it (a check inside the agent's transaction), else through the store.
   */
  hubRoleOf(hubId: string, directoryUserId: string, view?: ReadView): Promise<HubRole | undefined>;
  /** The member rows the halted plan of an approval acts on (its operations' member ids). */
  approvalMembers(hubId: string, approvalId: string): Promise<string[]>;
  /** The planned operations of an approval as stored (a manager's approval is checked against them: approval-rank.ts). */
  approvalOperations?(hubId: string, approvalId: string): Promise<readonly Operation[] | undefined>;
  /**
   * Audits a decision the rules below refused (outcome `failed`), as the person who asked: an
   * attempt to decide about one's own seat, or to place a seat above oneself, belongs in the hub's
   * trail as the agent's own refusals do (a removal a brake holds, a claim refused).
   */
  refused?(hubId: string, refusal: Refusal): Promise<void>;
}

/** A decision refused by the dashboard's rules: the audit action it would have been, what was asked, and the rule. */
export interface Refusal {
  action: 'member-matched' | 'member-unmatched' | 'member-exempted' | 'member-unexempted' | 'guest-registered' | 'approval-rejected' | 'approval-approved' | 'remove-member' | 'apply-report';
  /** What was asked, in words (`exempt max@acme.example`). */
  asked: string;
  subject: NonNullable<AuditEntry['subject']>;
  /** The rule that refused it (the 403's detail). */
  rule: string;
  /** The reason the person gave with the request (Trigger.reason): audited with the refusal as with an accepted change. */
  reason?: string;
}

export function scopedAgent(agent: AgentApi, viewerOf: () => Viewer | undefined, directory?: DirectoryRoles): AgentApi {
  const viewer = (): Viewer => {
    const v = viewerOf();
    // Outside a resolved dashboard request: refuse rather than guess who is asking.
    if (!v) throw new Error('dashboard: an agent call outside a signed-in request');
    return v;
  };
  const forbidden = (detail = FORBIDDEN_DETAIL) => new Problem(403, 'forbidden', detail);
  const manages = (v: Viewer, hubId: string | undefined) => hubId !== undefined && viewerMay(v, hubId, 'manage');
  const check = (hubId: string, right: 'manage' | 'settings' = 'manage') => {
    const v = viewer();
    if (!v.admin && !viewerMay(v, hubId, right)) throw forbidden();
    return v;
  };
  /** A manager sees a hub's members and counts, not its health (owners and administrators do). */
  const shown = (v: Viewer, h: HubSummary): HubSummary => {
    if (viewerMay(v, h.id, 'settings')) return h;
    const { health: _health, ...rest } = h;
    return rest as HubSummary;
  };
  /**
   * Nobody decides about their own seat: a member row whose email is one of the viewer's, that
   * is matched to one of their directory users, or whose dispute names one of them, is theirs.
   * Matching it to someone else (an owner whose groups grant the app's admin role: hubwarden then
   * raises their own account to it), un-matching it (hubwarden then never removes it) or
   * exempting it (kept after they leave the groups that grant it) would let a manager or owner
   * raise or keep their own access, so those decisions, and matching any row to themselves, are
   * another owner's or an administrator's. Separation of duties: NIST SP 800-53 AC-5,
   * https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final. Taking protection away (ending their own
   * exemption, removing their own seat) stays theirs.
   */
  const OWN_SEAT = 'nobody decides about their own seat (ask another owner of the hub or a hubwarden administrator)';
  const mine = (v: Viewer, hubId: string) => v.self.get(hubId);
  /** The member row when it is the viewer's own (see above); undefined otherwise. */
  async function ownRow(v: Viewer, hubId: string, memberId: string): Promise<MemberView | undefined> {
    const me = mine(v, hubId);
    if (v.admin || !me) return undefined;
    const row = await agent.member(hubId, memberId);
    return row && isOwn(me, row) ? row : undefined;
  }
  function isOwn(me: NonNullable<ReturnType<typeof mine>>, row: MemberView): boolean {
    // A disputed row one of whose candidates is theirs counts too: a candidate by email is caught
    // by the email, but one by an earlier match (the seat was theirs before the IdP changed their
    // email, and another user now has the old one) carries neither; exempting or un-matching it
    // would keep what may be their own seat, and who it belongs to is for another owner to decide.
    const candidate = row.candidates?.some((id) => me.directoryUserIds.has(id)) ?? false;
    return (row.email !== undefined && me.emails.has(emailKey(row.email))) || (row.directoryUserId !== undefined && me.directoryUserIds.has(row.directoryUserId)) || candidate;
  }
  /** Audits the refusal (when the adapter can) with the reason given in `trigger`, then returns the 403 to throw. */
  async function refuse(hubId: string, refusal: Refusal, trigger: Trigger | undefined): Promise<Problem> {
    await directory?.refused?.(hubId, trigger?.reason ? { ...refusal, reason: trigger.reason } : refusal);
    return forbidden(refusal.rule);
  }
  const rowSubject = (memberId: string, row?: MemberView) => ({ memberId, ...(row?.email ? { email: row.email } : {}) });
  async function notOwnRow(v: Viewer, hubId: string, memberId: string, trigger: Trigger | undefined, action: Refusal['action'], asked: (what: string) => string): Promise<void> {
    const row = await ownRow(v, hubId, memberId);
    if (row) throw await refuse(hubId, { action, asked: asked(row.email ?? memberId), subject: rowSubject(memberId, row), rule: OWN_SEAT }, trigger);
  }
  /**
   * The rule that refuses a non-owner taking a seat away from the directory user it is matched to
   * (`what`: "remove the seat of"), when that user's rank from their groups (even while suspended,
   * deactivated or offboarded: the match outlives that) is above the viewer's; undefined when it is
   * not, or the seat is the viewer's own (taking one's own seat away stays theirs). Own here is a
   * directory user the sign-in says is the person (`named`), not every one with their email: an
   * owner sharing a manager's email (Okta and Entra do not keep emails unique) is someone else,
   * whose seat the own-seat exception let the manager remove.
   */
  async function aboveViewer(v: Viewer, hubId: string, directoryUserId: string, what: string, view?: ReadView): Promise<string | undefined> {
    const own = v.roles.get(hubId);
    if (v.admin || own === undefined || own === 'owner' || mine(v, hubId)?.named?.has(directoryUserId)) return undefined;
    if (!directory) throw forbidden('this view of the dashboard cannot check whom a seat is matched to');
    const holder = await directory.hubRoleOf(hubId, directoryUserId, view);
    if (holder === undefined || HUB_ROLES.indexOf(holder) >= HUB_ROLES.indexOf(own)) return undefined;
    return `a ${own} cannot ${what} ${holder === 'owner' ? 'an owner' : 'a manager'} (ask an owner or a hubwarden administrator)`;
  }
  /**
   * Whose seat a row is for the rank rule: whom it is matched to, else (a disputed row, matched to
   * nobody until an owner decides) each of its candidates: one ranked above the viewer holds it
   * back as their own match would.
   */
  const holdersOf = (row: MemberView | undefined): string[] => row?.directoryUserId !== undefined ? [row.directoryUserId] : [...(row?.candidates ?? [])];
  /** Whether the rank rule can refuse this viewer on the hub (a manager or collaborator): else no row need be read for it. */
  const ranked = (v: Viewer, hubId: string) => !v.admin && v.roles.get(hubId) !== undefined && v.roles.get(hubId) !== 'owner';
  /** Refuses (audited, 403) taking a seat from any of `holders` ranked above the viewer; `refusal` words the decision. */
  async function refuseAboveViewer(v: Viewer, hubId: string, holders: readonly string[], what: string, trigger: Trigger | undefined, refusal: (holder: string) => Omit<Refusal, 'rule'>): Promise<void> {
    for (const holder of holders) {
      const rule = await aboveViewer(v, hubId, holder, what);
      if (rule) throw await refuse(hubId, { ...refusal(holder), rule }, trigger);
    }
  }
  /** The rank rule's deps for one viewer's check inside the agent's transaction (removal-rank.ts). */
  const rank = (v: Viewer) => ({ refuse, aboveViewer: (hub: string, holder: string, what: string, view?: ReadView) => aboveViewer(v, hub, holder, what, view) });
  const visibleTask = (t: TaskView | undefined) => {
    const v = viewer();
    return t && (v.admin || manages(v, t.hubId)) ? t : undefined;
  };
  const ownHubs = async (v: Viewer) => (await agent.hubs()).filter((h) => manages(v, h.id)).map((h) => h.id);

  /**
   * One page of a list across the viewer's hubs, newest first: each hub's first offset+limit
   * entries, merged. The usual case (one hub) is a single read of that hub.
   */
  async function acrossHubs<T>(hubIds: string[], offset: number, limit: number, read: (hubId: string, offset: number, limit: number) => Promise<Paged<T>>, newer: (a: T, b: T) => number): Promise<Paged<T>> {
    if (hubIds.length === 1) return read(hubIds[0], offset, limit);
    let total = 0;
    const items: T[] = [];
    for (const hubId of hubIds) {
      const page = await read(hubId, 0, offset + limit);
      total += page.total;
      items.push(...page.items);
    }
    return { total, items: items.sort(newer).slice(offset, offset + limit) };
  }
  const bySeq = (a: AuditEntry, b: AuditEntry) => b.seq - a.seq;

  const scoped: AgentApi = {
    async hubs() {
      const v = viewer();
      const all = await agent.hubs();
      return v.admin ? all : all.filter((h) => manages(v, h.id)).map((h) => shown(v, h));
    },
    async hub(hubId) {
      const v = viewer();
      if (!v.admin && !manages(v, hubId)) return undefined;
      const h = await agent.hub(hubId);
      return h && !v.admin ? shown(v, h) : h;
    },
    members: async (hubId, query) => (check(hubId), agent.members(hubId, query)),
    member: async (hubId, memberId) => (check(hubId), agent.member(hubId, memberId)),
    async matchMember(hubId, memberId, input, trigger) {
      const v = check(hubId);
      // A hub role written on a match labels the member row (it grants nothing in the dashboard,
      // whose roles come from the directory); still, nobody labels anyone above themselves.
      const own = v.roles.get(hubId);
      // Audited only for a row that exists: the member id is the caller's path, and a made-up one
      // would put any text into the trail (the agent answers 404 for it anyway).
      const matchRefused = async (rule: string, label = '') => {
        const row = await agent.member(hubId, memberId);
        if (!row) return forbidden(rule);
        return refuse(hubId, { action: 'member-matched', asked: `match ${row.email ?? memberId} to ${input.directoryUserId}${label}`, subject: { ...rowSubject(memberId, row), directoryUserId: input.directoryUserId }, rule }, trigger);
      };
      if (!v.admin && input.hubRole !== undefined && own !== undefined && HUB_ROLES.indexOf(input.hubRole as HubRole) < HUB_ROLES.indexOf(own)) {
        throw await matchRefused(`a ${own} cannot label a member ${input.hubRole}`, ` labelled ${input.hubRole}`);
      }
      if (!v.admin && typeof input?.directoryUserId === 'string' && mine(v, hubId)?.directoryUserIds.has(input.directoryUserId)) throw await matchRefused(OWN_SEAT);
      await notOwnRow(v, hubId, memberId, trigger, 'member-matched', (what) => `match ${what} to ${input.directoryUserId}`);
      // The match itself does grant: the row becomes the directory user's seat and gets their
      // groups' app role and assets (an owner's: often the app's admin role). So the label's rule
      // holds for the match too: nobody places a seat under someone above themselves. Their rank
      // is what their groups give, even while suspended or deactivated in the IdP (they hold
      // nothing now): the match is kept, and re-activated they are an owner again, their seat too.
      if (!v.admin && typeof input?.directoryUserId === 'string') {
        if (!directory) throw forbidden('this view of the dashboard cannot check whom a seat is matched to');
        const target = await directory.hubRoleOf(hubId, input.directoryUserId);
        if (own !== undefined && target !== undefined && HUB_ROLES.indexOf(target) < HUB_ROLES.indexOf(own)) {
          throw await matchRefused(`a ${own} cannot match a seat to ${target === 'owner' ? 'an owner' : 'a manager'} (the seat would get their access; ask an owner or a hubwarden administrator)`);
        }
      }
      // Matching a seat to someone else takes it from whom it is matched to now: their account
      // gets the new person's app role (none, when that person holds nothing, and the seat is
      // removed). So the removal's rank rule holds here too, for a disputed seat's candidates as
      // well: matched to one of lower rank, an owner's seat was theirs to lower or remove next.
      if (ranked(v, hubId) && typeof input?.directoryUserId === 'string') {
        const row = await agent.member(hubId, memberId);
        const holders = holdersOf(row).filter((holder) => holder !== input.directoryUserId);
        const refusal = (holder: string) => ({ action: 'member-matched' as const, asked: `match ${row?.email ?? memberId} to ${input.directoryUserId}`, subject: { ...rowSubject(memberId, row), directoryUserId: holder } });
        await refuseAboveViewer(v, hubId, holders, 'take the seat of', trigger, refusal);
        // Again as the match commits: a re-match to an owner committed since is seen (removal-rank.ts).
        return holdersCheckedWithin(rank(v), hubId, memberId, 'take the seat of', trigger, refusal, (options) => agent.matchMember(hubId, memberId, input, trigger, options), input.directoryUserId);
      }
      return agent.matchMember(hubId, memberId, input, trigger);
    },
    async unmatchMember(hubId, memberId, trigger) {
      const v = check(hubId);
      await notOwnRow(v, hubId, memberId, trigger, 'member-unmatched', (what) => `un-match ${what}`);
      // Un-matching takes the seat from whom it is matched to as a match to someone else does: an
      // unmatched seat names nobody, so the removal's rank rule no longer saw the owner's seat, and
      // a manager took it away in two steps (un-match, then remove). A disputed seat un-matched
      // loses its candidates the same way.
      if (ranked(v, hubId)) {
        const row = await agent.member(hubId, memberId);
        const refusal = (holder: string) => ({ action: 'member-unmatched' as const, asked: `un-match ${row?.email ?? memberId}`, subject: { ...rowSubject(memberId, row), directoryUserId: holder } });
        await refuseAboveViewer(v, hubId, holdersOf(row), 'un-match the seat of', trigger, refusal);
        return holdersCheckedWithin(rank(v), hubId, memberId, 'un-match the seat of', trigger, refusal, (options) => agent.unmatchMember(hubId, memberId, trigger, options));
      }
      return agent.unmatchMember(hubId, memberId, trigger);
    },
    async exemptMember(hubId, memberId, input, trigger) {
      const v = check(hubId);
      await notOwnRow(v, hubId, memberId, trigger, 'member-exempted', (what) => `exempt ${what}`);
      // Exempting a seat takes nothing away, but replacing an exemption in force (one that lapses
      // tomorrow for one without end) hands the seat back to the plan as ending it does: not a
      // manager's for an owner's seat, checked again as the decision commits (exemption-rank.ts).
      if (!ranked(v, hubId)) return agent.exemptMember(hubId, memberId, input, trigger);
      const asked = (what: string) => `exempt ${what}${input?.until ? ` until ${String(input.until)}` : ''}`;
      return exemptionChangedRanked({ agent, ...rank(v) }, hubId, memberId, trigger, 'member-exempted', asked, (options) => agent.exemptMember(hubId, memberId, input, trigger, options));
    },
    async unexemptMember(hubId, memberId, trigger) {
      const v = check(hubId);
      if (!ranked(v, hubId)) return agent.unexemptMember(hubId, memberId, trigger);
      return exemptionChangedRanked({ agent, ...rank(v) }, hubId, memberId, trigger, 'member-unexempted', (what) => `end the exemption of ${what}`, (options) => agent.unexemptMember(hubId, memberId, trigger, options));
    },
    async removeMember(hubId, memberId, trigger) {
      const v = check(hubId);
      // The rank rule of matching, for removals, checked again as the removal is queued (removal-rank.ts).
      if (!ranked(v, hubId)) return agent.removeMember(hubId, memberId, trigger);
      return removeRanked({ agent, holdersOf, ...rank(v) }, hubId, memberId, trigger);
    },
    async registerGuest(hubId, input, trigger) {
      const v = check(hubId);
      // A guest's row is never removed: registering one's own email is exempting oneself. So was
      // registering the email of a row matched to them under another address (the IdP changed
      // their email, the app keeps the seat under the old one) while a registered guest email won
      // over that match; it no longer does (agent/matching/match-members.ts, docs/security.md
      // 185), and the refusal stays: such a registration is still a decision about one's own
      // seat. The rows of one email are few (the admin API's exact email filter, admin/member-email.ts).
      const me = v.admin ? undefined : mine(v, hubId);
      const email = typeof input?.email === 'string' ? emailKey(input.email) : undefined;
      // The email's rows, read once for both rules below.
      const rows = email && (me || ranked(v, hubId)) ? (await memberReader(agent, hubId, { email })(0, 1000)).items : [];
      if (me && email && (me.emails.has(email) || rows.some((row) => isOwn(me, row)))) {
        throw await refuse(hubId, { action: 'guest-registered', asked: `register ${input.email} as a guest`, subject: { email: input.email }, rule: OWN_SEAT }, trigger);
      }
      // The same match-breaking for someone ranked above (while a guest email won): the seat then
      // named nobody, and the removal's rank rule let a manager remove an owner's seat next.
      if (ranked(v, hubId)) {
        for (const row of rows) {
          await refuseAboveViewer(v, hubId, holdersOf(row), 'register as a guest the seat of', trigger, (holder) => ({ action: 'guest-registered', asked: `register ${input.email} as a guest`, subject: { email: input.email, memberId: row.id, directoryUserId: holder } }));
        }
      }
      return agent.registerGuest(hubId, input, trigger);
    },
    checkForUpdates: async (hubId, trigger) => (check(hubId), agent.checkForUpdates(hubId, trigger)),
    finishedRemoval: async (hubId, memberId) => (check(hubId), agent.finishedRemoval(hubId, memberId)),
    plan: async (hubId) => (check(hubId), agent.plan(hubId)),

    retryTask: async (hubId, taskId, trigger) => (check(hubId, TASK_RETRY_RIGHT), agent.retryTask(hubId, taskId, trigger)), // an owner's (their hub's health lists failed tasks)
    task: async (id) => visibleTask(await agent.task(id)),
    findTask: async (id) => visibleTask(await agent.findTask(id)),
    async tasks(query) {
      const v = viewer();
      if (v.admin) return agent.tasks(query);
      if (query.hubId) return (check(query.hubId), agent.tasks(query));
      // Each hub's tasks after the cursor, merged in the list's order (task-cursor.ts); the merged
      // page's last task is the next cursor, so a manager of several hubs pages stably too.
      const hubIds = await ownHubs(v);
      const offset = query.offset ?? 0;
      const limit = query.limit ?? 100;
      if (hubIds.length === 1) return agent.tasks({ ...query, hubId: hubIds[0], offset, limit });
      const pages = [];
      for (const hubId of hubIds) pages.push(await agent.tasks({ ...query, hubId, offset: 0, limit: offset + limit }));
      const merged = pages.flatMap((p) => p.items).sort(compareTaskPlaces);
      const items = merged.slice(offset, offset + limit);
      const more = items.length > 0 && (merged.length > offset + limit || pages.some((p) => p.next !== undefined));
      return { total: pages.reduce((n, p) => n + p.total, 0), items, ...(more ? { next: taskCursorOf(items.at(-1)!) } : {}) };
    },
    async audit(query) {
      const v = viewer();
      if (v.admin) return agent.audit(query);
      if (query.hubId) return (check(query.hubId), agent.audit(query));
      return acrossHubs(await ownHubs(v), query.offset ?? 0, query.limit ?? 100, (hubId, offset, limit) => agent.audit({ ...query, hubId, offset, limit }), bySeq);
    },

    async reports(hubId) {
      const v = viewer();
      if (v.admin) return agent.reports(hubId);
      if (hubId !== undefined) check(hubId);
      return (await agent.reports(hubId)).filter((r) => manages(v, r.hubId));
    },
    async applyReport(reportId, memberIds, trigger) {
      const v = viewer();
      if (v.admin) return agent.applyReport(reportId, memberIds, trigger);
      const report = (await agent.reports()).find((r) => r.id === reportId);
      if (!report || !manages(v, report.hubId)) throw forbidden();
      if (!ranked(v, report.hubId)) return agent.applyReport(reportId, memberIds, trigger);
      // Applying an item removes its seat: not a manager's when it is an owner's, checked again as the apply commits (report-rank.ts).
      const rank = { agent, holdersOf, refuse, aboveViewer: (hub: string, holder: string, what: string, view?: ReadView) => aboveViewer(v, hub, holder, what, view) };
      return applyReportRanked(rank, report, memberIds, trigger);
    },
    async approvals(hubId) {
      const v = viewer();
      if (v.admin) return agent.approvals(hubId);
      if (hubId !== undefined) check(hubId);
      return (await agent.approvals(hubId)).filter((a) => manages(v, a.hubId));
    },
    async decideApproval(approvalId, decision, trigger) {
      const v = viewer();
      if (v.admin) return agent.decideApproval(approvalId, decision, trigger);
      const approval = (await agent.approvals()).find((a) => a.id === approvalId);
      if (!approval || !manages(v, approval.hubId)) throw forbidden();
      const hubId = approval.hubId;
      // Rejecting keeps every seat the halted plan would remove, their own among them: the same
      // decision as exempting it. Approving (taking their own seat away) stays theirs.
      if (decision === 'reject') {
        if (!directory) throw forbidden('this view of the dashboard cannot check whose seats an approval removes');
        for (const memberId of await directory.approvalMembers(hubId, approvalId)) {
          if (await ownRow(v, hubId, memberId)) {
            throw await refuse(hubId, { action: 'approval-rejected', asked: `reject approval ${approvalId}`, subject: { label: `approval ${approvalId}` }, rule: OWN_SEAT }, trigger);
          }
        }
      }
      // Approving runs the plan's removals: not a manager's when one takes from an owner (approval-rank.ts).
      if (decision !== 'approve' || !ranked(v, hubId)) return agent.decideApproval(approvalId, decision, trigger);
      const rank = { agent, holdersOf, operations: directory?.approvalOperations?.bind(directory), refused: directory?.refused?.bind(directory), aboveViewer: (hub: string, holder: string, what: string, view?: ReadView) => aboveViewer(v, hub, holder, what, view) };
      return approveRanked(rank, hubId, approvalId, trigger, (options) => agent.decideApproval(approvalId, decision, trigger, options));
    },

    // Person-wide: administrators only (a person claims their own offers on My access).
    reevaluatePerson: async (person, trigger, options) => (adminOnly(), agent.reevaluatePerson(person, trigger, options)),
    suspendPerson: async (person, suspended, trigger, options) => (adminOnly(), agent.suspendPerson(person, suspended, trigger, options)),
    offers: async (email) => (adminOnly(), agent.offers(email)),
    claimOffer: async (email, offerId, trigger) => (adminOnly(), agent.claimOffer(email, offerId, trigger)),
    // My access calls the agent itself, with the session's own email and IdP ids; no route here does.
    claimOwnOffer: async (person, offerId, trigger) => (adminOnly(), agent.claimOwnOffer(person, offerId, trigger)),
    offboard: async (person, trigger, options) => (adminOnly(), agent.offboard(person, trigger, options)),
  };
  function adminOnly(): void {
    if (!viewer().admin) throw forbidden('only a hubwarden administrator may act on a person across hubs');
  }
  return scoped;
}
