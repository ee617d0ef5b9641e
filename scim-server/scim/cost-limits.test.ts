/**
 * Bounds on what one SCIM request may cost the process (a leaked token is not trusted; one hub's
 * requests must not starve the others): scans of a whole hub yield and go in per-hub turns, a
 * PATCH's walks over its lists are budgeted, bodies and `attributes` lists are bounded. Each case
 * asserts the refusal or the bounded work, not a wall-clock time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { GROUP_ATTRIBUTES } from './attributes.ts';
import { ScimError } from './errors.ts';
import { MAX_BODY_VALUES, MAX_OBJECT_NAMES } from './input-checks.ts';
import { MAX_ATTRIBUTE_NAMES } from './list.ts';
import { applyPatch } from './patch/apply.ts';
import { MAX_PATCH_WORK } from './patch/work-budget.ts';
import { inScanTurn, MAX_WAITING_SCANS, SCAN_SLICE, scanRecords, SCANS_PER_HUB } from './scan-turns.ts';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('scans of a whole hub', () => {
  test('a scan yields to the event loop between slices (a callback queued before it runs during it)', async () => {
    const records = Array.from({ length: SCAN_SLICE * 4 }, (_, i) => i);
    let seen = 0;
    let seenWhenCallbackRan = -1;
    setImmediate(() => (seenWhenCallbackRan = seen));
    // An async iterable that never waits for I/O, as the memory and lowdb stores' list is.
    await scanRecords((async function* () { yield* records; })(), () => seen++);
    assert.equal(seen, records.length);
    assert.ok(seenWhenCallbackRan >= 0 && seenWhenCallbackRan < records.length, `the callback ran after ${seenWhenCallbackRan} of ${records.length} records`);
  });

  test(`a hub runs ${SCANS_PER_HUB} scans at once, ${MAX_WAITING_SCANS} wait, more get 429 with Retry-After; another hub is not held`, async () => {
    const store = new MemoryStore();
    let running = 0;
    let most = 0;
    const gates: Array<() => void> = [];
    const scan = () => new Promise<void>((resolve) => {
      most = Math.max(most, ++running);
      gates.push(() => (running--, resolve()));
    });
    const flood = Array.from({ length: SCANS_PER_HUB + MAX_WAITING_SCANS }, () => inScanTurn(store, 'noisy', scan));
    await assert.rejects(inScanTurn(store, 'noisy', scan), (e: unknown) => e instanceof ScimError && e.status === 429 && Number(e.headers['Retry-After']) > 0);
    let otherRan = false;
    await inScanTurn(store, 'quiet', async () => { otherRan = true; });
    assert.ok(otherRan, 'the other hub scans at once');
    assert.equal(gates.length, SCANS_PER_HUB, 'only the turn\'s scans started');
    while (gates.length > 0 || running > 0) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(flood);
    assert.equal(most, SCANS_PER_HUB);
  });
});

describe('PATCH work budget', () => {
  const big = { displayName: 'All', members: Array.from({ length: 100_000 }, (_, i) => ({ value: `u${i}` })) };
  const patch = (Operations: unknown[]) => applyPatch(big, { schemas: [PATCH], Operations }, { core: GROUP_ATTRIBUTES, resourceId: 'gid' });
  const steps = Math.floor(MAX_PATCH_WORK / 100_001);

  test('operations that each walk a 100,000-member list: refused with 413 before the budget is spent', () => {
    // Each filter is no `value eq`, so no run takes them: one walk of the list each.
    const removes = Array.from({ length: 20_000 }, (_, i) => ({ op: 'remove', path: `members[not (value eq "u${i}") and value eq "none"]` }));
    assert.throws(() => patch(removes), (e: unknown) => e instanceof ScimError && e.status === 413 && e.detail.includes(`Operations[${steps}]`));
    // Member adds split by renames: each add alone again.
    const mixed = Array.from({ length: 1_000 }, (_, i) => (i % 2 ? { op: 'replace', path: 'displayName', value: `All ${i}` } : { op: 'add', path: 'members', value: [{ value: `n${i}` }] }));
    assert.throws(() => patch(mixed), (e: unknown) => e instanceof ScimError && e.status === 413);
  });

  test('a membership change sent as runs is one step, whatever its size', () => {
    const ops = [
      { op: 'replace', path: 'displayName', value: 'Everyone' },
      ...Array.from({ length: 5_000 }, (_, i) => ({ op: 'add', path: 'members', value: [{ value: `n${i}` }] })),
      ...Array.from({ length: 5_000 }, (_, i) => ({ op: 'remove', path: `members[value eq "u${i}"]` })),
    ];
    assert.equal((patch(ops).members as unknown[]).length, 100_000);
    assert.equal((patch(Array.from({ length: steps }, (_, i) => ({ op: 'replace', path: 'displayName', value: `N${i}` }))).displayName), `N${steps - 1}`);
  });
});

describe('bodies and projections', () => {
  let app: ScimTestApp;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'costs' }] });
  });
  after(() => app.close());

  test(`an object of more than ${MAX_OBJECT_NAMES} names is a 400 invalidValue, nothing stored`, async () => {
    const keys = Object.fromEntries(Array.from({ length: MAX_OBJECT_NAMES + 1 }, (_, i) => [`k${i}`, 1]));
    const r = await scimRequest(app, 'costs', 'POST', '/Groups', { schemas: [GROUP], displayName: 'Keys', ...keys });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.scimType, 'invalidValue');
    assert.equal((await scimRequest(app, 'costs', 'GET', '/Groups')).body.totalResults, 0);
  });

  test(`a body of more than ${MAX_BODY_VALUES} values is a 400 invalidValue`, async () => {
    const body = `{"schemas":["${GROUP}"],"displayName":"Zeros","x":[${'0,'.repeat(MAX_BODY_VALUES)}0]}`;
    const r = await scimRequest(app, 'costs', 'POST', '/Groups', body);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.scimType, 'invalidValue');
  });

  test(`attributes and excludedAttributes name at most ${MAX_ATTRIBUTE_NAMES} attributes`, async () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `a${i}`).join(',');
    for (const param of ['attributes', 'excludedAttributes']) {
      assert.equal((await scimRequest(app, 'costs', 'GET', `/Users?${param}=${names(MAX_ATTRIBUTE_NAMES)}`)).status, 200);
      const r = await scimRequest(app, 'costs', 'GET', `/Users?${param}=${names(MAX_ATTRIBUTE_NAMES + 1)}`);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.scimType, 'invalidValue');
    }
  });
});
