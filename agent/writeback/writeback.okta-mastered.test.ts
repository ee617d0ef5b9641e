import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOktaEmulator, type OktaReadings } from '../../test/emulators/okta/okta-emulator.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, movableClock, OKTA_TOKEN, seededStore, writebackConfig } from './writeback-fixtures.ts';

/**
 * People whose Okta profile is sourced from AD or HR. Okta refuses a write of what the source
 * masters with E0000023, and takes one of Okta-mastered attributes: "attribute-level mastering or
 * custom attributes not mapped from the source" (Okta's Users API and the issues it is reported in:
 * https://github.com/okta/okta-sdk-java/issues/968, https://github.com/okta/terraform-provider-okta/issues/1569).
 * Write-back sends only its own attributes, declared `master: { type: 'OKTA' }`, so it reaches them.
 */
const HUB = 'meta-main';
const BO = '00ubo00000000000000b';
const attr = (field: string) => `hubwarden_meta_main_${field}`;
const OURS = [attr('status'), attr('role'), attr('exemption')];

async function run(options: { sourceMapped?: string[]; readings?: OktaReadings }) {
  const okta = createOktaEmulator({
    token: OKTA_TOKEN,
    users: [{ id: BO, login: 'bo@example.com', firstName: 'Bo', lastName: 'B', masteredBy: 'Active Directory', ...(options.sourceMapped ? { sourceMapped: options.sourceMapped } : {}) }],
    ...(options.readings ? { readings: options.readings } : {}),
  });
  const server = await okta.listen();
  try {
    const store = await seededStore(HUB, [directoryUser(HUB, 'u-bo', 'bo@example.com', { externalId: BO })], [{ id: 'm-bo', email: 'bo@example.com', role: 'EMPLOYEE' }]);
    const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { okta: { maxRetries: 0, resetMarginMs: 0 } } });
    const report = await writeback.run(HUB);
    return { report, profile: okta.state().users[0]!.profile };
  } finally {
    await server.close();
  }
}

test('okta: a person sourced from AD whose source does not map our attributes is written (custom attributes not mapped from the source are Okta\'s)', async () => {
  const { report, profile } = await run({});
  assert.deepEqual(report.problems, []);
  assert.equal(report.written, 1);
  assert.deepEqual([profile[attr('status')], profile[attr('role')]], ['onboarded', 'EMPLOYEE']);
  assert.equal(profile.firstName, 'Bo', 'the sourced base properties are not sent');
});

test('okta: a person sourced from AD whose source maps our attributes is written, since hubwarden declares them Okta-mastered (attribute-level mastering)', async () => {
  const { report, profile } = await run({ sourceMapped: OURS });
  assert.deepEqual(report.problems, []);
  assert.equal(report.written, 1);
  assert.equal(profile[attr('status')], 'onboarded');
});

test('okta: an org that does not take the attribute-level `master` (schema sent again without it), with the source mapping our attributes: refused E0000023, reported as mastered elsewhere', async () => {
  const { report, profile } = await run({ sourceMapped: OURS, readings: { schemaPropertyFields: 'reference-example' } });
  assert.equal(report.written, 0);
  assert.deepEqual(report.problems.map((p) => [p.directoryUserId, p.kind]), [['u-bo', 'mastered-elsewhere']]);
  assert.match(report.problems[0]!.message, /E0000023/);
  assert.equal(profile[attr('status')], undefined);
});
