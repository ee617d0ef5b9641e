import type express from 'express';

/**
 * The app call a test case needs in flight, for an emulator put behind `front`: the next request
 * `matches` picks reaches the emulator (which makes the change and answers) `ms` later; every other
 * call is answered at once. `holdNext` resolves when that request arrives: the task is then
 * calling the app. (Slowing every call instead made the files that use it wait tens of seconds.)
 */
export function callHold(): { front: express.RequestHandler; holdNext: (matches: (req: express.Request) => boolean, ms?: number) => Promise<void> } {
  let hold: { matches: (req: express.Request) => boolean; ms: number; arrived: () => void } | undefined;
  const front: express.RequestHandler = (req, _res, next) => {
    const held = hold;
    if (!held?.matches(req)) return next();
    hold = undefined;
    held.arrived();
    setTimeout(next, held.ms);
  };
  const holdNext = (matches: (req: express.Request) => boolean, ms = 1_500) => new Promise<void>((arrived) => { hold = { matches, ms, arrived }; });
  return { front, holdNext };
}

/**
 * The app call a test case needs in flight, held for as long as the case needs it: the next
 * request `matches` picks waits in front of the emulator until `release()` (the emulator then
 * makes the change and answers); every other call passes at once. `arrived` resolves when that
 * request comes: the task is then calling the app, and stays there until released, however slow
 * the machine is. `arrived` rejects if no such request comes within `ms` (a bound on a failure
 * only). Release in a `finally`: a held request is never answered otherwise.
 */
export function callGate(): { front: express.RequestHandler; holdUntilReleased: (matches: (req: express.Request) => boolean, ms?: number) => { arrived: Promise<void>; release: () => void } } {
  let hold: { matches: (req: express.Request) => boolean; arrived: () => void; released: Promise<void> } | undefined;
  const front: express.RequestHandler = (req, _res, next) => {
    const held = hold;
    if (!held?.matches(req)) return next();
    hold = undefined;
    held.arrived();
    void held.released.then(() => next());
  };
  const holdUntilReleased = (matches: (req: express.Request) => boolean, ms = 20_000) => {
    let release!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    let arrivedNow!: () => void;
    const arrived = new Promise<void>((resolve, reject) => {
      const bound = setTimeout(() => reject(new Error(`the held call did not come within ${ms} ms`)), ms);
      bound.unref();
      arrivedNow = () => { clearTimeout(bound); resolve(); };
    });
    arrived.catch(() => {}); // rejected unawaited when a case fails before it waits
    hold = { matches, arrived: arrivedNow, released };
    return { arrived, release: () => { if (hold?.released === released) hold = undefined; release(); } };
  };
  return { front, holdUntilReleased };
}
