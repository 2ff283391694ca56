/**
 * RS256 JSON Web Tokens on `node:crypto` only. The emulator signs with one key generated at start
 * and serves it as a JWKS; client assertions (Microsoft certificates, Google service accounts)
 * are verified against keys registered in the configuration.
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
  verify,
} from 'node:crypto';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export type JwtClaims = Record<string, unknown>;

export interface DecodedJwt {
  readonly header: Record<string, unknown>;
  readonly claims: JwtClaims;
  readonly signingInput: string;
  readonly signature: Buffer;
}

export function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

export function createSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url')
    .slice(0, 27);
  return { kid, privateKey, publicKey };
}

export function signJwt(
  key: SigningKey,
  claims: JwtClaims,
  extraHeader: Record<string, unknown> = {},
): string {
  const header = { typ: 'JWT', alg: 'RS256', kid: key.kid, ...extraHeader };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

/** Splits a compact JWT without checking anything; `undefined` when it is not a JWT at all. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const [h, c, s] = parts as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as JwtClaims;
    if (typeof header !== 'object' || header === null || typeof claims !== 'object' || claims === null)
      return undefined;
    return { header, claims, signingInput: `${h}.${c}`, signature: Buffer.from(s, 'base64url') };
  } catch {
    return undefined;
  }
}

export function verifyJwtSignature(jwt: DecodedJwt, publicKey: KeyObject | string): boolean {
  if (jwt.header.alg !== 'RS256' && jwt.header.alg !== 'PS256') return false;
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  try {
    if (jwt.header.alg === 'PS256') {
      return verify(
        'sha256',
        Buffer.from(jwt.signingInput),
        { key, padding: 6, saltLength: 32 },
        jwt.signature,
      );
    }
    return verify('sha256', Buffer.from(jwt.signingInput), key, jwt.signature);
  } catch {
    return false;
  }
}

export function jwkOf(key: SigningKey): Record<string, unknown> {
  const jwk = key.publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  return { kty: 'RSA', use: 'sig', alg: 'RS256', kid: key.kid, x5t: key.kid, n: jwk.n, e: jwk.e };
}

export function newId(): string {
  return randomUUID();
}

/** A stable GUID-shaped id derived from a string, so users keep their oid across runs. */
export function stableGuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
