/**
 * A token TikTok (or a proxy before it) quotes back in an error message, in the forms a request
 * carries it (URL-encoded, form-encoded, JSON-escaped), placed so the 200-character cut of the
 * provider's message falls inside it: no piece of it may reach the connector's error, the
 * credential check's `problem` (hub health, stored) or the log lines. Driven through the emulator's
 * forced-code fault (40105, "access token is invalid or has been revoked").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorContext } from '../sdk/connector.ts';
import { TIKTOK_SANDBOX as S } from './emulator/sandbox-ids.ts';
import { createTikTokBusiness } from './connector.ts';
import { startTikTokTestBed } from './test-setup.ts';

/** Characters that change under URL and JSON encoding, like a real provider's token may hold. */
const TOKEN = 'TT-SECRET+echoed/token"0123456789abcdef';
const FORMS = [encodeURIComponent(TOKEN), new URLSearchParams({ v: TOKEN }).toString().slice(2), JSON.stringify(TOKEN).slice(1, -1)];

/** Every 8-character piece of every form of the token (a cut keeps a prefix of one). */
const pieces = [TOKEN, ...FORMS].flatMap((form) => Array.from({ length: form.length - 7 }, (_, i) => form.slice(i, i + 8)));
const leaked = (text: string) => pieces.filter((p) => text.includes(p));

for (const [name, form] of FORMS.map((f, i) => [['URL-encoded', 'form-encoded', 'JSON-escaped'][i]!, f] as const)) {
  test(`a token echoed ${name} and cut at the message limit leaves no piece in the error, the credential check or the logs`, async () => {
    const bed = await startTikTokTestBed();
    try {
      const state = bed.emulator.control.state();
      state.tokens = state.tokens.map((t) => (t.value === S.token ? { ...t, value: TOKEN } : t));
      bed.emulator.control.seed(state);
      // The cut (200 characters of the provider's message) lands 14 characters into the token.
      const message = `${'x'.repeat(186)}${form} is invalid`;
      bed.emulator.control.setFaults({ codes: [{ match: '.', code: 40105, message }] });
      const lines: string[] = [];
      const record = (level: string) => (msg: string, meta?: unknown) => void lines.push(`${level} ${msg} ${JSON.stringify(meta ?? {})}`);
      const log: ConnectorContext['log'] = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
      const connector = createTikTokBusiness({ businessCenterId: S.bcId, accessToken: TOKEN, apiBaseUrl: bed.url, pace: { qps: 1000, qpm: 60_000 }, partners: [] }, { log });
      const health = await connector.checkCredential!();
      assert.equal(health.valid, false);
      assert.match(health.problem ?? '', /xxxx/, 'the provider message reached the problem');
      assert.deepEqual(leaked(health.problem ?? ''), [], health.problem);
      assert.ok(lines.length > 0, 'the refusal was logged');
      assert.deepEqual(leaked(lines.join('\n')), [], lines.join('\n'));
    } finally {
      await bed.close();
    }
  });
}
