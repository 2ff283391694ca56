import type { MailServerFixture } from '@mailplug/testkit';
import { emulatorApiServer } from '@mailplug/testkit';
import { ALICE, startGmailEmulator, userSource } from './support.js';

/** A fresh emulator per check: the Gmail API with a user token granted only gmail.send (real google-auth-library). */
export async function gmailApiConformanceServer(): Promise<MailServerFixture> {
  const emulator = await startGmailEmulator();
  return {
    server: emulatorApiServer(emulator),
    user: ALICE,
    credentials: await userSource(emulator),
    // A token the emulator never issued: the Gmail API answers 401.
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
