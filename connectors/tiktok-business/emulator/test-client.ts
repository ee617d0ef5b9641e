/** A raw HTTP client for emulator tests: TikTok's conventions spelt out, nothing hidden. */
import { createTikTokEmulator, TIKTOK_SANDBOX, type TikTokEmulator, type TikTokEmulatorOptions } from './index.ts';

export interface TestApi {
  emulator: TikTokEmulator;
  url: string;
  get(endpoint: string, params?: Record<string, unknown>, token?: string | null): Promise<{ status: number; body: any; headers: Headers; text: string }>;
  post(endpoint: string, body: unknown, token?: string | null): Promise<{ status: number; body: any; headers: Headers; text: string }>;
  raw(path: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers; text: string }>;
  close(): Promise<void>;
}

export async function startTestApi(options: TikTokEmulatorOptions = {}): Promise<TestApi> {
  const emulator = createTikTokEmulator({ rateLimits: null, ...options });
  const { url, close } = await emulator.listen();
  const raw: TestApi['raw'] = async (path, init) => {
    const res = await fetch(`${url}${path}`, init);
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body, headers: res.headers, text };
  };
  const headers = (token: string | null | undefined): Record<string, string> => (token === null ? {} : { 'Access-Token': token ?? TIKTOK_SANDBOX.token });
  return {
    emulator,
    url,
    raw,
    get: (endpoint, params = {}, token) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) q.set(k, typeof v === 'string' ? v : JSON.stringify(v));
      return raw(`/open_api/v1.3/${endpoint}/?${q}`, { headers: headers(token) });
    },
    post: (endpoint, body, token) => raw(`/open_api/v1.3/${endpoint}/`, { method: 'POST', headers: { ...headers(token), 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    close,
  };
}
