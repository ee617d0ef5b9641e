/** The authorization matrix (authz-matrix.test.ts), the allowed side: every allowed caller gets the documented success; no hub role decides about its own seat. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { DIR } from '../check-for-updates-e2e/business.ts';
import { matrixServer } from './authz-matrix-server.ts';
import { A, B, CALLERS, ONLY_B, PEOPLE, type Caller, type Route } from './authz-matrix-routes.ts';

describe('authorization matrix: allowed callers and hub roles', () => {
  const m = matrixServer();
  const { routes, request, writesDuring, statusOk, noSecret } = m;

  test('every allowed caller gets the documented success', async (t) => {
    let cells = 0;
    const wrong: string[] = [];
    // Lists: those answered to ONLY_B callers (each must name hub B only), and those of other callers naming hub A (so the check sees hub A where it is listed).
    let onlyB = 0;
    let seenA = 0;
    // Caller by caller, so each runs the routes in order (exempt, then unexempt the same row).
    for (const caller of CALLERS) {
      for (const route of routes()) {
        const want = route.allow[caller];
        if (want === undefined) continue;
        const res = await request(route, caller, 10_000 + cells);
        const text = await res.text();
        cells++;
        const what: string = `${route.method} ${route.path} as ${caller}`;
        if (!statusOk(want, res.status)) wrong.push(`${what}: ${res.status}, expected ${want}: ${text.slice(0, 200)}`);
        else if (route.hubsIn) {
          const hubs = [...new Set(route.hubsIn(text))];
          if ((ONLY_B as readonly Caller[]).includes(caller)) {
            onlyB++;
            if (hubs.some((h) => h !== B)) wrong.push(`${what}: lists ${hubs.join(', ')}, expected hub ${B}'s only`);
          } else if (hubs.includes(A)) seenA++;
        }
        // The sandbox's call log holds the sandbox's own public token, nothing of ours.
        noSecret(text.split(SANDBOX.token).join(''), what, caller);
        await m.hubwarden.agent.idle();
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(cells > 100, `${cells} allowed cells`);
    assert.ok(onlyB >= 16 && seenA >= 10, `${onlyB} lists checked to name hub B only; ${seenA} of other callers name hub A`);
    t.diagnostic(`${cells} allowed cells; ${onlyB} lists of hub B only`);
  });

  test('no hub role decides about its own seat or places a seat above itself, over the real agent; nothing is written but the refusal\'s audit entry', async () => {
    const rows = (await m.hubwarden.agent.api.members(A, { offset: 0, limit: 100 })).items;
    const adaRow = rows.find((m) => m.email?.toLowerCase() === PEOPLE.ownerA);
    assert.ok(adaRow, 'Ada holds a seat on hub A');
    const post = (path: string, body: unknown): Route => ({ surface: 'ui-api', method: 'POST', path: `/ui/api/v1/hubs/${A}/members/${path}`, allow: {}, body: () => body });
    const refused: Array<[Caller, Route, RegExp]> = [
      // The owner: her own row exempted, un-matched or matched to another owner; any row matched to her.
      ['ownerA', post(`${adaRow.id}/exempt`, { reason: 'keep my seat' }), /own seat/],
      ['ownerA', post(`${adaRow.id}/unmatch`, {}), /own seat/],
      ['ownerA', post(`${adaRow.id}/match`, { directoryUserId: DIR.grace }), /own seat/],
      ['ownerA', post(`{memberA}/match`, { directoryUserId: DIR.ada }), /own seat/],
      // The manager: nobody's row under an owner, and no label above his own.
      ['managerA', post(`{memberA}/match`, { directoryUserId: DIR.ada }), /cannot match a seat to an owner/],
      ['managerA', post(`{memberA}/match`, { directoryUserId: DIR.eve, hubRole: 'owner' }), /cannot label a member owner/],
      ['managerA', post(`${adaRow.id}/match`, { directoryUserId: 'dir-max' }), /own seat/],
    ];
    for (const [caller, route, detail] of refused) {
      let res: Response | undefined;
      let text = '';
      const writes = await writesDuring(async () => {
        res = await request(route, caller, 0);
        text = await res.text();
      });
      const what: string = `${route.path} ${JSON.stringify(route.body?.(caller, 0))} as ${caller}`;
      assert.equal(res!.status, 403, what);
      assert.match(text, detail, what);
      // Nothing but the refusal's own audit entry (outcome failed, as the person who asked).
      assert.deepEqual(writes.map((c) => `${c.collection}/${c.partition}`), [`audit/${A}`], `${what}: nothing written but the refusal's audit entry`);
      const entry = writes[0]!.record as { outcome: string; trigger: { type: string } };
      assert.deepEqual([entry.outcome, entry.trigger.type], ['failed', 'dashboard'], what);
    }
  });
});
