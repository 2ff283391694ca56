/**
 * Small, honest subjects for testing the suites themselves (not exported): a password provider,
 * and a line-based mail protocol with its server over real loopback sockets. Each `breakage`
 * breaks one rule on purpose.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import {
  type AuthProvider,
  type AuthSession,
  CoreErrorCode,
  type CredentialSource,
  type DiagnosticStep,
  Emitter,
  forgetAccount,
  type MailProtocol,
  MailplugError,
  mailplugError,
  type SessionChange,
} from '@mailplug/core';
import type { MailServerFixture } from './mail-protocol-checks.js';

export type PasswordBreakage =
  /** Logs the password it hands out. */
  | 'logsPassword'
  /** signOut returns nothing. */
  | 'signOutReturnsNothing'
  /** Claims interactive sign-in in its capabilities without offering it. */
  | 'claimsInteractive';

export const passwordShape = {
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
} as const satisfies Pick<AuthProvider, 'id' | 'label' | 'capabilities' | 'settingsSchema'>;

export const passwordPackageJson = {
  name: '@example/suite-password',
  mailplug: { specificationVersion: 'v1', authProviders: [JSON.parse(JSON.stringify(passwordShape))] },
};

/** Reads the password from the SecretStore at every getCredential; a missing secret is an admin error. */
export function passwordProvider(breakage?: PasswordBreakage): AuthProvider {
  return {
    specificationVersion: 'v1',
    ...passwordShape,
    capabilities: { ...passwordShape.capabilities, interactive: breakage === 'claimsInteractive' },
    createSession(init): AuthSession {
      const changes = new Emitter<SessionChange>();
      const ref = (init.settings.password as { secretRef: string }).secretRef;
      const username = String(init.settings.username);
      return {
        providerId: passwordShape.id,
        accountId: init.accountId,
        onDidChangeSession: changes.event,
        async getCredential() {
          const password = await init.secrets.get(ref).catch((cause: unknown) => {
            throw mailplugError(
              CoreErrorCode.SecretMissing,
              'admin',
              'The secret store failed.',
              'Check the secret store.',
              { cause },
            );
          });
          if (!password) {
            throw mailplugError(
              CoreErrorCode.SecretMissing,
              'admin',
              `The password secret "${ref}" is missing.`,
              `Store the password under "${ref}" in the secret store.`,
            );
          }
          if (breakage === 'logsPassword')
            init.logger?.debug('using password', { password: `${password.slice(0, 12)}…` });
          return { kind: 'password', user: username, password };
        },
        async checkAuthorization() {
          return { state: 'authorized', grantedScopes: [] };
        },
        async signOut() {
          await forgetAccount(init.tokenStore, init.accountId);
          return (breakage === 'signOutReturnsNothing' ? undefined : { revocation: 'unsupported' }) as never;
        },
        dispose() {
          changes.dispose();
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A line protocol over TCP: just enough of a real client/server pair to exercise the protocol suite.

export interface LineServer {
  readonly port: number;
  readonly received: string[];
  fixture(): MailServerFixture;
  close(): Promise<void>;
}

const LINE_USER = 'line-user@example.com';
const LINE_PASSWORD = 'good-password-1';

export async function startLineServer(): Promise<LineServer> {
  const received: string[] = [];
  const mailbox = new Map<string, string>();
  let nextId = 1;
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
        if (command === 'AUTH')
          socket.write(arg === `${LINE_PASSWORD} ${LINE_USER}` ? 'OK\n' : 'ERR bad credentials\n');
        else if (command === 'SEND') socket.write(`OK <${received.push(arg)}@line>\n`);
        else if (command === 'LIST')
          socket.write(`OK ${JSON.stringify([...mailbox].map(([id, m]) => ({ id, size: m.length })))}\n`);
        else if (command === 'FETCH')
          socket.write(`OK ${Buffer.from(mailbox.get(arg) ?? '').toString('base64')}\n`);
        else if (command === 'DELETE') socket.write(mailbox.delete(arg) ? 'OK\n' : 'ERR no such message\n');
        else socket.end('BYE\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    received,
    fixture: () => ({
      server: { host: '127.0.0.1', port, security: 'none', allowInsecureAuth: true, timeoutMs: 5000 },
      user: LINE_USER,
      password: LINE_PASSWORD,
      deliver: (raw) => void mailbox.set(String(nextId++), raw),
      messages: () => [...received],
    }),
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
          { cause },
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

export type LineBreakage =
  | 'probeThrows'
  | 'noHint'
  | 'emptyMessageId'
  | 'missingPort'
  /** A rejected login names the password, base64-encoded. */
  | 'echoesPassword'
  /** send() reports success without sending. */
  | 'dropsMessages'
  /** delete() does nothing. */
  | 'ignoresDelete'
  /** list() numbers messages afresh on every call. */
  | 'unstableIds';

async function login(
  client: LineClient,
  credentials: CredentialSource,
  breakage?: LineBreakage,
): Promise<void> {
  const credential = await credentials.getCredential({ protocol: 'line' });
  const secret = credential.kind === 'password' ? credential.password : credential.accessToken;
  const reply = await client.command(`AUTH ${secret} ${credential.user}`);
  if (!reply.startsWith('OK')) {
    await client.close();
    const said = breakage === 'echoesPassword' ? ` for ${Buffer.from(secret).toString('base64')}` : '';
    throw mailplugError(
      'AUTH_FAILED',
      'user',
      `The server refused the credentials${said}.`,
      'Check the user name and password.',
    );
  }
}

export const lineShape = (direction: 'send' | 'receive') => ({
  id: `line-${direction}`,
  label: `Line ${direction}`,
  direction,
  defaultPorts: { starttls: 7025, tls: 7465, none: 7000 },
  ...(direction === 'receive'
    ? {
        deprecated: {
          since: '2026-01',
          message: 'Use the send direction; this exists to test receive suites.',
        },
      }
    : {}),
});

export const linePackageJson = {
  name: '@example/line',
  mailplug: { specificationVersion: 'v1', protocols: [lineShape('send'), lineShape('receive')] },
};

export function lineProtocol(direction: 'send' | 'receive', breakage?: LineBreakage): MailProtocol {
  const shape = lineShape(direction);
  const defaultPorts = (
    breakage === 'missingPort' ? { starttls: 7025, tls: 7465 } : shape.defaultPorts
  ) as MailProtocol['defaultPorts'];
  const common = {
    specificationVersion: 'v1' as const,
    ...shape,
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
        await login(client, credentials, breakage);
        record({ id: 'auth', label: 'Sign in', status: 'ok', durationMs: performance.now() - authStarted });
        await client.close();
      } catch (err) {
        if (breakage === 'probeThrows') throw err;
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
          error: breakage === 'noHint' ? { ...error, hint: '' } : error,
        });
      }
      return { ok: steps.every((s) => s.status !== 'failed'), steps };
    },
  };
  if (direction === 'send') {
    return {
      ...common,
      direction: 'send',
      async connect(server, credentials) {
        const client = await openLine(server.host, server.port);
        await login(client, credentials, breakage);
        return {
          direction: 'send',
          async send(message) {
            const reply =
              breakage === 'dropsMessages'
                ? 'OK <dropped@line>'
                : await client.command(`SEND ${JSON.stringify(message)}`);
            const to = Array.isArray(message.to) ? message.to : [message.to];
            return {
              messageId: breakage === 'emptyMessageId' ? '' : reply.slice(3),
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
    async connect(server, credentials) {
      const client = await openLine(server.host, server.port);
      await login(client, credentials, breakage);
      let calls = 0;
      return {
        direction: 'receive',
        list: async () => {
          const listed: { id: string; size: number }[] = JSON.parse((await client.command('LIST')).slice(3));
          calls += 1;
          return breakage === 'unstableIds' ? listed.map((m) => ({ ...m, id: `${m.id}-${calls}` })) : listed;
        },
        fetch: async (id) =>
          new Uint8Array(Buffer.from((await client.command(`FETCH ${id}`)).slice(3), 'base64')),
        delete: async (id) => {
          if (breakage !== 'ignoresDelete') await client.command(`DELETE ${id}`);
        },
        close: () => client.close(),
        dispose: () => client.close(),
      };
    },
  };
}
