/**
 * Learning which mailbox a sign-in authorized, and which scopes Google actually granted (users can
 * untick boxes on Google's granular consent screen).
 */
import { createPublicKey } from 'node:crypto';
import { isMailplugError, type MailboxIdentity, type MailplugError, mailplugError } from '@mailplug/core';
import type { Credentials, OAuth2Client } from 'google-auth-library';
import { GmailErrorCode, transientOrUndefined } from './errors.js';
import type { GoogleEndpoints } from './provider-data.js';

/** Scopes from a token response, or from tokeninfo when the response did not list them. */
export async function grantedScopes(client: OAuth2Client, tokens: Credentials): Promise<string[]> {
  if (typeof tokens.scope === 'string' && tokens.scope.trim() !== '') return splitScopes(tokens.scope);
  if (!tokens.access_token) return [];
  try {
    const info = await client.getTokenInfo(tokens.access_token);
    return info.scopes ?? [];
  } catch (error) {
    throw (
      transientOrUndefined(error, 'Reading the granted scopes') ?? idTokenInvalid('tokeninfo failed', error)
    );
  }
}

export function splitScopes(scope: string): string[] {
  return scope.split(/\s+/).filter(Boolean);
}

/**
 * The mailbox of a fresh sign-in. The ID token is verified (signature against the configured
 * certificates, issuer, audience = our client id, expiry); without one, OpenID userinfo is asked.
 */
export async function identify(
  client: OAuth2Client,
  tokens: Credentials,
  options: { clientId: string; endpoints: GoogleEndpoints; issuers: readonly string[] },
): Promise<MailboxIdentity> {
  if (tokens.id_token) {
    let payload: Record<string, unknown> | undefined;
    try {
      const certs = await fetchSigningKeys(client, options.endpoints.certsUrl);
      const ticket = await client.verifySignedJwtWithCertsAsync(tokens.id_token, certs, options.clientId, [
        ...options.issuers,
      ]);
      payload = ticket.getPayload() as Record<string, unknown> | undefined;
    } catch (error) {
      throw transientOrUndefined(error, 'Verifying the ID token') ?? idTokenInvalid(errorText(error), error);
    }
    if (payload && typeof payload.email === 'string') {
      if (payload.email_verified === false) {
        throw idTokenInvalid('the Google account email address is not verified');
      }
      return toIdentity(payload);
    }
  }
  if (!tokens.access_token)
    throw idTokenInvalid('the token response had neither an ID token nor an access token');
  try {
    const res = await client.transporter.request<Record<string, unknown>>({
      url: options.endpoints.userInfoUrl,
      method: 'GET',
      headers: { authorization: `Bearer ${tokens.access_token}` },
      responseType: 'json',
    });
    if (typeof res.data?.email !== 'string')
      throw idTokenInvalid('userinfo returned no email (was the email scope granted?)');
    return toIdentity(res.data);
  } catch (error) {
    if (isMailplugError(error)) throw error;
    throw (
      transientOrUndefined(error, 'Reading the signed-in mailbox') ?? idTokenInvalid(errorText(error), error)
    );
  }
}

/**
 * Signing keys by key id, as PEM. Accepts both of Google's formats: v3 JWK sets (`{ keys: [...] }`,
 * the discovery document's `jwks_uri`) and v1 `{ kid: PEM }` maps. google-auth-library's own
 * `verifyIdToken` reads only the PEM format on Node, which would tie us to one format.
 */
async function fetchSigningKeys(client: OAuth2Client, certsUrl: string): Promise<Record<string, string>> {
  const res = await client.transporter.request<unknown>({
    url: certsUrl,
    method: 'GET',
    responseType: 'json',
  });
  const body = res.data;
  const out: Record<string, string> = {};
  if (body && typeof body === 'object' && Array.isArray((body as { keys?: unknown }).keys)) {
    for (const jwk of (body as { keys: Record<string, unknown>[] }).keys) {
      if (typeof jwk.kid !== 'string' || jwk.kty !== 'RSA') continue;
      out[jwk.kid] = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString();
    }
  } else if (body && typeof body === 'object') {
    for (const [kid, pem] of Object.entries(body as Record<string, unknown>))
      if (typeof pem === 'string') out[kid] = pem;
  }
  if (Object.keys(out).length === 0) throw new Error(`no signing keys at ${certsUrl}`);
  return out;
}

function toIdentity(claims: Record<string, unknown>): MailboxIdentity {
  return {
    mailbox: String(claims.email).toLowerCase(),
    ...(typeof claims.sub === 'string' ? { subject: claims.sub } : {}),
    ...(typeof claims.name === 'string' ? { displayName: claims.name } : {}),
    ...(typeof claims.hd === 'string' ? { tenantId: claims.hd } : {}),
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function idTokenInvalid(reason: string, cause?: unknown): MailplugError {
  return mailplugError(
    GmailErrorCode.IdTokenInvalid,
    'admin',
    `Google's answer could not be verified: ${reason}.`,
    'Check that the Client ID is the one of this OAuth client and, with overridden endpoints, that certsUrl and issuer point at the same identity platform.',
    { ...(cause !== undefined ? { cause } : {}) },
  );
}
