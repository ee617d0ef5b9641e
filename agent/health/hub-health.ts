/**
 * A hub's health (agent/api.ts `HubHealth`), from what the store already knows: the queue's hub
 * state (paused on unauthenticated / permission-denied, agent/tasks/hub-state.ts), the last
 * credential check, the last check for updates, the last write-back run, failing tasks and
 * invites about to expire.
 * Read-only and cheap: it is computed for every `hubs()` call (a few records, and one pass over
 * the hub's runs, tasks and invites, read asynchronously).
 */
import type { HubHealth } from '../api.ts';
import type { ReadView } from '../store/store.ts';
import { holdsLaterTasks } from '../tasks/operations/refusal-hold.ts';
import '../tasks/hub-state.ts';
import '../tasks/task-record.ts';
import '../check-for-updates/check-run.ts';
import './credential-check.ts';
import '../writeback/run-outcome.ts';
import { slotBetween } from '../check-for-updates/slot-between.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface HealthPolicy {
  /** Warn when the credential expires within this many days (issue: 14). */
  credentialWarnDays: number;
  /** Pending invites expiring within this many days count as near expiry. */
  inviteWarnDays: number;
  /** Failed tasks younger than this count as failing (a refused invite, for as long as it holds the same invite: refusal-hold.ts). */
  failureWindowMs: number;
  /** A check for updates older than this is a problem (when the hub has a schedule and one of its slots passed a day ago with none since). */
  staleCheckMs: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = { credentialWarnDays: 14, inviteWarnDays: 3, failureWindowMs: DAY_MS, staleCheckMs: 2 * DAY_MS };

const days = (ms: number) => Math.max(0, Math.floor(ms / DAY_MS));

/**
 * `schedule`: the hub's `checkForUpdates.schedule` (true: a schedule, expression unknown). Its
 * checks are stale when the last success is older than `staleCheckMs` and a slot of the schedule
 * passed over a day ago with none since: a weekly or weekday schedule (`0 3 * * 1`, `0 3 * * 1-5`)
 * went 3 to 7 days between successful runs and was shown degraded between its slots.
 */
export async function hubHealth(view: ReadView, hubId: string, now: Date, policy: HealthPolicy = DEFAULT_HEALTH_POLICY, schedule: string | boolean = false): Promise<HubHealth> {
  const problems: string[] = [];
  const t = now.getTime();

  const state = await view.get('hubStates', '', hubId);
  if (state?.paused) problems.push(`paused: ${state.pausedReason ?? state.pausedBy ?? 'the app rejected the credential'}`);

  const cred = await view.get('credentialChecks', '', hubId);
  let credential: HubHealth['credential'];
  if (cred) {
    // Without expiresAt, a credential whose expiry the app did not tell says so (expiryUnknown):
    // the dashboard would otherwise show it as one that never expires.
    credential = { valid: cred.valid, missingScopes: cred.missingScopes, ...(cred.expiresAt ? { expiresAt: cred.expiresAt } : cred.expiryUnknown ? { expiryUnknown: true as const } : {}) };
    if (!cred.valid) problems.push(`app credential is not valid${cred.problem ? `: ${cred.problem}` : ''}`);
    if (cred.missingScopes.length > 0) problems.push(`app credential lacks scopes: ${cred.missingScopes.join(', ')}`);
    if (cred.valid && cred.expiresAt) {
      const left = Date.parse(cred.expiresAt) - t;
      if (left <= 0) problems.push(`app credential expired on ${cred.expiresAt}`);
      else if (left < policy.credentialWarnDays * DAY_MS) problems.push(`app credential expires in ${days(left)} days (${cred.expiresAt})`);
    }
    if (cred.checkError) problems.push(`credential check failed at ${cred.at}: ${cred.checkError}`);
  }

  let lastRun: HubHealth['lastCheckForUpdates'];
  let lastSuccess: string | undefined;
  for await (const run of view.list('checkRuns', hubId)) {
    if (!lastRun || run.finishedAt > lastRun.at) lastRun = { at: run.finishedAt, outcome: run.outcome, taskId: run.id };
    if (run.outcome === 'completed' && (!lastSuccess || run.finishedAt > lastSuccess)) lastSuccess = run.finishedAt;
  }
  const imported = await view.get('appImports', hubId, hubId);
  // An import incomplete because its member or invite listing could not be read whole says why
  // itself (its `unavailable` section, below): the generic line beside it would misstate it.
  const saysWhy = imported?.unavailable?.some((u) => u.section === 'members' || u.section === 'invites');
  if (!imported?.complete && !saysWhy) problems.push('no complete check for updates yet: members and removals wait for one');
  // A section the last import could not read (Meta restricts partner endpoints, a token lacks a
  // scope): the hub works on members and invites, with that section's previous data.
  for (const u of imported?.unavailable ?? []) problems.push(`last check for updates could not read ${u.section} (previous data kept): ${u.message}`);
  if (lastRun?.outcome === 'failed') problems.push(`last check for updates failed (${lastRun.at}); last successful: ${lastSuccess ?? 'never'}`);
  else if (schedule && lastSuccess && t - Date.parse(lastSuccess) > policy.staleCheckMs
    && (typeof schedule !== 'string' || slotBetween(schedule, Date.parse(lastSuccess), t - DAY_MS))) problems.push(`last successful check for updates was ${days(t - Date.parse(lastSuccess))} days ago`);

  // The hub's last write-back run failed or stopped (run-outcome.ts: a record only while it does):
  // the IdP's attributes (group rules on them) stay as last written. A person the IdP refuses alone
  // is no problem of the hub's: the run report and the audit name them.
  const writeback = await view.get('writebackOutcomes', '', hubId);
  if (writeback) problems.push(`write-back to ${writeback.idp} failing since ${writeback.since} (last failed run ${writeback.at}): ${writeback.problem}`);

  let failingTasks = 0;
  for await (const task of view.list('tasks', hubId)) {
    // A failed task an owner retried (agent/tasks/retry-task.ts) is not failing: the task its retry
    // queued counts instead. A refused invite holding the same invite's later tasks for a week
    // (refusal-hold.ts) is failing for as long as it holds: someone is kept from access until an
    // owner retries it, not only for the day of `failureWindowMs`.
    const failedRecently = task.status === 'failed' && !task.retried && (t - Date.parse(task.updatedAt) < policy.failureWindowMs || holdsLaterTasks(task, t));
    // Retrying after errors, not waiting one out: a rate limit (Meta's invite limit holds invites a
    // day) is no failure (docs/operations.md), and attempts that waited for one or for a paused hub
    // are not errors (as the retry table counts them, retry-policy.ts). Counted, a burst of invites
    // waiting out a limit made the hub `degraded` and, since the card shows this count, its
    // "Failing tasks" too.
    const retrying = (task.status === 'waiting' || task.status === 'queued') && task.lastError !== undefined && task.lastError.kind !== 'rate-limited'
      && task.attempts - (task.attemptsWaited ?? 0) >= 3;
    if (failedRecently || retrying) failingTasks++;
  }
  if (failingTasks > 0) problems.push(`${failingTasks} task(s) failing or retrying repeatedly`);

  let invitesNearExpiry = 0;
  for await (const invite of view.list('appInvites', hubId)) {
    if (invite.status !== 'pending' || !invite.expiresAt) continue;
    const left = Date.parse(invite.expiresAt) - t;
    if (left > 0 && left < policy.inviteWarnDays * DAY_MS) invitesNearExpiry++;
  }
  if (invitesNearExpiry > 0) problems.push(`${invitesNearExpiry} pending invite(s) expire within ${policy.inviteWarnDays} days`);

  const status: HubHealth['status'] = state?.paused ? 'paused' : !imported?.complete && !lastRun && !cred ? 'unknown' : problems.length > 0 ? 'degraded' : 'ok';
  const health: HubHealth = { status, problems, failingTasks, invitesNearExpiry };
  if (credential) health.credential = credential;
  if (lastRun) health.lastCheckForUpdates = lastRun;
  if (state?.paused && state.pausedReason) health.pausedReason = state.pausedReason;
  return health;
}
