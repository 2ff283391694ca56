// Test helpers shared by this package's tests (not part of the published entry).
import type {
  ConnectOptions,
  CredentialRequest,
  CredentialSource,
  MailCredential,
  OutgoingMessage,
  SendProtocol,
  SendResult,
  ServerSettings,
} from '@mailplug/core';
import { passwordCredentials } from '@mailplug/testkit';
import { smtp } from './index.js';

/** The mailbox the server-backed tests sign in as. */
export const USER = 'ann@example.test';

export const PLANTED_PASSWORD = 'planted-Pa55word-7c1d9e';

/**
 * An OAuth CredentialSource that behaves like core's TokenManager: caches the token, one mint in
 * flight, `forceRefresh` mints a new one. `mints` counts token requests to the "identity provider".
 */
export function countingTokenSource(user: string, tokens: readonly string[] = []) {
  let cached: MailCredential | undefined;
  let inflight: Promise<MailCredential> | undefined;
  const state = { mints: 0, calls: 0, forcedCalls: 0 };
  const source: CredentialSource = {
    async getCredential(request: CredentialRequest) {
      state.calls++;
      if (request.forceRefresh) state.forcedCalls++;
      if (!request.forceRefresh && cached) return cached;
      inflight ??= (async () => {
        state.mints++;
        await new Promise((r) => setImmediate(r));
        const accessToken = tokens[state.mints - 1] ?? `planted-token-${state.mints}-a8f3e1`;
        cached = {
          kind: 'oauth2',
          user,
          accessToken,
          expiresAt: Date.now() + 3_600_000,
          scopes: ['https://outlook.office.com/SMTP.Send'],
        };
        inflight = undefined;
        return cached;
      })();
      return inflight;
    },
  };
  return { source, state };
}

export const message = { to: 'bob@example.test', subject: 'Hello', text: 'Hi Bob' } as const;

export function expectNoSecret(value: unknown, ...secrets: string[]) {
  const texts = [
    String(value),
    JSON.stringify(value),
    value instanceof Error ? `${value.message} ${value.stack}` : '',
  ];
  for (const secret of secrets)
    for (const text of texts)
      if (text.includes(secret)) throw new Error(`secret leaked into: ${text.slice(0, 200)}`);
}

export interface SendOnceOptions {
  /** Default: the `smtp` default instance. */
  readonly protocol?: SendProtocol;
  /** Default: USER signing in with PLANTED_PASSWORD. */
  readonly credentials?: CredentialSource | undefined;
  /** Default: `message`. */
  readonly message?: OutgoingMessage;
  readonly signal?: AbortSignal | undefined;
  readonly connect?: ConnectOptions;
  /** `dispose` drops the connection at once: after a failure, a hung peer would hold `close`. */
  readonly end?: 'close' | 'dispose';
}

/** Connects, sends one message and ends the connection: what most server-backed tests do. */
export async function sendOnce(settings: ServerSettings, options: SendOnceOptions = {}): Promise<SendResult> {
  const { protocol = smtp, credentials = passwordCredentials(USER, PLANTED_PASSWORD) } = options;
  const connection = options.connect
    ? await protocol.connect(settings, credentials, options.connect)
    : await protocol.connect(settings, credentials);
  try {
    return await connection.send(
      options.message ?? message,
      options.signal ? { signal: options.signal } : {},
    );
  } finally {
    if (options.end === 'dispose') connection.dispose();
    else await connection.close();
  }
}
