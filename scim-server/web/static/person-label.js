// How a member, an asset holder or a partner's person is named where an email is expected. No DOM
// here, so node tests import it. An app's display name is the person's own choice (Meta and TikTok
// let anyone set theirs): a name like "ceo@acme.example" shown bare in the Email column or a
// confirmation dialog would read as an address. Without an email, the name (or the app's id) is
// shown labelled as what it is, with "(no email)". Control and bidi characters in any of them are
// shown as escapes (shown-text.js): a U+202E in a name would reverse the rest of the label and of
// the dialog sentence around it.
import { shownText } from './shown-text.js';

/** The email; else `name: …` or `id: …`, followed by "(no email)". `idKey`: the record's id field. */
export function personLabel(p, idKey = 'id') {
  if (p.email) return shownText(p.email);
  return p.name ? `name: ${shownText(p.name)} (no email)` : `id: ${shownText(p[idKey])} (no email)`;
}
