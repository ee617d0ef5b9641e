import { Router, type Request, type Response } from 'express';
import type { AgentApi } from '../../agent/api.ts';
import type { AuditInput } from '../../agent/audit/audit-log.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { childLogger, errorText, type Logger } from '../../agent/log/logger.ts';
import type { Store } from '../../agent/store/store.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { Problem, problemHandler, sendProblem } from '../admin/problem.ts';
import { jsonObjectBody } from '../admin/json-body.ts';
import { hookSecretLabel, HOOK_SECRET_LABEL_PURPOSE } from './hook-secret.ts';
import { labelKeyFor, secretMatcher } from '../credentials.ts';
import type { Keyring } from '../../agent/secrets/keyring.ts';
import { eventHookSecretsOf } from '../../config/schema.ts';
import { HookEventLog } from './hook-events.ts';
import { auditSubject, type HookEventRecord } from './hook-event-record.ts';
import { givenUpAudit } from './hook-give-up.ts';
import { clientAddress, FailureLimiter } from '../auth-failures.ts';
import { isTransient } from './transient.ts';
import { inOrder, SupersededEvent } from './event-order.ts';
import { endSessionsOf, sessionPersonOf, withdrawAdminGroup } from '../web/session-revocation.ts';
import { ACTIVATION_INDEX, byPublished, defineActivationIndex, defineSuspensionIndex, eventActionOf, eventHookDelivery, eventOf, outOfWindow, personKey, REACTIVATIONS, SUSPENSION_INDEX, suspensionKey } from './okta-event.ts';
import { allowedGroupsNamed } from '../../agent/desired-state/directory-records.ts';

export interface OktaHookOptions {
  config: LoadedConfig;
  agent: AgentApi;
  store: Store;
  log?: Logger;
  now?: () => number;
  /** The lease on a record being acted on (hook-events.ts; tests shorten it). */
  leaseMs?: number;
  /** The `secrets.keyFile` keyring, for the secrets' log labels (default: read from the key file). */
  keyring?: Keyring;
  /** The failure budget shared with the other credential surfaces (auth-failures.ts; default: one counted in `store`). */
  failures?: FailureLimiter;
}

/** Why /hooks/okta refuses everything on a config without an Okta event hook secret, and the fix. */
const NOT_CONFIGURED = 'no Okta event hook is configured here: set identityProviders.<name>.eventHookSecret (an identity provider of kind okta) and restart hubwarden (docs/okta-workflows.md)';

/** A Router that also says when the work of accepted deliveries has finished (tests, shutdown). */
export type HookRouter = Router & { settled(): Promise<void> };

/**
 * Okta Event Hooks at `/hooks/okta` (https://developer.okta.com/docs/concepts/event-hooks/). Okta waits
 * 3 s, retries once, never retries a 4xx, and delivers at least once and possibly out of order. So:
 * authenticate, validate, record the events not seen before (by uuid, in the store), answer 200,
 * and only then act, oldest `published` first: ask the agent to offboard or re-evaluate the person.
 */
export function createOktaHookRouter(options: OktaHookOptions): HookRouter & { stop(): void } {
  const { config, agent } = options;
  const log = options.log ?? childLogger('okta-event-hook');
  const seen = new HookEventLog(options.store, options.now, undefined, options.leaseMs, givenUpAudit);
  defineSuspensionIndex(options.store);
  defineActivationIndex(options.store);
  const pending = new Set<Promise<void>>();
  const failures = options.failures ?? new FailureLimiter({}, options.now ?? Date.now, options.store);

  // Several Okta orgs may be configured; the delivery belongs to the one whose secret it carries.
  // An org holds two while its secret is rotated (config/schema.ts); each is matched on its own, and
  // the one used is logged by its keyed label, so an operator sees when the old one is no longer sent.
  const secrets = Object.entries(config.file.identityProviders).flatMap(([idp, p]) =>
    p.kind === 'okta' ? eventHookSecretsOf(p).map((ref, i) => ({ idp, value: config.secret(ref).reveal(), at: `eventHookSecret${typeof p.eventHookSecret === 'string' ? '' : `[${i}]`}`, rotating: typeof p.eventHookSecret !== 'string' && eventHookSecretsOf(p).length > 1 })) : [],
  );
  // Labels are made only while an org holds two (the key file is read then, once, at start).
  const labelKey = secrets.some((s) => s.rotating) ? labelKeyFor(HOOK_SECRET_LABEL_PURPOSE, config.pathOf(config.file.secrets.keyFile), options.keyring) : undefined;
  const described = secrets.map((s) => ({ ...s, label: s.rotating ? hookSecretLabel(labelKey!, s.value) : '' }));
  const secretOf = secretMatcher(described.map((s, i) => [String(i), s.value] as [string, string]));

  const router = Router();

  // One-time verification: echo the challenge (https://developer.okta.com/docs/concepts/event-hooks/).
  // Okta's only GET. Okta's docs do not say whether it carries the hook's Authorization header:
  // one without it is answered; one with a secret that is not configured is refused as a delivery
  // is (and counted), so Verify fails for a hook whose every delivery would be refused 401.
  router.get('/okta', async (req, res) => {
    const challenge = req.get('x-okta-verification-challenge');
    if (!challenge) {
      sendProblem(res, new Problem(400, 'invalid-request', 'expected the X-Okta-Verification-Challenge header'), req.originalUrl);
      return;
    }
    // With no secret configured every delivery is refused 401, which Okta never retries: a hook
    // verified now would lose every event in silence. Fail the Verify button instead, saying why.
    if (secrets.length === 0) {
      log.warn(`okta event hook: verification refused: ${NOT_CONFIGURED}`);
      sendProblem(res, new Problem(404, 'not-found', NOT_CONFIGURED), req.originalUrl);
      return;
    }
    const presented = req.get('authorization');
    if (presented !== undefined && secretOf(presented) === undefined) {
      await refuseWrongSecret(req, res, presented, 'verification');
      return;
    }
    res.json({ verification: challenge });
  });

  /** A wrong secret: counted in the failure budget shared by replicas (auth-failures.ts); past it 429 (RFC 6585 §4), else 401. */
  async function refuseWrongSecret(req: Request, res: Response, presented: string | undefined, what: string): Promise<void> {
    const wait = presented ? await failures.fail('hook', clientAddress(req)).catch((err: Error) => {
      log.warn(`okta event hook: cannot count a wrong secret: ${err.message}`);
      return 0;
    }) : 0;
    if (wait > 0) {
      log.warn(`okta event hook: ${what} refused: too many wrong secrets from ${clientAddress(req)}; retry in ${wait} s`);
      sendProblem(res, new Problem(429, 'too-many-attempts', `too many wrong event hook secrets from this address; retry in ${wait} s`, undefined, { 'Retry-After': String(wait) }), req.originalUrl);
      return;
    }
    if (secrets.length === 0) {
      log.warn(`okta event hook: ${what} refused: ${NOT_CONFIGURED}`);
      sendProblem(res, new Problem(401, 'unauthenticated', NOT_CONFIGURED), req.originalUrl);
      return;
    }
    log.warn(`okta event hook: ${what} refused: the Authorization header matches no identityProviders.<okta>.eventHookSecret`);
    sendProblem(res, new Problem(401, 'unauthenticated', 'the Authorization header is not the configured event hook secret'), req.originalUrl);
  }

  router.post(
    '/okta',
    async (req, res, next) => {
      const presented = req.get('authorization');
      const index = secretOf(presented);
      const used = index === undefined ? undefined : described[Number(index)];
      if (!used) {
        // The secret is checked first: a right one always passes, whatever others got wrong from
        // the same address; only a wrong one is counted (a request without one is not a guess).
        await refuseWrongSecret(req, res, presented, 'delivery');
        return;
      }
      res.locals.idp = used.idp;
      // Only while two are configured: then the operator waits for the old one to go unused.
      if (used.rotating) log.info(`okta event hook (${used.idp}): delivery authenticated with identityProviders.${used.idp}.${used.at} (${used.label})`);
      next();
    },
    // Room for the most events a delivery may carry (eventHookDelivery: 1000) at a few kB each, as
    // System Log events with client, debugContext and authenticationContext are: at 1 MB a
    // delivery of some 700 such events was refused with a 413, which Okta never retries
    // (https://developer.okta.com/docs/concepts/event-hooks/), losing every event in it. The
    // secret is checked before the body is read.
    ...jsonObjectBody({ limit: '8mb', type: () => true }),
    async (req: Request, res: Response) => {
      const parsed = eventHookDelivery.safeParse(req.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue.path.map(String).join('.') || 'body';
        throw new Problem(400, 'invalid-request', `not an Okta event hook delivery: ${where}: ${issue.message}`, where);
      }
      const idp = String(res.locals.idp);
      const events = parsed.data.data.events;
      // Receipt is recorded durably before Okta hears 200 (a store write takes milliseconds of the
      // 3 s): a crash after the answer loses no event, and a replay finds its uuid taken. If the
      // store cannot write, the 5xx makes Okta retry once.
      const claimed = new Set(await seen.claim('okta', idp, events.map((e) => ({ id: e.uuid, published: e.published, event: eventOf(e) }))).catch((err: Error) => {
        log.error(`okta event hook (${idp}): cannot record the delivery: ${err.message}`);
        throw new Problem(503, 'unavailable', 'the delivery could not be recorded; Okta retries once');
      }));
      res.status(200).end();
      track(seen.tidy());
      if (claimed.size < events.length) log.info(`okta event hook (${idp}): ${events.length - claimed.size} replayed event(s) ignored`);
      // Read back in one round trip (not one per event), in the delivery's order.
      const ids = [...claimed];
      run(seen.getMany('okta', ids).catch((err: unknown) => {
        // Held under our lease: taken again here once it lapses (hook-events.ts pickUp).
        seen.notStarted('okta', ids);
        throw err;
      }));
    },
  );

  router.use(problemHandler(log));

  /** Acts on the records once read (in the background, tracked so `settled` waits for it). */
  function run(read: Promise<Array<Readonly<HookEventRecord>>>): void {
    track(read.then((records) => (records.length === 0 ? undefined : act(records))).catch((err) => {
      log.error(`okta event hook: processing failed: ${(err as Error).message}`);
    }));
  }

  function track(work: Promise<void>): void {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  }

  async function act(records: Array<Readonly<HookEventRecord>>): Promise<void> {
    // Our lease on the records (taken with the claim, or at start-up) is renewed while we work.
    const release = seen.keep('okta', records.map((r) => r.id));
    try {
      await actOn(records);
    } finally {
      release();
    }
  }

  async function actOn(records: Array<Readonly<HookEventRecord>>): Promise<void> {
    const ordered = [...records].sort(byPublished);

    // Several membership changes of one person need one re-evaluation, made after the last of
    // them (it reads the state as of now, which includes all of them).
    const lastReevaluation = new Map<string, string>();
    for (const r of ordered) {
      if (r.event?.person && !r.event.failed && !outOfWindow(r) && eventActionOf(r.event.eventType) === 'reevaluate') lastReevaluation.set(`${r.idp}\u0000${personKey(r.event.person)}`, r.id);
    }

    let stopped: unknown;
    for (const record of ordered) {
      // One event failing (a write of its progress refused, its sessions not ended) stays open and
      // is taken again once our lease lapses; the events after it go on. Stopping here held back
      // every event published after one that fails at every pass: each pass runs them in order.
      // Out of order is safe: a later suspension change or activation supersedes an older one
      // acted on afterwards (laterSuspensionChange, laterActivation).
      await actOnOne(record, ordered, lastReevaluation).catch((err: unknown) => {
        stopped ??= err;
        log.warn(`okta event hook (${record.idp}): event ${record.id}: ${errorText(err)}; acted on again once its lease lapses`);
      });
    }
    if (stopped !== undefined) throw stopped;
  }

  async function actOnOne(record: Readonly<HookEventRecord>, ordered: ReadonlyArray<Readonly<HookEventRecord>>, lastReevaluation: ReadonlyMap<string, string>): Promise<void> {
    const { eventType, person, actor, failed } = record.event ?? { eventType: '(unknown)' };
    const action = eventActionOf(eventType);
    const trigger: Trigger = { type: 'okta-event-hook', idp: record.idp, actor, detail: `${eventType} ${record.id}` };
    const detail = { eventId: record.id, eventType };
    // Before anything, the dashboard too: an event too old or dated ahead is not acted on (okta-event.ts outOfWindow).
    const untimely = outOfWindow(record);
    if (untimely) {
      log.warn(`okta event hook (${record.idp}): event ${record.id} ${eventType} skipped: ${untimely}`);
      // Audited as the other declined events are: those of a type we act on.
      const audit: AuditInput[] = action ? [{ trigger, action, subject: auditSubject(person), why: `Okta event ${eventType}: ${untimely}: nothing done`, outcome: 'skipped', detail }] : [];
      await seen.update('okta', record.id, { state: 'done', outcome: untimely }, audit);
      return;
    }
    // The dashboard first, whatever the agent makes of the person (an administrator may hold no
    // seat on any hub). A store refusing this leaves the record open, taken again once our lease lapses.
    if (person && !failed) await endDashboardAccess(record.event!, trigger, detail);
    if (!action || !person || failed) {
      const why = !action ? `event type ${eventType} not handled` : failed ? 'Okta reports the change failed (outcome.result is not SUCCESS)' : 'no User target';
      // A handled event declined is a decision for the audit log (outcome.result other than SUCCESS:
      // the change did not happen, https://developer.okta.com/docs/reference/api/system-log/#outcome-object);
      // an event type we do not act on is not.
      const audit: AuditInput[] = action ? [{ trigger, action, subject: auditSubject(person), why: `Okta event ${eventType}: ${why}: nothing done`, outcome: 'skipped', detail }] : [];
      await seen.update('okta', record.id, { state: 'done', outcome: why }, audit);
      return;
    }
    if (action === 'reevaluate' && lastReevaluation.get(`${record.idp}\u0000${personKey(person)}`) !== record.id) {
      await seen.update('okta', record.id, { state: 'done', outcome: 'covered by a later re-evaluation in the same delivery' });
      return;
    }
    const later = action === 'suspend' || action === 'unsuspend' ? await laterSuspensionChange(record, ordered)
      : eventType === 'user.lifecycle.deactivate' ? await laterActivation(record, ordered) : undefined;
    if (later) {
      // Out of order across deliveries: the state the later event sets stands (the events of one
      // delivery are applied in published order above; Okta sends deliveries possibly out of order).
      // A deactivation followed by an activation is not acted on, even within one delivery: the
      // person is active now, and an offboarding would remove the seats they hold again.
      const from = ordered.some((b) => b.id === later.id) ? 'in the same delivery' : 'from another delivery';
      const why = `superseded by ${later.event!.eventType} ${later.id} (published ${later.published}), ${from}`;
      await seen.update('okta', record.id, { state: 'done', outcome: why }, [{ trigger, action, subject: auditSubject(person), why: `Okta event ${eventType} (published ${record.published}): ${why}: nothing done`, outcome: 'skipped', detail }]);
      return;
    }
    // The check above sees the events received; the one in the agent's transaction (event-order.ts)
    // sees the events applied, atomically with this change: one of the same person handled at the
    // same moment in another delivery and applied first is not overwritten by this older one.
    // A re-evaluation covers the (re)activations of the person before it in the delivery: it marks the latest.
    const activation = action === 'reevaluate' ? ordered.filter((r) => r.idp === record.idp && r.event?.person && !r.event.failed && !outOfWindow(r) && REACTIVATIONS.has(r.event.eventType) && personKey(r.event.person) === personKey(person) && byPublished(r, record) <= 0).pop() : undefined;
    const order = action === 'suspend' || action === 'unsuspend' ? inOrder(record, 'suspension', true)
      : action === 'offboard' ? inOrder(record, 'activation', true)
      : activation ? inOrder(activation, 'activation', false) : undefined;
    let taskIds: string[];
    try {
      taskIds = action === 'offboard' ? [(await agent.offboard(person, trigger, order)).id]
        : action === 'reevaluate' ? (await agent.reevaluatePerson(person, trigger, order)).map((t) => t.id)
        : (await agent.suspendPerson(person, action === 'suspend', trigger, order)).map((t) => t.id);
    } catch (err) {
      if (err instanceof SupersededEvent) {
        await seen.update('okta', record.id, { state: 'done', outcome: err.message }, [{ trigger, action, subject: auditSubject(person), why: `Okta event ${eventType} (published ${record.published}): ${err.message}: nothing done`, outcome: 'skipped', detail }]);
        return;
      }
      const message = `${action} ${personKey(person)}: ${errorText(err)}`;
      if (isTransient(err)) {
        // Not a refusal: the store or the agent could not serve it now. Recorded "failed", the
        // leaver was never offboarded (Okta heard 200 and does not send the event again). Left
        // open under our lease, which lapses once this delivery's work ends: then this process
        // (or another replica, or a restart) takes the event again (hook-events.ts `pickUp`).
        log.warn(`okta event hook (${record.idp}): event ${record.id} ${eventType}: ${message}; acted on again once its lease lapses`);
        return;
      }
      log.warn(`okta event hook (${record.idp}): event ${record.id} ${eventType}: ${message}`);
      // The agent refused (no such person, …): nothing was changed, and the audit log says so.
      await seen.update('okta', record.id, { state: 'failed', outcome: message }, [{ trigger, action, subject: auditSubject(person), why: `Okta event ${eventType}: ${message}`, outcome: 'failed', detail }]);
      return;
    }
    // Outside the try: a store refusing this write (a database failover) once recorded and audited
    // "failed" for an action the agent had queued. Now the record stays open and is taken again
    // once our lease lapses (hook-events.ts); the agent answers a repeated action with the task
    // already queued (its idempotency key), as for Okta's own at-least-once retry
    // (https://developer.okta.com/docs/concepts/event-hooks/).
    await seen.update('okta', record.id, { state: 'done', taskIds, outcome: `${action} ${personKey(person)}` });
  }

  /**
   * A suspend or unsuspend of the same person published after this one, received in another delivery
   * (the records are kept a week): the person's suspension is what the later one says, so this one
   * is not applied over it. Those of the same delivery (`batch`) are applied in published order.
   * Events whose outcome is not SUCCESS are not filed (okta-event.ts).
   */
  async function laterSuspensionChange(record: Readonly<HookEventRecord>, batch: ReadonlyArray<Readonly<HookEventRecord>>): Promise<Readonly<HookEventRecord> | undefined> {
    const others = await options.store.lookup('hookEvents', SUSPENSION_INDEX, suspensionKey(record.idp, record.event!.person!));
    // An event skipped for its time supersedes nothing either (a forged date ahead would win over every real change).
    return others.filter((r) => !batch.some((b) => b.id === r.id) && !outOfWindow(r) && byPublished(r, record) > 0).sort(byPublished).pop();
  }

  /**
   * An activation or reactivation of the same person published after this deactivation, received in
   * this delivery or another (records are kept a week): the person is active again.
   */
  async function laterActivation(record: Readonly<HookEventRecord>, batch: ReadonlyArray<Readonly<HookEventRecord>>): Promise<Readonly<HookEventRecord> | undefined> {
    const person = record.event!.person!;
    const key = suspensionKey(record.idp, person);
    const inBatch = batch.filter((b) => b.idp === record.idp && b.event?.person && !b.event.failed && REACTIVATIONS.has(b.event.eventType) && suspensionKey(b.idp, b.event.person) === key);
    const stored = await options.store.lookup('hookEvents', ACTIVATION_INDEX, key);
    return [...inBatch, ...stored.filter((r) => !batch.some((b) => b.id === r.id))].filter((r) => !outOfWindow(r) && byPublished(r, record) > 0).sort(byPublished).pop();
  }

  /**
   * A person deactivated or suspended in Okta loses every dashboard session; one taken out of a
   * group in `server.oidc.allowedGroups` loses the administrator rights that group gave their
   * sessions (session-revocation.ts).
   */
  async function endDashboardAccess(event: NonNullable<HookEventRecord['event']>, trigger: Trigger, detail: Record<string, unknown>): Promise<void> {
    const person = event.person!;
    const who = sessionPersonOf(person);
    const cause = { trigger, subject: auditSubject(person), detail };
    if (event.eventType === 'user.lifecycle.deactivate' || event.eventType === 'user.lifecycle.suspend') {
      const how = event.eventType === 'user.lifecycle.deactivate' ? 'deactivated' : 'suspended';
      await endSessionsOf(options.store, who, { ...cause, why: `Okta event ${event.eventType}: ${personKey(person)} was ${how} in Okta: their dashboard sessions end` });
      return;
    }
    const allowed = config.file.server.oidc?.allowedGroups ?? [];
    const group = event.group;
    // By name as configured (allowedGroupsNamed: Okta may spell it in another Unicode form), as sessions record it.
    const named = group?.name === undefined ? undefined : allowedGroupsNamed(allowed, [group.name])[0];
    if (event.eventType === 'group.user_membership.remove' && group && (allowed.some((g) => g === group.id) || named !== undefined)) {
      await withdrawAdminGroup(options.store, who, { ...group, ...(named !== undefined ? { name: named } : {}) }, { ...cause, why: `Okta event ${event.eventType}: ${personKey(person)} left ${group.name ?? group.id}, one of server.oidc.allowedGroups: their sessions lose the administrator rights it gave` });
    }
  }

  // Events received before a restart and not yet acted on, unless another replica acts on them; on
  // a shared store, also those of a replica that died holding them, as their lease lapses.
  const startup = seen.pickUp('okta', () => true, (records) => run(Promise.resolve(records))).catch((err: Error) => {
    log.error(`okta event hook: cannot read the events received before the restart: ${err.message}`);
  });
  pending.add(startup);
  void startup.finally(() => pending.delete(startup));

  return Object.assign(router, {
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    stop() {
      seen.close();
    },
  });
}
