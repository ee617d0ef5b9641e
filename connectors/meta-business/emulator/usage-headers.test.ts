import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGraph } from './graph-test-client.ts';

// The usage headers carry the fields and values of Meta's rate-limiting guide
// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting) and nothing else.
const APP_KEYS = ['call_count', 'total_cputime', 'total_time'];
const BUC_KEYS = ['type', 'call_count', 'total_cputime', 'total_time', 'estimated_time_to_regain_access', 'ads_api_access_tier'];

test('X-App-Usage and X-Business-Use-Case-Usage hold only the documented fields and values, throttled or not', async () => {
  const g = await startTestGraph();
  try {
    const check = (headers: Headers) => {
      assert.deepEqual(Object.keys(JSON.parse(headers.get('x-app-usage')!)).sort(), APP_KEYS);
      const buc = JSON.parse(headers.get('x-business-use-case-usage')!) as Record<string, Array<Record<string, unknown>>>;
      assert.deepEqual(Object.keys(buc), ['111'], 'keyed by the ad account id');
      for (const entry of buc['111']) {
        for (const k of Object.keys(entry)) assert.ok(BUC_KEYS.includes(k), `BUC field ${k}`);
        assert.equal(entry.type, 'ads_management');
        assert.equal(entry.ads_api_access_tier, 'development_access', 'the tier value the guide shows');
        assert.ok(Number.isInteger(entry.estimated_time_to_regain_access));
      }
    };
    check((await g.get('/act_111/assigned_users', { business: '1000000000000001' })).headers);
    g.emulator.control.setFaults({ throttle: { code: 80004, match: 'act_111' } });
    const throttled = await g.get('/act_111/assigned_users', { business: '1000000000000001' });
    assert.equal(throttled.body.error.code, 80004);
    check(throttled.headers);
  } finally {
    await g.close();
  }
});
