/**
 * A person's <email> and an <offerId> on the command line (offboard, offers, claim) are checked by
 * the rule the admin API checks them by, before any request: a malformed one is a usage mistake,
 * exit 2, one line naming the argument and showing the value with hidden characters escaped.
 * Sent as given, the server's 400 (`path.email: expected an email address`) was exit 1, and the
 * line did not show the value, so a zero-width space in a pasted address could not be seen.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { offerParams, personParams } from '../../scim-server/admin/request-schemas.ts';
import { assertOneLineError, cli, cliProcess, adminApiForCli } from './cli-run.ts';

const EMAIL = '<email> argument: expected an email address, got ';
const OFFER = '<offerId> argument: expected an offer id (letters, digits, "-", "_"), got ';

/** The command (before its <email>), the value, what follows it, and the value as the line shows it. */
const REFUSED: Array<{ why: string; args: (v: string) => string[]; value: string; shown: string; offer?: boolean }> = [
  { why: 'a zero-width space', args: (v) => ['offboard', v], value: 'jane\u200b@example.com', shown: `offboard: the ${EMAIL}"jane\\u200b@example.com"` },
  { why: 'a full-width at sign', args: (v) => ['offers', v], value: 'jane\uff20example.com', shown: `offers: the ${EMAIL}"jane\uff20example.com"` },
  { why: 'a control character', args: (v) => ['claim', v, 'offer-1', '--no-wait'], value: 'jane\u0007@example.com', shown: `claim: the ${EMAIL}"jane\\x07@example.com"` },
  { why: 'surrounding spaces', args: (v) => ['offboard', v, '--no-wait'], value: ' jane@example.com ', shown: `offboard: the ${EMAIL}" jane@example.com "` },
  { why: 'a trailing line break', args: (v) => ['offers', v], value: 'jane@example.com\n', shown: `offers: the ${EMAIL}"jane@example.com\\x0a"` },
  { why: 'a no-break space', args: (v) => ['offboard', v], value: 'jane@example.com\u00a0', shown: `offboard: the ${EMAIL}"jane@example.com\\xa0"` },
  { why: 'a bidi override', args: (v) => ['offers', v], value: 'jane@\u202eexample.com', shown: `offers: the ${EMAIL}"jane@\\u202eexample.com"` },
  // The admin API's rule (zod's z.email()) takes ASCII addresses only: refused here as it is there.
  { why: 'a non-ASCII local part', args: (v) => ['offers', v], value: 'jan\u00e9@example.com', shown: `offers: the ${EMAIL}"jan\u00e9@example.com"` },
  { why: 'an offer id with a zero-width space', args: (v) => ['claim', 'jane@example.com', v], value: 'offer\u200b-1', shown: `claim: the ${OFFER}"offer\\u200b-1"`, offer: true },
  { why: 'an offer id with a slash', args: (v) => ['claim', 'jane@example.com', v], value: 'offer/1', shown: `claim: the ${OFFER}"offer/1"`, offer: true },
];

describe('hubwarden CLI: a person\'s email and an offer id are checked before any request', () => {
  const { agent, auth } = adminApiForCli();

  test('every value in the table is one the admin API refuses too (the same rule, not a second one)', () => {
    for (const c of REFUSED) {
      const params = c.offer ? { email: 'jane@example.com', offerId: c.value } : { email: c.value, offerId: 'offer-1' };
      assert.equal((c.offer ? offerParams : personParams).safeParse(params).success, false, c.why);
    }
  });

  for (const c of REFUSED) {
    test(`${c.why}: exit 2, one line naming the argument and showing the value escaped; no request`, async () => {
      const calls = agent.calls.length;
      const run = await cli([...c.args(c.value), ...auth]);
      assertOneLineError(run, 2, new RegExp(`^hubwarden: ${c.shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
      assert.equal(run.stdout, '');
      assert.equal(agent.calls.length, calls, 'no request reached the agent');
    });
  }

  test('the real command exits 2 with the hidden character escaped on stderr, and the server is not called', async () => {
    const calls = agent.calls.length;
    const run = await cliProcess(['offboard', 'jane\u200b@example.com', '--no-wait', ...auth]);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr, `hubwarden: offboard: the ${EMAIL}"jane\\u200b@example.com"\n`);
    assert.equal(agent.calls.length, calls);
  });

  test('addresses the admin API takes still reach it', async () => {
    for (const email of ['jane@example.com', "o'brien+hubs@example.co.uk", 'RAJ.k_1@sub.example.org']) {
      const calls = agent.calls.length;
      const run = await cli(['offers', email, '--json', ...auth]);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(agent.calls.slice(calls).map((c) => [c.method, c.args[0]]), [['offers', email]]);
    }
    const claim = await cli(['claim', 'jane@example.com', 'offer_A-1', '--no-wait', ...auth]);
    assert.notEqual(claim.code, 2, claim.stderr);
    assert.ok(agent.calls.some((c) => c.method === 'claimOffer' && c.args[1] === 'offer_A-1'));
  });
});
