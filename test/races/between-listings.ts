/**
 * A change to the app's world made between two listings of one read: a handler in front of an
 * emulator (the harnesses' `front`) that, once armed, lets the first call of either listing
 * through, makes the change as soon as that call has been answered, and holds every call of the
 * other listing until the change is made. Whatever order the reader asks in, one listing sees the
 * world before the change and the other after it; no timing decides which.
 */
import type express from 'express';

export interface BetweenListings {
  front: express.RequestHandler;
  /** Makes `change` right after the first listing call answers; `which(req)` names a call's listing (undefined: not one of the two). */
  arm(which: (req: express.Request) => string | undefined, change: () => void): void;
  /** The listing answered first, once armed (undefined until then). */
  first(): string | undefined;
  /** Whether the change was made. */
  changed(): boolean;
  disarm(): void;
}

export function betweenListings(): BetweenListings {
  let armed: { which: (req: express.Request) => string | undefined; change: () => void; first?: string; done: boolean; made: Promise<void>; release(): void } | undefined;
  let last: { first?: string; done: boolean } = { done: false };
  const front: express.RequestHandler = (req, _res, next) => {
    const plan = armed;
    const listing = plan?.which(req);
    if (!plan || !listing) return next();
    if (plan.first === undefined) {
      plan.first = listing;
      _res.on('finish', () => {
        if (plan.done) return;
        plan.done = true;
        plan.change();
        plan.release();
      });
      return next();
    }
    if (listing === plan.first) return next();
    void plan.made.then(() => next());
  };
  return {
    front,
    arm(which, change) {
      let release!: () => void;
      const made = new Promise<void>((resolve) => { release = resolve; });
      armed = { which, change, done: false, made, release };
      last = armed;
    },
    first: () => last.first,
    changed: () => last.done,
    disarm: () => { armed = undefined; },
  };
}
