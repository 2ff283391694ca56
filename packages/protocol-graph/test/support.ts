/**
 * Test bed: the emulator, real msal-node clients that obtain Graph (and Outlook) tokens from it,
 * and credential sources over those tokens — the way a Microsoft provider session hands them out.
 */
import http from 'node:http';
import { type AuthenticationResult, ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import {
  type AuthProvider,
  type CredentialSource,
  Emitter,
  type OAuth2Credential,
  type SessionChange,
} from '@mailplug/core';
import { DEFAULT_IDS, type Emulator, type EmulatorOptions, startEmulator } from '@mailplug/emulator';
import { type RecordingCredentialSource, recordingCredentials } from '@mailplug/testkit';
import { Agent, fetch } from 'undici';

export const ALICE = 'alice@contoso.test';
export const BOB = 'bob@contoso.test';
export const GRAPH_DEFAULT = 'https://graph.microsoft.com/.default';
export const GRAPH_MAIL_SEND = 'https://graph.microsoft.com/Mail.Send';
export const OUTLOOK_DEFAULT = 'https://outlook.office365.com/.default';

export async function startGraphEmulator(mail: EmulatorOptions['mail'] = {}): Promise<Emulator> {
  return startEmulator({
    identity: { autoApprove: 'first-user' },
    mail: { tokenExpirySkewMs: 0, ...(typeof mail === 'object' ? mail : {}) },
  });
}

/** msal-node's authority options for the emulator's Entra ID (the tenant in DEFAULT_IDS). */
const emulatorAuthority = (emulator: Emulator) => ({
  authority: emulator.urls.microsoftAuthority(),
  knownAuthorities: [emulator.urls.microsoftKnownAuthority],
  authorityMetadata: emulator.urls.microsoftAuthorityMetadata(),
});

/** An msal-node token as the credential a Microsoft provider session hands out for `mailbox`. */
const fromMsal = (result: AuthenticationResult, mailbox: string): OAuth2Credential => ({
  kind: 'oauth2',
  user: mailbox,
  accessToken: result.accessToken,
  expiresAt: result.expiresOn?.getTime() ?? Date.now() + 3_600_000,
  scopes: result.scopes,
});

/** App-only (client credentials) tokens from the real msal-node, as an app-only provider session does. */
export function appOnlySource(
  emulator: Emulator,
  options: { mailbox?: string; scope?: string; clientId?: string; clientSecret?: string } = {},
): RecordingCredentialSource {
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: options.clientId ?? DEFAULT_IDS.daemonClientId,
      clientSecret: options.clientSecret ?? DEFAULT_IDS.daemonSecret,
      ...emulatorAuthority(emulator),
    },
    system: { networkClient: emulator.msalNetworkClient },
  });
  const scope = options.scope ?? GRAPH_DEFAULT;
  return recordingCredentials(async (request) => {
    const result = await app.acquireTokenByClientCredential({
      scopes: [scope],
      ...(request.forceRefresh ? { skipCache: true } : {}),
    });
    if (!result) throw new Error('msal returned no token');
    return fromMsal(result, options.mailbox ?? ALICE);
  });
}

/** Delegated tokens: the real msal-node auth-code flow with PKCE, the emulator approving the sign-in. */
export async function delegatedSource(
  emulator: Emulator,
  options: { scopes?: string[]; mailbox?: string } = {},
): Promise<RecordingCredentialSource> {
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: DEFAULT_IDS.webAppClientId,
      clientSecret: DEFAULT_IDS.webAppSecret,
      ...emulatorAuthority(emulator),
    },
    system: { networkClient: emulator.msalNetworkClient },
  });
  const scopes = options.scopes ?? [GRAPH_MAIL_SEND];
  const redirectUri = 'http://localhost/callback';
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const url = await app.getAuthCodeUrl({
    scopes,
    redirectUri,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    loginHint: ALICE,
  });
  const dispatcher = new Agent({ connect: { ca: emulator.caCertPem } });
  const answer = await fetch(url, { redirect: 'manual', dispatcher });
  await answer.text();
  await dispatcher.close();
  const code = new URL(answer.headers.get('location') ?? '').searchParams.get('code');
  if (!code) throw new Error(`no authorization code (${answer.status})`);
  const signedIn = await app.acquireTokenByCode({ code, scopes, redirectUri, codeVerifier: verifier });
  const account = signedIn.account;
  if (!account) throw new Error('no account');
  return recordingCredentials(async (request) => {
    const result = await app.acquireTokenSilent({
      account,
      scopes,
      forceRefresh: request.forceRefresh === true,
    });
    return fromMsal(result, options.mailbox ?? ALICE);
  });
}

/** A source whose cached token is no longer valid (as after a revocation) until a forced refresh. */
export function staleFirstSource(inner: CredentialSource): RecordingCredentialSource {
  let stale = true;
  return recordingCredentials(async (request) => {
    const credential = (await inner.getCredential(request)) as OAuth2Credential;
    if (request.forceRefresh) stale = false;
    if (!stale) return credential;
    const [head, payload] = credential.accessToken.split('.');
    return { ...credential, accessToken: `${head}.${payload}.invalid-signature` };
  });
}

/**
 * A plain-http forwarder to the emulator that counts requests in flight at once — how the
 * per-mailbox cap is observed from the server's side.
 */
export async function startCountingForwarder(emulator: Emulator): Promise<{
  port: number;
  maxInFlight: () => number;
  perMailboxMax: () => Map<string, number>;
  reset(): void;
  close(): Promise<void>;
}> {
  let inFlight = 0;
  let max = 0;
  const mailboxInFlight = new Map<string, number>();
  const mailboxMax = new Map<string, number>();
  const target = new URL(emulator.urls.http);
  const server = http.createServer((req, res) => {
    const mailbox = decodeURIComponent(/\/users\/([^/]+)\//.exec(req.url ?? '')?.[1] ?? '');
    inFlight++;
    max = Math.max(max, inFlight);
    const now = (mailboxInFlight.get(mailbox) ?? 0) + 1;
    mailboxInFlight.set(mailbox, now);
    mailboxMax.set(mailbox, Math.max(mailboxMax.get(mailbox) ?? 0, now));
    const done = () => {
      inFlight--;
      mailboxInFlight.set(mailbox, (mailboxInFlight.get(mailbox) ?? 1) - 1);
    };
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', done);
      },
    );
    upstream.on('error', () => {
      done();
      res.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    maxInFlight: () => max,
    perMailboxMax: () => new Map(mailboxMax),
    reset() {
      max = 0;
      mailboxMax.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Graph requests the emulator received. */
export function graphRequests(emulator: Emulator): number {
  return emulator.requests.filter((r) => r.path.startsWith('/graph/')).length;
}

/**
 * A Microsoft app-only sign-in for `smtp` and `graph` as an account's provider: one client
 * credential, one token per resource (Outlook for SMTP, Graph for sendMail) — what the Microsoft
 * providers are to do once they hand out Graph tokens.
 */
export function testM365AppProvider(emulator: Emulator): AuthProvider {
  return {
    specificationVersion: 'v1',
    id: 'test-m365-app',
    label: 'Test Microsoft 365 app-only (SMTP + Graph)',
    settingsSchema: { fields: [{ key: 'mailbox', label: 'Mailbox', type: 'email', required: true }] },
    capabilities: {
      interactive: false,
      deviceCode: false,
      appOnly: true,
      protocols: ['smtp', 'graph'],
      credentialKind: 'oauth2',
    },
    createSession(init) {
      const mailbox = String(init.settings.mailbox);
      const perResource = {
        smtp: appOnlySource(emulator, { mailbox, scope: OUTLOOK_DEFAULT }),
        graph: appOnlySource(emulator, { mailbox, scope: GRAPH_DEFAULT }),
      };
      const changes = new Emitter<SessionChange>();
      return {
        providerId: 'test-m365-app',
        accountId: init.accountId,
        getCredential(request) {
          const source = request.protocol === 'graph' ? perResource.graph : perResource.smtp;
          return source.getCredential(request);
        },
        checkAuthorization: async () => ({ state: 'authorized', grantedScopes: [], identity: { mailbox } }),
        signOut: async () => ({ revocation: 'unsupported' }),
        onDidChangeSession: changes.event,
        dispose: () => changes.dispose(),
      };
    },
  };
}
