/**
 * The members table, the confirmation dialogs and the Assets and Partners tabs name a person by
 * email; a member without one (an app's display name is the person's own choice) must not have
 * their name read as an address: `name: ceo@acme.example (no email)`, never `ceo@acme.example`.
 * The pages' scripts call person-label.js for that text (the browser test hostile-values checks
 * the drawn page); this checks the function and that each script uses it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

type Labelled = { email?: string; name?: string; id?: string; userId?: string };
const { personLabel } = await import(new URL('./static/person-label.js', import.meta.url).href) as { personLabel: (p: Labelled, idKey?: string) => string };

test('a display name shaped like an email is labelled as a name, never shown bare where an email is expected', () => {
  assert.equal(personLabel({ id: 'm1', name: 'ceo@acme.example' }), 'name: ceo@acme.example (no email)');
  assert.equal(personLabel({ id: 'm1', email: 'jane@acme.example', name: 'ceo@acme.example' }), 'jane@acme.example', 'the email when there is one');
  assert.equal(personLabel({ id: '9000000000000099' }), 'id: 9000000000000099 (no email)');
  assert.equal(personLabel({ userId: '42', name: 'ceo@acme.example' }, 'userId'), 'name: ceo@acme.example (no email)');
  assert.equal(personLabel({ userId: '42' }, 'userId'), 'id: 42 (no email)');
});

test('the members table, the dialogs and the Assets and Partners tabs take the text from personLabel, not `email ?? name`', () => {
  for (const file of ['hub-page.js', 'member-dialogs.js', 'hub-sections.js']) {
    const script = readFileSync(new URL(`./static/${file}`, import.meta.url), 'utf8');
    assert.match(script, /import \{ personLabel \} from '\.\/person-label\.js';/, file);
    assert.doesNotMatch(script, /\.email \?\? \w+\.name/, `${file}: a name in place of an email`);
  }
});
