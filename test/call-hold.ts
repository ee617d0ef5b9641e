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
