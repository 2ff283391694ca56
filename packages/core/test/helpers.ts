import type { MailAccount } from '../src/accounts/index.js';
import type { AuthProvider, AuthSession, AuthSessionInit } from '../src/spec/v1/auth-provider.js';
import { toDisposable } from '../src/spec/v1/disposable.js';
import type { CredentialSource, SendConnection, SendProtocol, ServerSettings } from '../src/spec/v1/index.js';
import type { OutgoingMessage, SendResult } from '../src/spec/v1/message.js';
import type { ReceiveProtocol } from '../src/spec/v1/protocol.js';

export interface ProviderLog {
  created: AuthSessionInit[];
  disposed: string[];
}

/** A password provider that reads its password from the SecretStore, like auth-basic does. */
export function passwordProvider(log: ProviderLog = { created: [], disposed: [] }): AuthProvider {
  return {
    specificationVersion: 'v1',
    id: 'test-password',
    label: 'Test password',
    capabilities: {
      interactive: false,
      deviceCode: false,
      appOnly: false,
      protocols: ['test-send', 'test-receive'],
      credentialKind: 'password',
    },
    settingsSchema: {
      fields: [
        { key: 'username', label: 'User name', type: 'string', required: true },
        { key: 'password', label: 'Password', type: 'secret', required: true },
      ],
    },
    validateSettings(settings) {
      return settings.username === 'root'
        ? [
            {
              path: 'username',
              message: 'The root account cannot send mail.',
              fix: 'Use the mailbox user name.',
            },
          ]
        : [];
    },
    createSession(init): AuthSession {
      log.created.push(init);
      return {
        providerId: 'test-password',
        accountId: init.accountId,
        async getCredential() {
          const ref = init.settings.password as { secretRef: string };
          return {
            kind: 'password',
            user: String(init.settings.username),
            password: (await init.secrets.get(ref.secretRef)) ?? '',
          };
        },
        async checkAuthorization() {
          return { state: 'authorized', grantedScopes: [] };
        },
        async signOut() {
          return { revocation: 'nothingToRevoke' as const };
        },
        onDidChangeSession: () => toDisposable(() => {}),
        dispose() {
          log.disposed.push(init.accountId);
        },
      };
    },
  };
}

/** An OAuth-shaped provider; only its description matters to account validation. */
export function oauthProvider(): AuthProvider {
  return {
    specificationVersion: 'v1',
    id: 'test-oauth',
    label: 'Test OAuth',
    capabilities: {
      interactive: true,
      deviceCode: false,
      appOnly: false,
      protocols: ['test-send'],
      credentialKind: 'oauth2',
    },
    settingsSchema: {
      fields: [
        { key: 'clientId', label: 'Client ID', type: 'string', required: true },
        { key: 'clientSecret', label: 'Client secret', type: 'secret', required: true },
        { key: 'tokenUrl', label: 'Token URL', type: 'url' },
      ],
    },
    createSession() {
      throw new Error('not used');
    },
  };
}

export interface SentRecord {
  server: ServerSettings;
  message: OutgoingMessage;
  user: string;
}

/** Records what a real protocol would put on the wire; counts connections to prove reuse. */
export function recordingSendProtocol(state: {
  sent: SentRecord[];
  connects: number;
  closes: number;
}): SendProtocol {
  return {
    specificationVersion: 'v1',
    id: 'test-send',
    label: 'Test send',
    direction: 'send',
    defaultPorts: { starttls: 587, tls: 465, none: 25 },
    async probe(server, credentials: CredentialSource) {
      const credential = await credentials.getCredential({ protocol: 'test-send' });
      return {
        ok: true,
        steps: [
          {
            id: 'auth',
            label: `Signed in as ${credential.user}`,
            status: 'ok',
            durationMs: 0,
            detail: server.host,
          },
        ],
      };
    },
    async connect(server, credentials): Promise<SendConnection> {
      state.connects += 1;
      let open = true;
      const connection: SendConnection = {
        direction: 'send',
        async send(message): Promise<SendResult> {
          if (!open) throw new Error('connection closed');
          const credential = await credentials.getCredential({ protocol: 'test-send' });
          state.sent.push({ server, message, user: credential.user });
          const to = Array.isArray(message.to) ? message.to : [message.to];
          return {
            messageId: `<${state.sent.length}@test>`,
            accepted: to.map((t) => (typeof t === 'string' ? t : t.address)),
            rejected: [],
          };
        },
        async close() {
          if (open) state.closes += 1;
          open = false;
        },
        dispose() {
          return connection.close();
        },
      };
      return connection;
    },
  };
}

export function receiveProtocol(): ReceiveProtocol {
  return {
    specificationVersion: 'v1',
    id: 'test-receive',
    label: 'Test receive',
    direction: 'receive',
    deprecated: { since: '2026-01', message: 'Use IMAP.' },
    defaultPorts: { starttls: 110, tls: 995, none: 110 },
    probe: async () => ({ ok: true, steps: [] }),
    connect: async () => {
      throw new Error('not used');
    },
  };
}

export function sendAccount(overrides: Partial<MailAccount> = {}): MailAccount {
  return {
    id: 'office',
    protocol: 'test-send',
    server: { host: 'smtp.example.com', port: 587, security: 'starttls' },
    auth: {
      provider: 'test-password',
      settings: { username: 'office', password: { secretRef: 'office-password' } },
    },
    identity: { fromAddress: 'office@example.com', displayName: 'Example Office' },
    scope: { kind: 'organization' },
    ...overrides,
  };
}
