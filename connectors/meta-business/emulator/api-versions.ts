/**
 * Graph API versions (https://developers.facebook.com/docs/graph-api/changelog): the newest
 * released is v26.0 (2026-07-29). A call to an expired version is served by the oldest usable one,
 * so every older `vNN.0` is answered; a version that does not exist yet fails with 2500 "Unknown
 * path components" (seen in public issues), and so does any version that is not `vNN.0`.
 */
import { unknownPath } from './graph-error.ts';

export const LATEST_VERSION = 26;

/** Throws Graph's 2500 for a version Graph does not serve; '' (unversioned) is the app's default. */
export function requireServedVersion(version: string, path: string): void {
  if (version === '') return;
  const m = /^v(\d+)\.(\d+)$/.exec(version);
  if (m && Number(m[2]) === 0 && Number(m[1]) <= LATEST_VERSION) return;
  throw unknownPath(`/${version}${path === '/' ? '' : path}`);
}
