import type { MailServerFixture } from '@mailplug/testkit';
import { emulatorApiServer } from '@mailplug/testkit';
import { ALICE, appOnlySource, startGraphEmulator } from './support.js';

/** A fresh emulator per check: Graph sendMail with app-only tokens from the real msal-node. */
export async function graphConformanceServer(): Promise<MailServerFixture> {
  const emulator = await startGraphEmulator();
  return {
    server: emulatorApiServer(emulator),
    user: ALICE,
    credentials: appOnlySource(emulator),
    // A token the emulator never issued: Graph answers 401 InvalidAuthenticationToken.
    rejectedCredentials: (planted) => ({
      getCredential: async () => ({
        kind: 'oauth2',
        user: ALICE,
        accessToken: planted,
        expiresAt: Date.now() + 3_600_000,
        scopes: [],
      }),
    }),
    messages: () => emulator.mail.list(ALICE, 'Sent').map((m) => m.raw.toString('utf8')),
    close: () => emulator.stop(),
  };
}
