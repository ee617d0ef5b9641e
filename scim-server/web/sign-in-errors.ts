/**
 * Why a sign-in failed, as a code in the redirect to the sign-in page (`?error=expired`). Only
 * these fixed messages are shown: text taken from the URL would let anyone put their own words
 * on hubwarden's sign-in page (content spoofing, OWASP WSTG-CLNT-03).
 */
export const SIGN_IN_ERRORS = {
  unreachable: 'The identity provider cannot be reached; try again or sign in with an admin token.',
  'keys-unavailable': 'The identity provider\'s signing keys cannot be read right now, so the sign-in could not be checked; try again in a minute, or sign in with an admin token.',
  expired: 'That sign-in expired or was started in another browser; sign in again.',
  invalid: 'That sign-in could not be verified (its cookie was changed, or sealed by a server with another key file); sign in again.',
  refused: 'The identity provider refused the sign-in (cancelled, or the app is not assigned to you).',
  'no-code': 'The identity provider sent no authorization code.',
  'oidc-off': 'Sign-in with your organisation is not configured here (server.oidc); sign in with an admin token.',
  revoked: 'Your access was ended or changed (you were offboarded or suspended, or left an administrators\' group) after this sign-in began; sign in again to get what you have now.',
  failed: 'The sign-in could not be completed (the server log has the cause).',
} as const;

export type SignInError = keyof typeof SIGN_IN_ERRORS;

export function signInErrorMessage(code: unknown): string | undefined {
  return typeof code === 'string' && Object.hasOwn(SIGN_IN_ERRORS, code) ? SIGN_IN_ERRORS[code as SignInError] : undefined;
}
