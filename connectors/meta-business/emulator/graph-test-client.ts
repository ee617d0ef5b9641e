/**
 * A tiny Graph client for the emulator's own tests: starts an emulator on 127.0.0.1:0 and calls it
 * with global fetch, the way connectors do (query token for GET, form body for POST).
 */
import { createMetaEmulator, type MetaEmulator, type MetaEmulatorOptions } from './index.ts';
import { SANDBOX } from './sandbox-ids.ts';

export interface GraphResult {
  status: number;
  headers: Headers;
  body: any;
}

export interface TestGraph {
  emulator: MetaEmulator;
  url: string;
  get(path: string, params?: Record<string, string>, token?: string): Promise<GraphResult>;
  post(path: string, params?: Record<string, string>, token?: string): Promise<GraphResult>;
  del(path: string, params?: Record<string, string>, token?: string): Promise<GraphResult>;
  raw(path: string, init?: RequestInit): Promise<GraphResult>;
  close(): Promise<void>;
}

export async function startTestGraph(options: MetaEmulatorOptions = {}): Promise<TestGraph> {
  const emulator = createMetaEmulator(options);
  const server = await emulator.listen(0);
  const raw = async (path: string, init?: RequestInit): Promise<GraphResult> => {
    const res = await fetch(`${server.url}${path}`, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const withToken = (params: Record<string, string>, token: string) => new URLSearchParams({ ...params, access_token: token });
  return {
    emulator,
    url: server.url,
    raw,
    get: (path, params = {}, token = SANDBOX.token) => raw(`/v25.0${path}?${withToken(params, token)}`),
    post: (path, params = {}, token = SANDBOX.token) =>
      raw(`/v25.0${path}`, { method: 'POST', body: withToken(params, token), headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    del: (path, params = {}, token = SANDBOX.token) => raw(`/v25.0${path}?${withToken(params, token)}`, { method: 'DELETE' }),
    close: () => server.close(),
  };
}
