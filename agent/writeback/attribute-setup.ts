import { errorText, type Logger } from '../log/logger.ts';
import type { WritebackClock } from './pacing.ts';
import { ConnectorError } from '../../connectors/sdk/connector-error.ts';
import { TOKEN_ENDPOINT_UNAVAILABLE, type WritebackTarget } from './target.ts';

/**
 * The write-back attributes of each hub, made sure of in its identity provider (Okta custom profile
 * properties, Entra directory extensions) once per IdP per process. Every hub that writes to the IdP
 * gets its attributes together (one listing of the IdP's schema for them all). A refusal is that
 * hub's: when the IdP refuses the attributes of all at once, each hub is tried alone, so one hub the
 * IdP cannot take (an Entra extension name it refuses, https://learn.microsoft.com/graph/api/application-post-extensionproperty;
 * an Okta schema property, https://developer.okta.com/docs/reference/api/schemas/) does not stop
 * write-back for the others. A refused hub is tried again on the next call.
 */
export interface AttributeSetupDeps {
  /** The IdP's write-back target (writeback.ts makes one per IdP). */
  targetFor(idp: string): WritebackTarget;
  /** The hubs that write to the IdP (`hubs[].identityProvider`). */
  hubsOf(idp: string): string[];
  log: Logger;
  clock: WritebackClock;
}

/** Kinds of failure that may be one hub's own: the IdP refused what was asked (https://learn.microsoft.com/graph/errors, https://developer.okta.com/docs/reference/error-codes/). */
const HUB_REFUSALS = new Set(['invalid-argument', 'conflict', 'not-found', 'permission-denied']);

function refusalOfHubs(err: unknown): boolean {
  return err instanceof ConnectorError && HUB_REFUSALS.has(err.kind) && err.providerCode !== TOKEN_ENDPOINT_UNAVAILABLE;
}

export class AttributeSetup {
  /** `idp\0hub` → that hub's attributes ensured by this process (a refusal is forgotten, so asked again). */
  readonly #ensured = new Map<string, Promise<void>>();
  /** When each IdP's attributes were last added or changed here (refusals from before may be over). */
  readonly #changedAt = new Map<string, number>();

  constructor(private readonly deps: AttributeSetupDeps) {}

  /** When this process last added or changed an attribute in the IdP (0: never). */
  changedAt(idp: string): number {
    return this.#changedAt.get(idp) ?? 0;
  }

  /** `hubId`: waits for that hub's attributes only, else for those of every hub on the IdP. Rejects with the IdP's refusal of the hub. */
  ensure(idp: string, hubId?: string): Promise<void> {
    const key = (h: string) => `${idp}\u0000${h}`;
    const all = this.deps.hubsOf(idp);
    const missing = all.filter((h) => !this.#ensured.has(key(h)));
    if (missing.length > 0) {
      const attempt = this.#ensureHubs(idp, missing).catch((err: unknown) => new Map<string, unknown>(missing.map((h) => [h, err])));
      for (const h of missing) {
        const k = key(h);
        const pending: Promise<void> = attempt.then((refused) => {
          if (!refused.has(h)) return;
          if (this.#ensured.get(k) === pending) this.#ensured.delete(k);
          throw refused.get(h);
        });
        pending.catch(() => undefined);
        this.#ensured.set(k, pending);
      }
    }
    return Promise.all((hubId !== undefined ? [hubId] : all).map((h) => this.#ensured.get(key(h)))).then(() => undefined);
  }

  /** Forgets every hub's attributes on the IdP: they are ensured again on the next call. */
  forget(idp: string): void {
    for (const key of [...this.#ensured.keys()]) if (key.startsWith(`${idp}\u0000`)) this.#ensured.delete(key);
  }

  /** Ensures these hubs' attributes; the refusal of each hub the IdP refused (never rejects for one hub's refusal). */
  async #ensureHubs(idp: string, hubIds: readonly string[]): Promise<Map<string, unknown>> {
    const { log } = this.deps;
    const target = this.deps.targetFor(idp);
    const refused = new Map<string, unknown>();
    let changed = false;
    try {
      changed = await target.ensureSchema(hubIds);
    } catch (err) {
      // Only a refusal can be about one hub (a name or type the IdP does not take). Throttled (429),
      // unavailable (5xx, network, a timeout) or a credential refused is the IdP's answer to every
      // hub alike: trying each hub alone sent one more schema read per hub, each with the SDK's own
      // retries, into an IdP that had just said to wait (hubs × retries calls per run).
      if (hubIds.length === 1 || !refusalOfHubs(err)) for (const h of hubIds) refused.set(h, err);
      else {
        for (const h of hubIds) {
          try {
            if (await target.ensureSchema([h])) changed = true;
          } catch (one) {
            refused.set(h, one);
          }
        }
      }
    }
    if (changed) this.#changedAt.set(idp, this.deps.clock.now());
    const ok = hubIds.filter((h) => !refused.has(h));
    if (ok.length > 0) log.info('write-back: attributes ensured', { idp, hubs: ok, changed });
    for (const [h, err] of refused) {
      // No access token to be had (target.ts), or throttled or unavailable: nothing was refused, the attributes are asked for again at the next run.
      const noToken = err instanceof ConnectorError && err.providerCode === TOKEN_ENDPOINT_UNAVAILABLE;
      const passing = err instanceof ConnectorError && (err.kind === 'rate-limited' || err.kind === 'unavailable');
      log.warn(noToken ? 'write-back: the identity provider\'s token endpoint was unavailable; the hub\'s attributes are ensured at the next run'
        : passing ? 'write-back: the identity provider throttled or failed the hub\'s attributes; they are ensured at the next run'
        : 'write-back: the identity provider refused the hub\'s attributes; its write-back waits until they are accepted', { idp, hubId: h, reason: errorText(err) });
    }
    return refused;
  }
}
