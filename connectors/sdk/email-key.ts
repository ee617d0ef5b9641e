/**
 * The one form in which hubwarden compares and indexes email addresses: Unicode NFC, surrounding
 * whitespace dropped, lower-cased. Every email index key (directoryUsers, appMembers and appInvites by
 * email) and every comparison of a row's email with a person's goes through it, so an address
 * that differs only so (an IdP attribute or an app listing with a stray space, `Ann@Example.com`)
 * names the same person everywhere: the same seat, never a second invite, never a leaver's seat
 * missed by offboarding.
 *
 * Whitespace is never part of an address (RFC 5322 §3.4.1 addr-spec: around it is folding white
 * space, not the address). Case: RFC 5321 §2.4 lets a host treat the local-part case-sensitively,
 * but IdPs and the apps hubwarden governs treat addresses case-insensitively, and so does the
 * product (SCIM `emails` is caseExact=false, RFC 7643 §4.1.2).
 *
 * Unicode: "josé@example.com" arrives precomposed (U+00E9) from one source and decomposed
 * ("e" + U+0301) from another (an IdP attribute typed on macOS, an HR export), and compared code
 * unit by code unit they were two people: the app's member unmatched, a second invite sent. NFC
 * (RFC 8265 §3.3), as userNames are folded (foldName, agent/desired-state/directory-records.ts),
 * with the same ASCII shortcut. Only the key is folded: the address stored and sent to an app
 * stays as the source spelled it.
 *
 * It lives in the SDK so a connector compares the addresses it reads (a person's invites and seat
 * by email) as the agent does; agent/matching/email-key.ts re-exports it.
 *
 * Indexes keyed by it name it in their definition (`uses`, store.ts `defineIndex`), so a
 * PostgreSQL store rebuilds them when this function changes (store/postgres/indexes.ts).
 */
export function emailKey(email: string): string {
  return (/^[\u0000-\u007f]*$/.test(email) ? email : email.normalize('NFC')).trim().toLowerCase();
}
