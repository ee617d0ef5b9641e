/**
 * Every change a check for updates found in the app goes to the audit log, one entry each, with
 * who or what it concerns: an owner asks "when did Jane's role change, and who did it?" per
 * person. Staged in the import's transaction.
 */
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import type { Transaction } from '../store/store.ts';
import type { CheckChanges } from './changes.ts';
import { inviteRowId } from '../standing/row-ids.ts';
import { isHeldDrift } from '../safety/drift-holds.ts';

/** `drift`: the hub's `safety.drift` policy, said with each change hubwarden keeps or undoes. */
export function recordChangesInAudit(tx: Transaction, hubId: string, changes: CheckChanges, context: { trigger: Trigger; taskId?: string; drift?: 'report' | 'correct' }): void {
  const base = { hubId, trigger: context.trigger, ...(context.taskId ? { taskId: context.taskId } : {}) };
  for (const d of changes.drift) {
    const policy = !isHeldDrift(d) || !context.drift ? ''
      : context.drift === 'report' ? '; kept: hubwarden does not undo it (safety.drift = report)' : '; hubwarden undoes it (safety.drift = correct)';
    appendAudit(tx, {
      ...base, action: `drift-${d.kind}`, outcome: 'ok', why: d.detail + policy,
      subject: { ...(d.email ? { email: d.email } : {}), ...(d.memberId ? { memberId: d.memberId } : d.inviteId ? { memberId: inviteRowId(d.inviteId) } : {}) },
    });
  }
  for (const m of changes.removedMembers) {
    appendAudit(tx, {
      ...base, action: 'member-left-app', outcome: 'ok', subject: { memberId: m.memberId, ...(m.email ? { email: m.email } : {}) },
      why: `${m.email ?? m.memberId} (${m.role}) is no longer a member in the app`,
    });
  }
  for (const a of changes.acceptedInvites) {
    appendAudit(tx, {
      ...base, action: 'invite-accepted', outcome: 'ok', subject: { memberId: a.memberId, ...(a.email ? { email: a.email } : {}) },
      why: `${a.email ?? a.memberId} accepted invite ${a.inviteId}; asset tasks follow in the reconcile pass`,
      detail: { inviteId: a.inviteId },
    });
  }
  for (const s of changes.systemUserChanges ?? []) {
    const who = s.name ? `system user ${s.name} (${s.systemUserId})` : `system user ${s.systemUserId}`;
    const what = s.change === 'added' ? `added in the app as ${s.role}` : s.change === 'removed' ? `(${s.role}) removed in the app` : `role changed in the app from ${s.from} to ${s.role}`;
    appendAudit(tx, {
      ...base, action: `system-user-${s.change}`, outcome: 'ok', subject: { label: who },
      why: `${who} ${what}, not by hubwarden (it never changes system users): reported only`,
      detail: { systemUserId: s.systemUserId, role: s.role, ...(s.from ? { from: s.from } : {}) },
    });
  }
  for (const p of changes.partnerShareChanges ?? []) {
    const partner = p.name ? `partner ${p.name} (${p.partnerBusinessId})` : `partner ${p.partnerBusinessId}`;
    const asset = `${p.asset.type.replace('_', ' ')} ${p.asset.id}`;
    const tasks = (t: readonly string[]) => `[${t.join(', ')}]`;
    // agency: our asset shared with the partner; client: the partner's asset shared with us.
    const what = p.relation === 'agency'
      ? (p.change === 'shared' ? `our ${asset} shared with ${partner} with ${tasks(p.tasks)}` : p.change === 'unshared' ? `our ${asset} no longer shared with ${partner} (it allowed ${tasks(p.tasks)})` : `our ${asset} shared with ${partner}: tasks changed from ${tasks(p.from ?? [])} to ${tasks(p.tasks)}`)
      : (p.change === 'shared' ? `${partner} shared its ${asset} with us with ${tasks(p.tasks)}` : p.change === 'unshared' ? `${partner} no longer shares its ${asset} with us (it allowed ${tasks(p.tasks)})` : `${partner}'s ${asset} shared with us: tasks changed from ${tasks(p.from ?? [])} to ${tasks(p.tasks)}`);
    appendAudit(tx, {
      ...base, action: `partner-share-${p.change}`, outcome: 'ok', subject: { label: partner },
      // "Found", not "done in the app": a partner dropped from hubs[].partners of a connector that
      // reads only the configured ones is no longer listed either (the config change is audited on its own).
      why: `${what}: found by this check, not by hubwarden (it never shares or unshares): reported only`,
      detail: { partnerBusinessId: p.partnerBusinessId, relation: p.relation, asset: p.asset, tasks: p.tasks, ...(p.from ? { from: p.from } : {}) },
    });
  }
  // One entry for the hub, not one per share: the shares were there before this check could see
  // them. A first read that found none held nothing back: the type is simply read from now on.
  const baselines = (changes.shareBaselines ?? []).filter((b) => b.shares > 0);
  if (baselines.length > 0) {
    const read = baselines.map((b) => `${b.assetType.replace('_', ' ')} partner shares: ${b.shares} ${b.shares === 1 ? 'share' : 'shares'}`).join('; ');
    appendAudit(tx, {
      ...base, action: 'partner-shares-baseline', outcome: 'ok', subject: { label: `partner shares of hub ${hubId}` },
      why: `first read of ${read} recorded as the baseline (this check is the first that reads them, so they are not reported one by one as newly shared; later checks report each change; the shares are listed in the detail)`,
      detail: { baselines },
    });
  }
  for (const [list, status] of [[changes.expiredInvites, 'expired'], [changes.declinedInvites, 'declined']] as const) {
    for (const i of list) {
      const next = !i.sentByHubwarden ? 'not sent by hubwarden: reported only' : i.resendCount === 0 ? 'hubwarden re-sends it once' : 'already re-sent once: reported to the owner';
      appendAudit(tx, {
        ...base, action: `invite-${status}`, outcome: 'ok', subject: { memberId: inviteRowId(i.inviteId), email: i.email },
        why: `invite ${i.inviteId} for ${i.email} ${status}; ${next}`,
        detail: { inviteId: i.inviteId, resendCount: i.resendCount, sentByHubwarden: i.sentByHubwarden },
      });
    }
  }
}
