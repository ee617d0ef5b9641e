/**
 * A run stopped by a refused credential (Okta 401 E0000011 on the updates themselves) accounts for
 * every person: those whose update was refused when the run stopped are counted failed and
 * audited, beside the ones never sent. Before, the people in flight at the stop (one per worker)
 * were neither counted nor audited: the report said fewer people failed than were left unwritten.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import { createWriteback } from './writeback.ts';
import { collect } from '../store/store.ts';
import { capturingLog, directoryUser, movableClock, OKTA_TOKEN, seededStore, writebackConfig } from './writeback-fixtures.ts';

const HUB = 'meta-main';

test('okta: a run stopped by a refused credential counts and audits the people refused at the stop', async () => {
  const people = Array.from({ length: 6 }, (_, i) => ({ id: `00ustopped${String(i).padStart(10, '0')}`, login: `s${i}@example.com` }));
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users: people });
  const server = await okta.listen();
  try {
    const store = await seededStore(HUB, people.map((p, i) => directoryUser(HUB, `u-${i}`, p.login, { externalId: p.id })), []);
    const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { concurrency: 3 } });
    await writeback.ensureSchema();
    okta.control.echoCredentials(true);
    const report = await writeback.run(HUB);
    assert.ok(report.stopped, 'the run stopped');
    assert.equal(report.written + report.unchanged + report.skipped + report.failed, people.length, `every person is accounted for: ${JSON.stringify({ ...report, problems: undefined })}`);
    assert.equal(report.failed, people.length);
    const sent = okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/')).map((c) => c.path.split('/').pop());
    assert.ok(sent.length > 0);
    const audit = await collect(store.list('audit', HUB));
    const failedFor = audit.filter((a: any) => a.action === 'writeback.update' && a.outcome === 'failed').map((a: any) => a.subject?.label);
    for (const id of sent) assert.ok(failedFor.includes(id), `the refused update of ${id} is audited (${JSON.stringify(failedFor)})`);
  } finally {
    await server.close();
  }
});
