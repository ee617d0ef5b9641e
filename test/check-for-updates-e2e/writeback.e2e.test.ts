/**
 * End to end: a check for updates, then write-back (agent/writeback, H6) of every directory
 * user's standing on the hub to the Okta emulator through the real okta-sdk-nodejs: the exact
 * attributes, and an owner's exemption and manual match reaching Okta on the next check.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaEmulator, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import type { MemberService } from '../../agent/members/member-service.ts';
import { DIR, HUB, hubConfig, LOGINS, OKTA_TOKEN, seedDirectory } from './business.ts';
import { suiteStores } from '../suite-stores.ts';
import { startWritebackWorld, type WritebackWorld } from '../writeback-world.ts';
import { attributeName, WRITEBACK_FIELDS } from '../../agent/writeback/attributes.ts';

const owner = { type: 'admin' as const, actor: 'owner@sandbox.example' };

// On the memory store and on PostgreSQL (test/suite-stores.ts).
for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`check for updates → write-back to Okta (emulators, real SDKs) (${kind.kind})`, { skip: kind.skip }, () => {
    let world: WritebackWorld;
    let service: MemberService;
    let closeMeta: () => Promise<void>;

    before(async () => {
      const meta = await createMetaEmulator().listen(0);
      closeMeta = meta.close;
      // An org that does not take the attributes' attribute-level `master` (write-back sends the
      // schema again without it): a profile source that maps them then masters them (last test).
      world = await startWritebackWorld({ kind, hubId: HUB, appUrl: meta.url, hubConfig, oktaToken: OKTA_TOKEN, logins: LOGINS, seedDirectory, oktaReadings: { schemaPropertyFields: 'reference-example' } });
      service = world.service;
    });
    after(async () => {
      await world.close();
      await closeMeta();
    });

    const check = () => world.check();
    const profileOf = (dirId: string) => world.profileOf(dirId);

    test('each directory user carries its standing in Okta after a check', async () => {
      const task = await check();
      assert.equal((task.result as { writeback?: string }).writeback, 'done');
      assert.deepEqual(profileOf(DIR.ada), ['onboarded', 'ADMIN', undefined]);
      assert.deepEqual(profileOf(DIR.eve), ['onboarded', 'EMPLOYEE', undefined]);
      assert.deepEqual(profileOf(DIR.newHire), ['invited', 'EMPLOYEE', undefined]);
      assert.deepEqual(profileOf(DIR.casey), ['pending', undefined, undefined]); // the contractor seat is not matched to Casey yet
    });

    test("an owner's exemption and manual match reach Okta with the next check, as partial updates", async () => {
      await service.exemptMember(HUB, SANDBOX.employees[3], { reason: 'brand designer managed by the agency' }, owner);
      await service.matchMember(HUB, SANDBOX.employees[2], { directoryUserId: DIR.casey }, owner);
      const postsBefore = world.okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/')).length;
      await check();
      assert.deepEqual(profileOf(DIR.dan), ['exempted', 'EMPLOYEE', 'brand designer managed by the agency']);
      assert.deepEqual(profileOf(DIR.casey), ['onboarded', 'EMPLOYEE', undefined]);
      // Only the two people whose standing changed were written.
      const posts = world.okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/')).slice(postsBefore);
      assert.equal(posts.length, 2);
      assert.equal(world.okta.calls.some((c) => c.method === 'PUT'), false);
    });

    test('a person Okta refuses is not reported as done: the check\'s result says how many were not written', async () => {
      // Eve's profile is now mastered by AD, which maps the hub's attributes too: Okta refuses her
      // update (E0000023) when her standing changes.
      world.okta.control.setMasteredBy(LOGINS[DIR.eve]!.toLowerCase(), 'Active Directory', WRITEBACK_FIELDS.map((f) => attributeName(HUB, f)));
      await service.exemptMember(HUB, SANDBOX.employees[0], { reason: 'kept by the agency' }, owner);
      const task = await check();
      const result = (task.result as { writeback?: string }).writeback ?? '';
      assert.notEqual(result, 'done');
      assert.match(result, /^done with failures: 1 update\(s\) failed in this run; 1 person\(s\) refused by the identity provider/);
      assert.deepEqual(profileOf(DIR.eve), ['onboarded', 'EMPLOYEE', undefined], 'Okta still holds her old standing');
      // The next check sends nothing new for her (held a day) and still says she is not written.
      const again = await check();
      assert.match((again.result as { writeback?: string }).writeback ?? '', /^done with failures: 1 person\(s\) refused/);
      world.okta.control.setMasteredBy(LOGINS[DIR.eve]!.toLowerCase(), undefined);
    });
  });
}
