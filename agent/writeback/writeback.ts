import { errorText } from '../log/logger.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { isConnectorError } from '../../connectors/sdk/connector-error.ts';
import { changedFields, WRITEBACK_FIELDS, type WritebackValues } from './attributes.ts';
import { DeactivatedGate, type ProbeOutcome } from './deactivated-gate.ts';
import { createEntraTarget } from './entra-target.ts';
import { createOktaTarget } from './okta-target.ts';
import { systemClock, TokenBucket } from './pacing.ts';
import { classifyFailure } from './problem-of.ts';
import type { WritebackTarget } from './target.ts';
import { emptiesToClear, PROBLEM_RETRY_MS, remark, seatMark, type WritebackProblem, type WritebackStateRecord } from './writeback-state.ts';
import { createLeasedRuns } from './leased-run.ts';
import { LeaseLostError, withFence, type LeaseFence } from './lease-fence.ts';
import { AttributeSetup } from './attribute-setup.ts';
import { WRITEBACK_LEASE_MS } from './run-lease.ts';
import { deniedProblem, recordRunOutcome, RUN_PROBLEMS, runProblemOf } from './run-outcome.ts';
import { peopleToWrite, sameDestination, shuffled, type Person } from './people-to-write.ts';
import type { ReportedProblem, Writeback, WritebackDeps, WritebackReport } from './writeback-types.ts';

export type { ReportedProblem, Writeback, WritebackDeps, WritebackReport, WritebackTuning } from './writeback-types.ts';

/** Passing failures in a row (no update landing between them) after which a run stops: the IdP is failing, not one person. */
export const PASSING_FAILURES_TO_STOP = 10;

/**
 * Updates refused as not permitted (403) in a row, none landing between them, after which a run
 * stops: the app lacks the permission to update users at all (Entra User.ReadWrite.All not
 * consented, an Okta token whose admin may not edit users), not a few privileged users.
 */
export const PERMISSION_DENIALS_TO_STOP = 10;

const DEFAULT_RATE = { okta: { perSecond: 10, burst: 10 }, entra: { perSecond: 10, burst: 10 } };

export function createWriteback(deps: WritebackDeps): Writeback {
  const { config, store, log } = deps;
  const clock = deps.clock ?? systemClock;
  const tuning = deps.tuning ?? {};
  const targets = new Map<string, WritebackTarget>();
  const buckets = new Map<string, TokenBucket>();
  const reveal = (ref: string) => config.secret(ref).reveal();
  const deactivated = new DeactivatedGate(() => clock.now());

  function targetFor(idp: string): WritebackTarget {
    let target = targets.get(idp);
    if (target) return target;
    const provider = config.file.identityProviders[idp];
    if (!provider) throw new Error(`write-back: no identity provider named "${idp}" under identityProviders`);
    const rate = { ...DEFAULT_RATE[provider.kind], ...tuning.rate?.[provider.kind] };
    const bucket = new TokenBucket(rate.perSecond, rate.burst ?? rate.perSecond, clock);
    buckets.set(idp, bucket);
    target = provider.kind === 'okta'
      ? createOktaTarget(idp, provider, reveal, { bucket, clock, maxRetries: tuning.okta?.maxRetries ?? 2, resetMarginMs: tuning.okta?.resetMarginMs ?? 1000, ...(tuning.okta?.reservedShare !== undefined ? { reservedShare: tuning.okta.reservedShare } : {}) })
      : createEntraTarget(idp, provider, reveal, { bucket, retry: { maxRetries: tuning.entra?.maxRetries ?? 3, delaySeconds: tuning.entra?.delaySeconds ?? 3 } });
    targets.set(idp, target);
    return target;
  }

  /** Each hub's attributes, ensured once per IdP per process (attribute-setup.ts). */
  const attributes = new AttributeSetup({
    targetFor,
    hubsOf: (idp) => config.file.hubs.filter((h) => h.identityProvider === idp).map((h) => h.id),
    log,
    clock,
  });

  /** On a store replicas share: one run of a hub at a time across them (leased-run.ts). */
  const runLeased = createLeasedRuns({ store, clock, log, config, leaseMs: tuning.leaseMs ?? WRITEBACK_LEASE_MS, runNow, runAgain: (hubId) => run(hubId, true) });

  /** Runs for the same hub queue behind each other (two checks for updates finishing together). */
  const running = new Map<string, Promise<unknown>>();
  function run(hubId: string, onlyIfAsked = false): Promise<WritebackReport> {
    const next = (running.get(hubId) ?? Promise.resolve()).catch(() => undefined).then(() => (store.shared ? runLeased(hubId, onlyIfAsked) : runNow(hubId)));
    running.set(hubId, next);
    void next.finally(() => {
      if (running.get(hubId) === next) running.delete(hubId);
    }).catch(() => undefined);
    return next;
  }

  /**
   * `halted`: why the run must stop before its next person (its lease was lost), if it must. `fence`: confirms the lease
   * before each IdP request (lease-fence.ts); values are read here, after the lease was taken, and never sent once it was taken over.
   */
  async function runNow(hubId: string, halted: () => string | undefined = () => undefined, fence?: LeaseFence): Promise<WritebackReport> {
    const started = clock.now();
    const hub = config.file.hubs.find((h) => h.id === hubId);
    if (!hub) throw new Error(`write-back: no hub "${hubId}" in ${config.path}`);
    const report: WritebackReport = { hubId, written: 0, unchanged: 0, failed: 0, skipped: 0, problems: [], waitedMs: 0, durationMs: 0 };
    if (!hub.identityProvider) {
      await outcome(hubId, undefined, undefined);
      return { ...report, note: `hub ${hubId} has no identityProvider: nothing to write back` };
    }
    const idp = hub.identityProvider;
    report.idp = idp;
    const target = targetFor(idp);
    try {
      await attributes.ensure(idp, hubId);
    } catch (err) {
      await outcome(hubId, idp, runProblemOf(target.kind, 'attributes', err));
      throw err;
    }

    // In a new order each run: people the IdP fails every time for a passing reason (a 5xx on
    // certain users) would otherwise come first every run and, PASSING_FAILURES_TO_STOP of them
    // in a row, stop it before anyone after them was ever written.
    const queue = shuffled(await peopleToWrite(store, target, hubId, new Date(clock.now())));
    let stop: string | undefined;
    let refusedAsInvalid = false;
    // Passing failures (5xx, throttled past the retries, network) since the last update that
    // landed: an IdP that is down fails everyone, so the run stops instead of spending every
    // person's retries and writing a failure entry for each of 100k people on every run.
    let failingInARow = 0;
    // Passing failures in the whole run: a run with fewer people to send than PASSING_FAILURES_TO_STOP,
    // every one of them failing so, never stops, yet the IdP is as unreachable as for a stopped run.
    let failedPassing = 0;
    // Refused as not permitted since the last update that landed, and when each was recorded.
    let deniedInARow = 0;
    let deniedStop = false;
    // What stopped the run, in fixed words for hub health (run-outcome.ts); none when the lease was lost (another replica runs it).
    let stopProblem: string | undefined;
    const denied: Array<{ id: string; at: string }> = [];
    const worker = async () => {
      // `stop` is looked at before a person is taken: one taken after it would be neither written nor counted.
      while (!(stop ??= halted())) {
        const next = queue.shift();
        if (!next) break;
        await withFence(fence, () => writeOne(target, hubId, next.person, next.values, report, halted, next.seatless)).then((outcome) => {
          if (outcome === 'rejected') refusedAsInvalid = true;
          if (outcome === 'written') failingInARow = deniedInARow = 0;
          if (typeof outcome === 'object' && 'denied' in outcome) {
            denied.push({ id: next.person.id, at: outcome.denied });
            if (++deniedInARow >= PERMISSION_DENIALS_TO_STOP && !stop) {
              deniedStop = true;
              stopProblem = deniedProblem(target.kind);
              stop = `${idp} refused ${deniedInARow} updates in a row as not permitted (last: ${outcome.message}); check that the app may update users (Entra: the User.ReadWrite.All application permission, consented; Okta: okta.users.manage, and an admin role that may edit these users); the rest are sent on the next run`;
            }
            return;
          }
          if (typeof outcome === 'object') failedPassing++;
          if (typeof outcome === 'object' && ++failingInARow >= PASSING_FAILURES_TO_STOP && !stop) {
            stopProblem = RUN_PROBLEMS.unreachable;
            stop = `${idp} failed ${failingInARow} updates in a row for a passing reason (last: ${outcome.retry}); the rest are sent on the next run`;
          }
        }, (err: unknown) => {
          stop = errorText(err);
          // A refused credential, no access token to be had; a lost lease is no failure of the hub (another replica runs it).
          if (!(err instanceof LeaseLostError)) stopProblem = runProblemOf(target.kind, 'updates', err);
        });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, tuning.concurrency ?? 4) }, worker));
    // A person refused as invalid (400) may be refused because one of our attributes is gone or
    // was changed in the IdP since this process ensured them (an admin deleted the Entra extension
    // or edited the Okta attribute; both are admin operations: https://learn.microsoft.com/graph/api/extensionproperty-delete,
    // https://developer.okta.com/docs/reference/api/schemas/): ensure them again on the next run,
    // and those refused before a change it makes are tried again then instead of a day later.
    if (refusedAsInvalid) attributes.forget(idp);
    if (deniedStop) await forgetDenials(hubId, target, denied);
    if (stop) {
      report.failed += queue.length;
      report.note = `stopped: ${stop}`;
      report.stopped = stop;
    }
    // Everyone sent failed for a passing reason (report.failed counts them and per-person refusals
    // alike), none landing: the hub's write-back failed as a whole, however few were sent.
    const unreachable = !stop && failedPassing > 0 && report.written === 0 && report.failed === failedPassing;
    if (unreachable) report.note = `${idp} failed all ${failedPassing} updates sent for a passing reason; they are sent again on the next run`;
    if (!stop || stopProblem) await outcome(hubId, idp, stopProblem ?? (unreachable ? RUN_PROBLEMS.unreachable : undefined));
    report.waitedMs = buckets.get(idp)?.waitedMs ?? 0;
    report.durationMs = clock.now() - started;
    const level = report.failed > 0 || stop ? 'warn' : 'info';
    log[level]('write-back: run finished', { hubId, idp, written: report.written, unchanged: report.unchanged, failed: report.failed, skipped: report.skipped, problems: report.problems.length, note: report.note });
    return report;
  }

  /** Records how the run ended for hub health (run-outcome.ts); a store refusing it fails no run. */
  async function outcome(hubId: string, idp: string | undefined, problem: string | undefined): Promise<void> {
    await recordRunOutcome(store, hubId, idp, new Date(clock.now()).toISOString(), problem).catch((err: unknown) => {
      log.warn('write-back: recording how the run ended for hub health failed', { hubId, reason: errorText(err) });
    });
  }

  /**
   * Writes one person's changed attributes; says `written` when they landed, `rejected` when the
   * IdP refused them as invalid, `retry` (with why) when they failed for a passing reason (sent
   * again on the next run). Throws only when the whole run must stop.
   */
  async function writeOne(target: WritebackTarget, hubId: string, user: Person, values: WritebackValues, report: WritebackReport, halted: () => string | undefined, seatless?: true): Promise<'written' | 'rejected' | { retry: string } | { denied: string; message: string } | undefined> {
    const idp = target.idp;
    const idpUserId = user.idpUserId;
    const state = await store.get('writebackState', hubId, user.id);
    const sameTarget = !!state && sameDestination(state, target) && state.idpUserId === idpUserId;
    const changed = changedFields(sameTarget ? state.written : undefined, values);
    const clear = sameTarget ? emptiesToClear(target.kind, state, values) : [];
    const fields = WRITEBACK_FIELDS.filter((f) => changed.includes(f) || clear.includes(f));
    if (fields.length === 0) {
      report.unchanged++;
      // Same values, another reason for a `removed` (writeback-state.ts `seatless`): the store only.
      const remarked = user.departed ? undefined : remark(state!, seatless);
      if (remarked) await store.transact((tx) => tx.put('writebackState', hubId, user.id, remarked));
      return undefined;
    }
    if (user.departed && user.heldBy) {
      // The id written to now names another directory user of the hub: "removed" sent there would
      // overwrite that person's own standing (and their record, written already, would never send
      // it again). Nobody is left to tell: what was written for the departed one is forgotten.
      report.skipped++;
      deps.onOutcome?.(idp, 'skipped');
      await store.transact((tx) => {
        tx.delete('writebackState', hubId, user.id);
        appendAudit(tx, {
          hubId, trigger: { type: 'agent', idp, detail: 'write-back' }, action: 'writeback.update',
          subject: { directoryUserId: user.id, label: idpUserId },
          why: `status ${JSON.stringify(state?.written?.status ?? null)} → "removed": not sent, ${idpUserId} now names directory user ${user.heldBy}, who is written their own standing; nothing left to write for the departed user`,
          outcome: 'skipped', detail: { idp, attributes: fields },
        });
      });
      return undefined;
    }
    const now = clock.now();
    const problem = sameTarget ? state.problem : undefined;
    let probe: ((outcome: ProbeOutcome) => void) | undefined;
    if (problem && sameValues(problem.values, values)) {
      let retryAfter: number | undefined;
      if (problem.kind === 'deactivated') {
        const decision = await deactivated.admit(idp, Date.parse(problem.at));
        if (decision.go) probe = decision.probe;
        else retryAfter = decision.retryAfter;
      } else if (problem.kind === 'rejected' && attributes.changedAt(idp) > Date.parse(problem.at)) {
        // Refused before the attributes were registered again: try now (see runNow).
      } else if (now - Date.parse(problem.at) < PROBLEM_RETRY_MS) {
        retryAfter = Date.parse(problem.at) + PROBLEM_RETRY_MS;
      }
      if (retryAfter !== undefined) {
        report.skipped++;
        report.problems.push(reported(problem, user, idpUserId, retryAfter));
        deps.onOutcome?.(idp, 'skipped');
        return undefined;
      }
    }
    const sent = Object.fromEntries(fields.map((f) => [f, values[f]])) as Partial<WritebackValues>;
    const { destination } = target;
    const base: WritebackStateRecord = { hubId, directoryUserId: user.id, idp, destination, idpUserId, ...(sameTarget && state.written ? { written: state.written, writtenAt: state.writtenAt } : {}) };
    const trigger = { type: 'agent' as const, idp, detail: 'write-back' };
    const subject = { directoryUserId: user.id, ...(user.email ? { email: user.email } : {}), label: idpUserId };
    const why = `${fields.map((f) => `${f} ${JSON.stringify(sameTarget ? state.written?.[f] ?? null : null)} → ${JSON.stringify(values[f])}`).join(', ')}`;
    try {
      await updateFound(target, user, hubId, sent);
    } catch (err) {
      // The lease was lost (lease-fence.ts): the run stops; this person is left to the run holding the hub now.
      const lostLease = err instanceof LeaseLostError ? err : halted() !== undefined ? new LeaseLostError(halted()) : undefined;
      if (lostLease) { probe?.('unknown'); report.failed++; throw lostLease; }
      const verdict = classifyFailure(err);
      const message = errorText(err);
      const refusedAsDeactivated = 'problem' in verdict && verdict.problem === 'deactivated';
      if (probe) probe(refusedAsDeactivated ? 'refused' : 'unknown');
      else if (refusedAsDeactivated) deactivated.refused(idp);
      if ('stopRun' in verdict) {
        // The run stops (a refused credential); this update, refused with it, is counted and audited
        // as failed. Else the people in flight at the stop (one per worker) were in no count or audit.
        report.failed++;
        deps.onOutcome?.(idp, 'failed');
        await store.transact((tx) => appendAudit(tx, { hubId, trigger, action: 'writeback.update', subject, why: `${why}: ${message}; the run stopped, sent again on the next run`, outcome: 'failed', detail: { idp, attributes: fields, retry: 'next-run' } }));
        throw err;
      }
      if (user.departed && 'problem' in verdict && verdict.problem === 'not-found') {
        // Gone from the directory and from the IdP too (Entra hard-deletes the object when its
        // SCIM client sends DELETE: https://learn.microsoft.com/entra/identity/app-provisioning/how-provisioning-works):
        // nobody is left to carry the value. Kept as a problem, they would be retried every day
        // and listed in every report for ever, for no admin to fix.
        report.skipped++;
        deps.onOutcome?.(idp, 'skipped');
        await store.transact((tx) => {
          tx.delete('writebackState', hubId, user.id);
          appendAudit(tx, { hubId, trigger, action: 'writeback.update', subject, why: `${why}: not sent, the user no longer exists in the identity provider (${message}); nothing left to write`, outcome: 'skipped', detail: { idp, attributes: fields } });
        });
        return undefined;
      }
      report.failed++;
      deps.onOutcome?.(idp, 'failed');
      if ('problem' in verdict) {
        const p: WritebackProblem = { kind: verdict.problem, message, at: new Date(now).toISOString(), values };
        report.problems.push(reported(p, user, idpUserId));
        log.warn('write-back: person refused by the identity provider', { hubId, idp, directoryUserId: user.id, idpUserId, problem: p.kind, reason: message });
        await store.transact(async (tx) => {
          // What was written before is kept beside the problem: read it where it is replaced.
          const current = await tx.get('writebackState', hubId, user.id);
          const kept = current && sameDestination(current, target) && current.idpUserId === idpUserId && current.written ? { written: current.written, writtenAt: current.writtenAt, ...seatMark(current.written, current.seatless), ...(current.noneAsNull ? { noneAsNull: true as const } : {}) } : {};
          tx.put('writebackState', hubId, user.id, { hubId, directoryUserId: user.id, idp, destination, idpUserId, ...kept, problem: p });
          appendAudit(tx, { hubId, trigger, action: 'writeback.update', subject, why: `${why}: ${message}`, outcome: 'failed', detail: { idp, problem: p.kind, attributes: fields } });
        });
        if (p.kind === 'permission-denied') return { denied: p.at, message };
        return p.kind === 'rejected' ? 'rejected' : undefined;
      } else {
        log.warn('write-back: update failed, will retry on the next run', { hubId, idp, directoryUserId: user.id, idpUserId, reason: message });
        // Not written: audited as failed (a passing failure, sent again on the next run), as a
        // lasting refusal is, rather than left to the log.
        await store.transact((tx) => {
          appendAudit(tx, { hubId, trigger, action: 'writeback.update', subject, why: `${why}: ${message}; sent again on the next run`, outcome: 'failed', detail: { idp, attributes: fields, retry: 'next-run' } });
        });
        return { retry: message };
      }
      return undefined;
    }
    probe?.('landed');
    report.written++;
    deps.onOutcome?.(idp, 'ok');
    await store.transact((tx) => {
      tx.put('writebackState', hubId, user.id, { ...base, written: values, writtenAt: new Date(clock.now()).toISOString(), ...seatMark(values, seatless), noneAsNull: true });
      appendAudit(tx, { hubId, trigger, action: 'writeback.update', subject, why, outcome: 'ok', detail: { idp, attributes: fields } });
    });
    return 'written';
  }

  /**
   * After a run stopped because the IdP refused everyone as not permitted: the refusals it recorded
   * are the app's missing permission, not these people's, so they are not held back a day each
   * (PROBLEM_RETRY_MS): their problems are dropped (the audit keeps each refusal) and they are sent
   * on the next run. The target renews its access token, whose permissions were fixed when it was
   * issued (Entra puts the app's consented permissions in the token's `roles` claim,
   * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference), so a
   * permission granted meanwhile counts on the next run.
   */
  async function forgetDenials(hubId: string, target: WritebackTarget, denied: ReadonlyArray<{ id: string; at: string }>): Promise<void> {
    target.renewCredentials?.();
    for (const { id, at } of denied) {
      await store.transact(async (tx) => {
        const state = await tx.get('writebackState', hubId, id);
        if (!state || state.problem?.kind !== 'permission-denied' || state.problem.at !== at) return;
        const { problem: _dropped, ...rest } = state;
        if (rest.written) tx.put('writebackState', hubId, id, rest);
        else tx.delete('writebackState', hubId, id);
      });
    }
  }

  /**
   * The update, through the id the person is written to; when the IdP does not know it (404) and
   * the person has an IdP user id besides (`fallbackId`), through that. Okta's and Microsoft's
   * documentation write users as `/users/{id}`: an IdP (or emulator) that takes only ids, whose ids are not of the form
   * `idpUserIdOf` recognises, would otherwise refuse everyone as missing. `idpUserId` stays the
   * id recorded, so a person's values are not taken for written elsewhere.
   */
  async function updateFound(target: WritebackTarget, user: Person, hubId: string, sent: Partial<WritebackValues>): Promise<void> {
    try {
      await target.update(user.idpUserId, hubId, sent);
    } catch (err) {
      if (!user.fallbackId || !isConnectorError(err) || err.kind !== 'not-found') throw err;
      try {
        await target.update(user.fallbackId, hubId, sent);
      } catch (second) {
        // Missing by both: the first answer stands; found by the second, its answer says more.
        throw isConnectorError(second) && second.kind === 'not-found' ? err : second;
      }
    }
  }

  return {
    async ensureSchema() {
      const idps = new Set(config.file.hubs.map((h) => h.identityProvider).filter((x): x is string => !!x));
      for (const idp of idps) await attributes.ensure(idp);
    },
    run: (hubId: string) => run(hubId),
  };
}

function sameValues(a: WritebackValues, b: WritebackValues): boolean {
  return WRITEBACK_FIELDS.every((f) => a[f] === b[f]);
}

function reported(p: WritebackProblem, user: Person, idpUserId: string, retryAfter = Date.parse(p.at) + PROBLEM_RETRY_MS): ReportedProblem {
  return { ...p, directoryUserId: user.id, userName: user.userName, idpUserId, retryAfter: new Date(retryAfter).toISOString() };
}
