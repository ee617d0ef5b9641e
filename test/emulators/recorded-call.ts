import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** One request an emulator received, for tests to assert on (what was sent, what was answered). */
export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, unknown>;
  body: unknown;
  /** 0 until the response is finished. */
  status: number;
  at: number;
}

/** Records every request into `calls` (mount after the body parser); `bodyOf` keeps secrets out. */
export function recordCalls(calls: RecordedCall[], bodyOf: (body: unknown) => unknown = (b) => b): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const call: RecordedCall = { method: req.method, path: decodeURIComponent(req.path), query: { ...req.query }, body: bodyOf(req.body), status: 0, at: Date.now() };
    calls.push(call);
    res.on('finish', () => { call.status = res.statusCode; });
    next();
  };
}
