import { request } from 'node:https';
import net from 'node:net';
import { type GenerateAuthUrlOpts, OAuth2Client } from 'google-auth-library';
import { createEmulatorAgent, DEFAULT_IDS, type Emulator } from '../../src/index.js';

/** google-auth-library's OAuth2Client for the emulator's default Google client, trusting its CA. */
export function emulatorGoogleClient(emulator: Emulator, redirectUri: string): OAuth2Client {
  return new OAuth2Client({
    clientId: DEFAULT_IDS.googleClientId,
    clientSecret: DEFAULT_IDS.googleClientSecret,
    redirectUri,
    endpoints: emulator.urls.googleEndpoints,
    transporterOptions: { agent: createEmulatorAgent(emulator.caCertPem) },
  });
}

/** An authorization URL with a fresh S256 PKCE pair; `verifier` redeems the code. */
export async function pkceAuthUrl(
  oauth: OAuth2Client,
  options: Omit<GenerateAuthUrlOpts, 'code_challenge' | 'code_challenge_method'>,
): Promise<{ url: string; verifier: string }> {
  const { codeVerifier, codeChallenge } = await oauth.generateCodeVerifierAsync();
  const url = oauth.generateAuthUrl({
    ...options,
    ...(codeChallenge !== undefined ? { code_challenge: codeChallenge } : {}),
    code_challenge_method: 'S256' as never,
  });
  return { url, verifier: codeVerifier ?? '' };
}

/** Records every TCP connect to a non-loopback destination (the libraries must never leave the machine). */
export function spyOnOutboundSockets(): { outbound: string[]; restore(): void } {
  const outbound: string[] = [];
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function patched(this: net.Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const opts = (typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }) as {
      host?: string;
      path?: string;
      port?: unknown;
    };
    const host = opts.host ?? 'localhost';
    if (!opts.path && !/^(127\.|::1$|localhost$|::ffff:127\.)/.test(String(host)))
      outbound.push(`${host}:${String(opts.port)}`);
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof original;
  return {
    outbound,
    restore: () => {
      net.Socket.prototype.connect = original;
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): Record<string, unknown>;
}

export function httpsRequest(
  ca: string,
  url: string,
  method = 'GET',
  form?: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca,
        headers: body ? { 'content-type': 'application/x-www-form-urlencoded', ...headers } : headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function decodeJwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}
