// How a member, an asset holder or a partner's person is named where an email is expected. No DOM
// here, so node tests import it. An app's display name is the person's own choice (Meta and TikTok
// let anyone set theirs): a name like "ceo@acme.example" shown bare in the Email column or a
// confirmation dialog would read as an address. Without an email, the name (or the app's id) is
// shown labelled as what it is, with "(no email)".

/** The email; else `name: …` or `id: …`, followed by "(no email)". `idKey`: the record's id field. */
export function personLabel(p, idKey = 'id') {
  if (p.email) return p.email;
  return p.name ? `name: ${p.name} (no email)` : `id: ${p[idKey]} (no email)`;
}
