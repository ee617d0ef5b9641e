import type { Page } from '../sdk/hub-model.ts';
import type { HubConnector } from '../sdk/connector.ts';
import type { ConnectorContext } from '../sdk/definition.ts';
import { createMetaBusiness } from './connector.ts';
import { sandboxFixture, SANDBOX, type MetaEmulator } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';

/**
 * A rewriting `fetch` put between the connector and our emulator, so a test holds the connector to
 * another Graph's reading of what Meta leaves unsaid (README "Other readings"). A batch request is
 * unpacked and each operation goes through the same rewriting, as one alternative Graph would
 * answer it. Test support only: imported by *.test.ts files.
 */
export const log = { debug() {}, info() {}, warn() {}, error() {} };

export interface Op { method: string; path: string; query: URLSearchParams; body: URLSearchParams }
export interface Answer { status: number; body: any }
/** Rewrites one operation: answer it alone, or pass it on (`forward`, possibly with another query) and rewrite the answer. */
export type Reading = (op: Op, forward: (query?: URLSearchParams) => Promise<Answer>) => Promise<Answer>;

export function alternativeFetch(reading: Reading): typeof fetch {
  const answer = (a: Answer) => new Response(JSON.stringify(a.body), { status: a.status, headers: { 'content-type': 'application/json' } });
  const send = async (url: URL, method: string, body?: string): Promise<Answer> => {
    const res = await fetch(url, { method, ...(body ? { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const opOf = (method: string, url: URL, body: URLSearchParams): Op => ({ method, path: url.pathname.replace(/^\/v\d+\.\d+\//, '').replace(/^\//, ''), query: url.searchParams, body });
  return async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const method = init?.method ?? 'GET';
    const body = new URLSearchParams(typeof init?.body === 'string' ? init.body : '');
    const version = /^\/(v\d+\.\d+)\//.exec(url.pathname)?.[1] ?? 'v25.0';
    if (method === 'POST' && body.has('batch') && /^\/(v\d+\.\d+\/?)?$/.test(url.pathname)) {
      const token = body.get('access_token') ?? '';
      const ops = JSON.parse(body.get('batch')!) as Array<{ method: string; relative_url: string; body?: string }>;
      const items = await Promise.all(ops.map(async (o) => {
        const opUrl = new URL(`${url.origin}/${version}/${o.relative_url}`);
        const opBody = new URLSearchParams(o.body ?? '');
        const forward = (query?: URLSearchParams) => {
          const target = new URL(opUrl);
          if (query) target.search = query.toString();
          if (o.method === 'POST') {
            opBody.set('access_token', token);
            return send(target, 'POST', opBody.toString());
          }
          target.searchParams.set('access_token', token);
          return send(target, o.method);
        };
        const a = await reading(opOf(o.method, opUrl, opBody), forward);
        return { code: a.status, headers: [{ name: 'Content-Type', value: 'text/javascript; charset=UTF-8' }], body: JSON.stringify(a.body) };
      }));
      return answer({ status: 200, body: items });
    }
    const forward = (query?: URLSearchParams) => {
      const target = new URL(url);
      if (query) target.search = query.toString();
      return send(target, method, typeof init?.body === 'string' ? init.body : undefined);
    };
    return answer(await reading(opOf(method, url, body), forward));
  };
}

export async function all<T>(list: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await list(cursor);
    out.push(...p.items);
    cursor = p.next;
  } while (cursor);
  return out;
}

export const graphError = (code: number, message: string, extra: object = {}): Answer => ({ status: 400, body: { error: { message, type: 'OAuthException', code, fbtrace_id: 'alt', ...extra } } });

/**
 * Our emulator, served for the enclosing describe block (call it there), and connectors to it:
 * each call of `connector` seeds the sandbox fixture afresh, clears the faults, and puts `reading`
 * (when given) between the connector and the emulator; `logTo` receives the connector's log.
 */
export function servedEmulator(): { readonly emulator: MetaEmulator; connector(reading?: Reading, logTo?: ConnectorContext['log']): HubConnector } {
  const server = listeningEmulator();
  return {
    emulator: server.emulator,
    connector(reading, logTo: ConnectorContext['log'] = log) {
      this.emulator.control.seed(sandboxFixture());
      this.emulator.control.setFaults({});
      return createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log: logTo, ...(reading ? { fetch: alternativeFetch(reading) } : {}) });
    },
  };
}
