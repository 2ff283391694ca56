/**
 * Small, honest adapters used to test the suites themselves (not exported): a password provider,
 * an interactive OAuth provider with PKCE, and a line-based protocol over real loopback sockets.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import {
  type AuthProvider,
  type AuthProviderDefinition,
  type AuthProviderInit,
  CoreErrorCode,
  type CredentialSource,
  type DiagnosticStep,
  Emitter,
  type MailProtocol,
  MailplugError,
  mailplugError,
  type SessionChange,
  type StoredValue,
  type TokenStore,
  toDisposable,
} from '@mailplug/core';

export function memoryTokenStore(): TokenStore {
  const values = new Map<string, StoredValue>();
  return {
    get: async (k) => values.get(k),
    set: async (k, v) => {
      values.set(k, v);
    },
    delete: async (k) => {
      values.delete(k);
    },
    withLock: (_k, fn) => fn(),
  };
}

const b64url = (b: Buffer) => b.toString('base64url');

function baseSession(init: AuthProviderInit, providerId: string) {
  const changes = new Emitter<SessionChange>();
  return {
    providerId,
    accountId: init.accountId,
    onDidChangeSession: changes.event,
    changes,
    async signOut() {},
    dispose() {
      changes.dispose();
    },
  };
}

/** Reads the password from the SecretStore; a failing store error is wrapped without leaking. */
export function passwordProvider(): AuthProviderDefinition {
  return {
    specificationVersion: 'v1',
    id: 'suite-password',
    label: 'Suite password',
    capabilities: {
      interactive: false,
      deviceCode: false,
      appOnly: false,
      protocols: ['line'],
      credentialKind: 'password',
    },
    settingsSchema: {
      fields: [
        { key: 'username', label: 'User name', type: 'string', required: true },
        { key: 'password', label: 'Password', type: 'secret', required: true },
      ],
    },
    create(init): AuthProvider {
      return {
        ...baseSession(init, 'suite-password'),
        async getCredential() {
          const ref = init.settings.password as { secretRef: string };
          let password: string | undefined;
          try {
            password = await init.secrets.get(ref.secretRef);
          } catch (cause) {
            throw mailplugError(
              CoreErrorCode.SecretMissing,
              'admin',
              `The password for ${String(init.settings.username)} could not be read.`,
              'Check that the secret store is reachable and holds the password.',
              { cause },
            );
          }
          return { kind: 'password', user: String(init.settings.username), password: password ?? '' };
        },
        async checkAuthorization() {
          return { state: 'authorized', grantedScopes: [] };
        },
      };
    },
  };
}

export interface OAuthSubjectOptions {
  /** Break the contract on purpose, for the suite's own negative tests. */
  readonly breakage?: 'noPkce' | 'reusableState' | 'leakSecret';
}

/** Capabilities and settings shared by every interactive OAuth test subject. */
export const oauthSubjectShape: Pick<AuthProviderDefinition, 'capabilities' | 'settingsSchema'> = {
  capabilities: {
    interactive: true,
    deviceCode: false,
    appOnly: false,
    protocols: ['line'],
    credentialKind: 'oauth2',
  },
  settingsSchema: {
    fields: [
      { key: 'clientId', label: 'Client ID', type: 'string', required: true, pattern: '^[0-9a-f-]{8,}$' },
      { key: 'authorizeUrl', label: 'Authorize URL', type: 'url', required: true },
      { key: 'redirectUri', label: 'Redirect URI', type: 'url', required: true },
    ],
  },
};

/** An interactive OAuth provider whose "identity provider" is the `authorizeWithIdp` function below. */
export function oauthProvider(subject: OAuthSubjectOptions = {}): AuthProviderDefinition {
  return {
    specificationVersion: 'v1',
    id: 'suite-oauth',
    label: 'Suite OAuth',
    ...oauthSubjectShape,
    create(init): AuthProvider {
      const base = baseSession(init, 'suite-oauth');
      const pending = new Map<string, { challenge: string; expiresAt: number }>();
      const tokenKey = `${init.accountId}:token`;
      return {
        ...base,
        async beginSignIn() {
          const state = b64url(randomBytes(24));
          const challenge = b64url(
            createHash('sha256')
              .update(b64url(randomBytes(32)))
              .digest(),
          );
          const expiresAt = Date.now() + 600_000;
          pending.set(state, { challenge, expiresAt });
          const url = new URL(String(init.settings.authorizeUrl));
          url.searchParams.set('client_id', String(init.settings.clientId));
          url.searchParams.set('state', state);
          if (subject.breakage !== 'noPkce') {
            url.searchParams.set('code_challenge', challenge);
            url.searchParams.set('code_challenge_method', 'S256');
          }
          return { url: url.href, state, redirectUri: String(init.settings.redirectUri), expiresAt };
        },
        async completeSignIn(params) {
          const entry = params.state ? pending.get(params.state) : undefined;
          if (!entry || entry.expiresAt < Date.now()) {
            throw mailplugError(
              CoreErrorCode.SignInStateInvalid,
              'user',
              'This sign-in link is unknown or used.',
              'Start the sign-in again.',
            );
          }
          if (subject.breakage !== 'reusableState') pending.delete(params.state!);
          if (params.error) {
            throw mailplugError(
              CoreErrorCode.SignInDenied,
              'user',
              'Consent was declined.',
              'Sign in again and accept the requested permissions.',
            );
          }
          if (params.code !== `code-for-${entry.challenge}`) {
            throw mailplugError(
              'SIGN_IN_CODE_INVALID',
              'user',
              'The authorization code is not valid.',
              'Start the sign-in again.',
            );
          }
          const refreshToken = String(params.refresh_token ?? b64url(randomBytes(16)));
          await init.tokenStore.set(tokenKey, {
            accessToken: b64url(randomBytes(16)),
            expiresAt: Date.now() + 3_600_000,
            refreshToken,
          });
          base.changes.fire({
            type: 'added',
            accountId: init.accountId,
            identity: { mailbox: 'user@example.com' },
          });
          return { mailbox: 'user@example.com' };
        },
        async getCredential() {
          const token = (await init.tokenStore.get(tokenKey)) as
            | { accessToken: string; expiresAt: number; refreshToken: string }
            | undefined;
          if (!token)
            throw mailplugError(
              CoreErrorCode.SignInRequired,
              'user',
              'Nobody has signed in.',
              'Sign in to the mailbox.',
            );
          if (token.expiresAt <= Date.now()) {
            // The identity provider refuses the refresh token and echoes the request, as real ones do.
            const idpError = new Error(`invalid_grant: refresh_token=${token.refreshToken} is revoked`);
            if (subject.breakage === 'leakSecret') {
              throw new MailplugError({
                code: CoreErrorCode.ReauthRequired,
                action: 'user',
                message: `Refresh with ${token.refreshToken} failed.`,
                hint: 'Sign in again.',
              });
            }
            throw mailplugError(
              CoreErrorCode.ReauthRequired,
              'user',
              'The sign-in has expired.',
              'Sign in again.',
              {
                cause: idpError,
              },
            );
          }
          return {
            kind: 'oauth2',
            user: 'user@example.com',
            accessToken: token.accessToken,
            expiresAt: token.expiresAt,
            scopes: ['line'],
          };
        },
        async checkAuthorization() {
          const token = await init.tokenStore.get(tokenKey);
          return { state: token ? 'authorized' : 'signInRequired', grantedScopes: token ? ['line'] : [] };
        },
        async signOut() {
          await init.tokenStore.delete(tokenKey);
        },
      };
    },
  };
}

/** Plays the identity provider's consent page: answers with a code bound to the PKCE challenge. */
export async function authorizeWithIdp(start: {
  url: string;
  state: string;
}): Promise<Record<string, string>> {
  const url = new URL(start.url);
  return { state: start.state, code: `code-for-${url.searchParams.get('code_challenge')}` };
}

// ---------------------------------------------------------------------------------------------
// A line protocol over TCP: just enough of a real client/server pair to exercise the protocol suite.

export interface LineServer {
  readonly port: number;
  readonly received: string[];
  close(): Promise<void>;
}

export async function startLineServer(mailbox: readonly string[] = []): Promise<LineServer> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setEncoding('utf8');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const [command, ...rest] = buffer.slice(0, i).split(' ');
        buffer = buffer.slice(i + 1);
        const arg = rest.join(' ');
        if (command === 'AUTH') socket.write(arg.startsWith('good ') ? 'OK\n' : 'ERR bad credentials\n');
        else if (command === 'SEND') socket.write(`OK <${received.push(arg)}@line>\n`);
        else if (command === 'LIST')
          socket.write(
            `OK ${JSON.stringify(mailbox.map((m, n) => ({ id: String(n + 1), size: m.length })))}\n`,
          );
        else if (command === 'FETCH')
          socket.write(`OK ${Buffer.from(mailbox[Number(arg) - 1] ?? '').toString('base64')}\n`);
        else socket.end('BYE\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface LineClient {
  command(line: string): Promise<string>;
  close(): Promise<void>;
}

async function openLine(host: string, port: number): Promise<LineClient> {
  const socket = tcpConnect({ host, port });
  socket.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (cause) =>
      reject(
        mailplugError(
          'CONNECTION_REFUSED',
          'admin',
          `Nothing answers on ${host}:${port}.`,
          'Check the server host and port.',
          {
            cause,
          },
        ),
      ),
    );
  });
  let buffer = '';
  const waiting: ((line: string) => void)[] = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      waiting.shift()?.(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
  });
  return {
    command: (line) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        socket.write(`${line}\n`);
      }),
    close: async () => {
      if (!socket.destroyed) socket.destroy();
    },
  };
}

async function login(client: LineClient, credentials: CredentialSource): Promise<void> {
  const credential = await credentials.getCredential({ protocol: 'line' });
  const secret = credential.kind === 'password' ? credential.password : credential.accessToken;
  const reply = await client.command(`AUTH ${secret} ${credential.user}`);
  if (!reply.startsWith('OK')) {
    await client.close();
    throw mailplugError(
      'AUTH_FAILED',
      'user',
      'The server refused the credentials.',
      'Check the user name and password.',
    );
  }
}

export interface LineProtocolOptions {
  readonly direction: 'send' | 'receive';
  readonly breakage?: 'probeThrows' | 'noHint' | 'emptyMessageId' | 'missingPort';
}

export function lineProtocol(options: LineProtocolOptions): MailProtocol {
  const defaultPorts = (
    options.breakage === 'missingPort'
      ? { starttls: 7025, tls: 7465 }
      : { starttls: 7025, tls: 7465, none: 7000 }
  ) as MailProtocol['defaultPorts'];
  const common = {
    specificationVersion: 'v1' as const,
    id: `line-${options.direction}`,
    label: `Line ${options.direction}`,
    defaultPorts,
    async probe(
      server: { host: string; port: number },
      credentials: CredentialSource,
      probeOptions?: { onStep?: (s: DiagnosticStep) => void },
    ) {
      const steps: DiagnosticStep[] = [];
      const record = (step: DiagnosticStep) => {
        steps.push(step);
        probeOptions?.onStep?.(step);
      };
      const started = performance.now();
      try {
        const client = await openLine(server.host, server.port);
        record({ id: 'tcp', label: 'Connect', status: 'ok', durationMs: performance.now() - started });
        const authStarted = performance.now();
        await login(client, credentials);
        record({ id: 'auth', label: 'Sign in', status: 'ok', durationMs: performance.now() - authStarted });
        await client.close();
      } catch (err) {
        if (options.breakage === 'probeThrows') throw err;
        const error =
          err instanceof MailplugError
            ? err.toJSON()
            : new MailplugError({
                code: 'UNKNOWN',
                action: 'retry',
                message: String(err),
                hint: 'Retry.',
              }).toJSON();
        record({
          id: steps.length === 0 ? 'tcp' : 'auth',
          label: steps.length === 0 ? 'Connect' : 'Sign in',
          status: 'failed',
          durationMs: performance.now() - started,
          error: options.breakage === 'noHint' ? { ...error, hint: '' } : error,
        });
      }
      return { ok: steps.every((s) => s.status !== 'failed'), steps };
    },
  };
  if (options.direction === 'send') {
    return {
      ...common,
      direction: 'send',
      async connect(server, credentials) {
        const client = await openLine(server.host, server.port);
        await login(client, credentials);
        return {
          direction: 'send',
          async send(message) {
            const reply = await client.command(`SEND ${JSON.stringify(message)}`);
            const to = Array.isArray(message.to) ? message.to : [message.to];
            return {
              messageId: options.breakage === 'emptyMessageId' ? '' : reply.slice(3),
              accepted: to.map((t) => (typeof t === 'string' ? t : t.address)),
              rejected: [],
            };
          },
          close: () => client.close(),
          dispose: () => client.close(),
        };
      },
    };
  }
  return {
    ...common,
    direction: 'receive',
    deprecated: { since: '2026-01', message: 'Use the send direction; this exists to test receive suites.' },
    async connect(server, credentials) {
      const client = await openLine(server.host, server.port);
      await login(client, credentials);
      return {
        direction: 'receive',
        list: async () => JSON.parse((await client.command('LIST')).slice(3)),
        fetch: async (id) =>
          new Uint8Array(Buffer.from((await client.command(`FETCH ${id}`)).slice(3), 'base64')),
        delete: async () => {},
        close: () => client.close(),
        dispose: () => client.close(),
      };
    },
  };
}

export const goodCredentials: CredentialSource = {
  getCredential: async () => ({ kind: 'password', user: 'line-user', password: 'good' }),
};

/** toDisposable re-exported for tests that build sessions by hand. */
export { toDisposable };
