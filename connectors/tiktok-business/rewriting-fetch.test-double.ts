import type { HubConnector } from '../sdk/definition.ts';
import type { Page } from '../sdk/hub-model.ts';
import { createTikTokBusiness } from './connector.ts';
import { createTikTokEmulator, sandboxFixture, TIKTOK_SANDBOX, type EmulatorState, type TikTokEmulator } from './emulator/index.ts';
import { silentLog } from './test-setup.ts';

/**
 * A rewriting `fetch` between the connector and our emulator, so a test holds the connector to
 * another emulator's reading of what TikTok API for Business v1.3 leaves open
 * (https://business-api.tiktok.com/portal/docs/api-reference/v1.3): answers with fields of its
 * own, rows in another order, numbers as strings, pages smaller than asked. Test support only:
 * imported by *.test.ts files.
 */
export interface Op { method: string; endpoint: string; query: URLSearchParams; body?: Record<string, unknown> }
/** An answer: `body` (JSON), or `text` sent as it is (a JSON text no JSON.stringify would write). */
export interface Answer { status: number; body?: any; text?: string }
export interface Change { query?: URLSearchParams }
export type Reading = (op: Op, forward: (change?: Change) => Promise<Answer>) => Promise<Answer>;

export function rewritingFetch(reading: Reading): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const method = init?.method ?? 'GET';
    const endpoint = url.pathname.replace(/^.*\/open_api\/v\d+\.\d+\//, '').replace(/\/$/, '');
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const forward = async (change: Change = {}): Promise<Answer> => {
      const target = new URL(url);
      if (change.query) target.search = change.query.toString();
      const res = await fetch(target, { method, headers: init?.headers, body: init?.body, redirect: 'manual' });
      const text = await res.text();
      try {
        return { status: res.status, body: text ? JSON.parse(text) : undefined };
      } catch {
        return { status: res.status, text };
      }
    };
    const a = await reading({ method, endpoint, query: url.searchParams, body }, forward);
    return new Response(a.text ?? JSON.stringify(a.body), { status: a.status, headers: { 'content-type': 'application/json' } });
  };
}

/** A reading that rewrites every answer's JSON body in place. */
export const rewriting = (f: (body: any, op: Op) => void): Reading => async (op, forward) => {
  const a = await forward();
  if (a.body !== undefined) f(a.body, op);
  return a;
};

/** Calls `f` on every object of a JSON value (children listed before `f` may add to them). */
export function walk(v: unknown, f: (o: Record<string, any>) => void): void {
  if (Array.isArray(v)) v.forEach((x) => walk(x, f));
  else if (v && typeof v === 'object') {
    const kids = Object.values(v);
    f(v as Record<string, any>);
    kids.forEach((x) => walk(x, f));
  }
}

/** Every page of a listing, with the gaps pages reported (`incomplete`). */
export async function pages<T>(list: (cursor?: string) => Promise<Page<T>>): Promise<{ items: T[]; gaps: string[] }> {
  const items: T[] = [];
  const gaps: string[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 1000; n++) {
    const p = await list(cursor);
    items.push(...p.items);
    if (p.incomplete) gaps.push(p.incomplete.reason);
    cursor = p.next;
    if (!cursor) return { items, gaps };
  }
  throw new Error('paging does not end');
}

/**
 * The sandbox world with every 19-digit id shortened to a safe integer (first two digits and the
 * last seven: `7200000000000000101` → `720000101`), so ids can travel as JSON numbers unharmed.
 */
export function shortIds(): { state: EmulatorState; id: (long: string) => string } {
  const id = (s: string) => (/^\d{19}$/.test(s) ? `${s.slice(0, 2)}${s.slice(-7)}` : s);
  const text = JSON.stringify(sandboxFixture());
  const longs = new Set(text.match(/\b\d{19}\b/g));
  if (new Set([...longs].map(id)).size !== longs.size) throw new Error('shortened ids collide');
  return { state: JSON.parse(text, (_k, v) => (typeof v === 'string' ? id(v) : v)), id };
}

export interface ServedTikTok {
  readonly emulator: TikTokEmulator;
  /**
   * A connector to the emulator, seeded afresh with `world` (default the sandbox fixture), through
   * `reading` when given; `id` maps the fixture's ids to the world's (shortIds).
   */
  connector(reading?: Reading, world?: { state: EmulatorState; id: (s: string) => string }): HubConnector;
  close(): Promise<void>;
}

export async function servedTikTok(): Promise<ServedTikTok> {
  const emulator = createTikTokEmulator({ rateLimits: null });
  const { url, close } = await emulator.listen();
  return {
    emulator,
    close,
    connector(reading, world) {
      const id = world?.id ?? ((s: string) => s);
      emulator.control.seed(world?.state ?? sandboxFixture());
      emulator.control.setFaults({});
      return createTikTokBusiness({
        businessCenterId: id(TIKTOK_SANDBOX.bcId), accessToken: TIKTOK_SANDBOX.token, apiBaseUrl: url,
        tokenUserId: id(TIKTOK_SANDBOX.tokenUserId), pace: { qps: 1000, qpm: 60_000 },
        partners: [{ businessCenterId: id(TIKTOK_SANDBOX.partner.bcId) }],
      }, { log: silentLog, ...(reading ? { fetch: rewritingFetch(reading) } : {}) });
    },
  };
}
