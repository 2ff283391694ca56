import { DEFAULT_OAUTH_IDS, type Emulator, type EmulatorOptions, startEmulator } from '@mailplug/emulator';
import { conformanceEmulatorOptions, type ProviderEnvironment } from '@mailplug/testkit';

type Hook = (fn: () => unknown) => void;

/**
 * The emulator's generic OAuth 2.0 server as the identity provider the conformance suite signs in
 * to: working settings, the consent page played as its first test user, and injected faults. The
 * emulator starts in `beforeAll` (nobody is approved automatically, so consent can be denied) and
 * stops in `afterAll`; `oauth` sets up its OAuth server, e.g. the quirks of your identity provider.
 */
export function oauthEmulatorEnvironment(
  hooks: { beforeAll: Hook; afterAll: Hook },
  options: Pick<EmulatorOptions, 'oauth'> = {},
): () => ProviderEnvironment {
  let emulator: Emulator | undefined;
  hooks.beforeAll(async () => {
    emulator = await startEmulator({ ...conformanceEmulatorOptions, ...options });
  });
  hooks.afterAll(() => emulator?.stop());
  return () => {
    const running = emulator;
    if (!running)
      throw new Error(
        'The emulator is not running: call oauthEmulatorEnvironment at the top of a test file.',
      );
    // Loopback HTTP; a real identity provider is reached over HTTPS.
    const issuer = `${running.urls.http}/oauth`;
    return {
      settings: {
        clientId: DEFAULT_OAUTH_IDS.clientId,
        clientSecret: { secretRef: 'oauth-client-secret' },
        redirectUri: 'http://127.0.0.1/callback',
        issuer,
      },
      secrets: { 'oauth-client-secret': DEFAULT_OAUTH_IDS.clientSecret },
      async consent(start, decision) {
        const page = await fetch(start.url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
        const txn = /name="txn" value="([^"]+)"/.exec(await page.text())?.[1];
        if (!txn) throw new Error(`The authorize page showed no consent form (HTTP ${page.status}).`);
        const answer = await fetch(`${issuer}/authorize`, {
          method: 'POST',
          body: new URLSearchParams({ txn, user: running.users[0]?.email ?? '', decision }),
          redirect: 'manual',
          signal: AbortSignal.timeout(10_000),
        });
        const location = answer.headers.get('location');
        if (!location) throw new Error(`The consent page answered ${answer.status} without a redirect.`);
        return Object.fromEntries(new URL(location).searchParams);
      },
      failTokenRequests: (failure) =>
        running.inject.oauth(
          failure === 'revoked'
            ? {
                endpoint: 'token',
                error: 'invalid_grant',
                description: 'The grant was revoked.',
                times: Infinity,
              }
            : { endpoint: 'token', status: 503, times: Infinity },
        ),
      failRevocation: () => running.inject.oauth({ endpoint: 'revoke', status: 503, times: Infinity }),
      rotatesRefreshTokens: true,
    };
  };
}
