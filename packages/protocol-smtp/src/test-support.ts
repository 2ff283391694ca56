// Test helpers shared by this package's tests (not part of the published entry).
import type { CredentialRequest, CredentialSource, MailCredential } from '@mailplug/core';

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
