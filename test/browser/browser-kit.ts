/**
 * What the browser tests share: Debian's chromium through playwright-core, polling for an
 * outcome, signing in through the test OIDC provider's login and consent pages, and calling the
 * dashboard over HTTP with a browser context's session cookie and CSRF token.
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });

/** Where a run's screenshots go (created): test-artifacts/screenshots, whichever store the run is on (one per run). */
export function screenshotsDir(): string {
  const dir = 'test-artifacts/screenshots';
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A fresh browser context (no cookies) that cannot reach the internet's web fonts (the IdP's dev pages import one). */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route(/fonts\.googleapis\.com/, (r) => r.abort());
  context.setDefaultTimeout(15_000);
  return context;
}

/** Polls `probe` (sync or async) every 50 ms until it returns something truthy. */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** From the dashboard's sign-in page (already open): "Sign in with your organisation", the IdP's login and consent. */
export async function signInWithIdp(page: Page, issuer: string, login: string): Promise<void> {
  await page.getByRole('link', { name: 'Sign in with your organisation' }).click();
  await page.waitForURL((u) => u.href.startsWith(issuer));
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any password');
  await page.click('button[type="submit"]');
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** The dashboard's session as a client outside the browser sends it: cookie and CSRF token. */
export interface SessionHttp {
  get(path: string): Promise<Response>;
  post(path: string, body?: unknown, form?: boolean): Promise<Response>;
}

/** HTTP requests carrying the browser context's session cookie (and, for POSTs, the page's CSRF token and Origin). */
export async function sessionHttp(context: BrowserContext, url: string): Promise<SessionHttp> {
  const cookie = (await context.cookies(url)).filter((c) => c.name.includes('hubwarden-session')).map((c) => `${c.name}=${c.value}`).join('; ');
  if (!cookie) throw new Error('no dashboard session in this browser context');
  const page = await (await fetch(`${url}/ui/my-access`, { headers: { cookie } })).text();
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)?.[1] ?? '';
  return {
    get: (path) => fetch(`${url}${path}`, { redirect: 'manual', headers: { cookie } }),
    post: (path, body = {}, form = false) => fetch(`${url}${path}`, {
      method: 'POST', redirect: 'manual',
      headers: { cookie, origin: url, 'x-csrf-token': csrf, 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
      body: form ? new URLSearchParams({ _csrf: csrf, ...(body as Record<string, string>) }) : JSON.stringify(body),
    }),
  };
}
