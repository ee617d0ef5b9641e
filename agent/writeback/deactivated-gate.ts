import { PROBLEM_RETRY_MS } from './writeback-state.ts';

/**
 * Whether to try again the people an IdP refused because they are deactivated there (problem
 * `deactivated`). That refusal follows one org-wide setting (Okta's "Edit Deactivated User Profile
 * Updates"), and deactivated users pile up, so they are not retried one by one every day: once a
 * day per IdP one of them is tried (the probe), the others wait for its outcome and are written only
 * if it landed. Kept in memory: after a restart a person whose refusal is over a day old probes.
 */
export type GateDecision =
  | { go: true; /** Set when this write is the probe: call with its outcome. */ probe?: (outcome: ProbeOutcome) => void }
  | { go: false; retryAfter: number };

/** `unknown`: the probe neither landed nor was refused for this reason (5xx, another refusal). */
export type ProbeOutcome = 'landed' | 'refused' | 'unknown';

interface IdpGate {
  /** Last time a person was refused for being deactivated. */
  refusedAt?: number;
  /** A probe landed since: the setting is on. */
  allowed?: boolean;
  probe?: Promise<ProbeOutcome>;
}

export class DeactivatedGate {
  private readonly byIdp = new Map<string, IdpGate>();

  constructor(private readonly now: () => number) {}

  /** For a person refused as deactivated at `problemAt`, with the same values to write again. */
  async admit(idp: string, problemAt: number): Promise<GateDecision> {
    const gate = this.gateOf(idp);
    if (gate.probe) {
      const outcome = await gate.probe;
      if (outcome === 'landed') return { go: true };
      // Refused: tried again a day after; unknown: the next run probes again.
      return { go: false, retryAfter: outcome === 'refused' ? (gate.refusedAt ?? problemAt) + PROBLEM_RETRY_MS : this.now() };
    }
    if (gate.allowed) return { go: true };
    const last = Math.max(gate.refusedAt ?? 0, problemAt);
    if (this.now() - last < PROBLEM_RETRY_MS) return { go: false, retryAfter: last + PROBLEM_RETRY_MS };
    let settle!: (outcome: ProbeOutcome) => void;
    gate.probe = new Promise((resolve) => { settle = resolve; });
    return {
      go: true,
      probe: (outcome) => {
        gate.probe = undefined;
        if (outcome === 'landed') gate.allowed = true;
        if (outcome === 'refused') this.refused(idp);
        settle(outcome);
      },
    };
  }

  /** Someone was refused for being deactivated: the setting is off (again). */
  refused(idp: string): void {
    const gate = this.gateOf(idp);
    gate.allowed = false;
    gate.refusedAt = this.now();
  }

  private gateOf(idp: string): IdpGate {
    let gate = this.byIdp.get(idp);
    if (!gate) this.byIdp.set(idp, (gate = {}));
    return gate;
  }
}
