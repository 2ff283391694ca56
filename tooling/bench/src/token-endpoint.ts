import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenEndpointClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  readonly user: string;
}

/** A loopback OAuth 2.0 token endpoint (refresh_token grant only) that counts what it serves. */
export interface TokenEndpoint {
  readonly url: string;
  readonly client: TokenEndpointClient;
  /** Token requests received (any outcome) since start or the last `resetCount()`. */
  readonly requestCount: number;
  resetCount(): void;
  /** Whether `accessToken` was issued here (the SMTP server's XOAUTH2 validator). */
  isIssued(accessToken: string): boolean;
  close(): Promise<void>;
}

/**
 * Starts the token endpoint on 127.0.0.1:0. It answers like Google's: form-encoded POST, JSON
 * `{ access_token, expires_in, token_type, scope }`, `400 invalid_grant` for a wrong refresh token.
 * Every access token it issues is distinct, so the SMTP server can tell issued tokens from guesses.
 *
 * @example
 * const endpoint = await startTokenEndpoint();
 * // point nodemailer's `accessUrl` or a TokenManager refresh function at endpoint.url
 * console.log(endpoint.requestCount);
 */
export async function startTokenEndpoint(): Promise<TokenEndpoint> {
  const client: TokenEndpointClient = {
    clientId: 'bench-client.apps.example.test',
    clientSecret: `bench-secret-${randomBytes(8).toString('hex')}`,
    refreshToken: `1//bench-refresh-${randomBytes(12).toString('hex')}`,
    user: 'bench@example.test',
  };
  const issued = new Set<string>();
  let requestCount = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requestCount++;
      const reply = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/token') return reply(404, { error: 'not_found' });
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (form.get('client_id') !== client.clientId || form.get('client_secret') !== client.clientSecret) {
        return reply(401, { error: 'invalid_client' });
      }
      if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== client.refreshToken) {
        return reply(400, {
          error: 'invalid_grant',
          error_description: 'Token has been expired or revoked.',
        });
      }
      const accessToken = `ya29.bench-${randomBytes(18).toString('base64url')}`;
      issued.add(accessToken);
      reply(200, {
        access_token: accessToken,
        expires_in: 3600,
        token_type: 'Bearer',
        scope: 'https://mail.google.com/',
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/token`,
    client,
    get requestCount() {
      return requestCount;
    },
    resetCount() {
      requestCount = 0;
    },
    isIssued: (accessToken) => issued.has(accessToken),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The refresh_token grant as a client sends it; used by the Mailplug side's TokenManager. */
export async function requestAccessToken(
  url: string,
  client: TokenEndpointClient,
): Promise<{ accessToken: string; expiresAt: number; scopes: string[] }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      refresh_token: client.refreshToken,
    }),
  });
  const body = (await response.json()) as {
    access_token?: string;
    expires_in?: number;
    scope?: string;
    error?: string;
  };
  if (!response.ok || !body.access_token) {
    throw Object.assign(new Error(`token endpoint answered ${response.status}`), {
      status: response.status,
      error: body.error,
    });
  }
  return {
    accessToken: body.access_token,
    expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000,
    scopes: (body.scope ?? '').split(' ').filter(Boolean),
  };
}
