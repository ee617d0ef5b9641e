import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { jwtVerify, createLocalJWKSet, SignJWT, type JWK, type JWTPayload } from 'jose';

/**
 * The emulator's token service: RS256 keys of its own, a JWKS, and tokens shaped like Entra's
 * (v2.0 issuer `<authority>/<tenant>/v2.0`, `tid`, `azp`/`appid`, `roles`). Graph calls are checked
 * against it; H7's Lifecycle Workflows hook tests use `issueToken` to mint Entra-like tokens that
 * verify against the same JWKS.
 */
export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';

export interface TokenService {
  jwks(): { keys: JWK[] };
  /** `expiresInSeconds: 'never'` signs a token without `exp` (to prove verifiers refuse one). */
  sign(claims: JWTPayload, expiresInSeconds?: number | 'never'): Promise<string>;
  verify(token: string, audience?: string): Promise<JWTPayload>;
}

export function createTokenService(issuer: () => string, tenantId: string): TokenService {
  // Synchronous key generation keeps `createGraphEmulator` synchronous, like the Okta emulator's.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const publicJwk: JWK = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, use: 'sig', alg: 'RS256' };
  const keySet = createLocalJWKSet({ keys: [publicJwk] });
  return {
    jwks: () => ({ keys: [publicJwk] }),
    async sign(claims, expiresInSeconds = 3600) {
      const now = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT({ tid: tenantId, ver: '2.0', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(typeof claims.iss === 'string' ? claims.iss : issuer())
        .setIssuedAt(now)
        .setNotBefore(now)
        .setJti(randomUUID());
      if (expiresInSeconds !== 'never') jwt.setExpirationTime(typeof claims.exp === 'number' ? claims.exp : now + expiresInSeconds);
      return jwt.sign(privateKey);
    },
    async verify(token, audience = GRAPH_AUDIENCE) {
      const { payload } = await jwtVerify(token, keySet, { issuer: issuer(), audience });
      return payload;
    },
  };
}
