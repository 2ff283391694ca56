import { emulatorApiFixture, type MailServerFixture } from '@mailplug/testkit';
import { ALICE, startGmailEmulator, userSource } from './support.js';

/** A fresh emulator per check: the Gmail API with a user token granted only gmail.send (real google-auth-library). */
export async function gmailApiConformanceServer(): Promise<MailServerFixture> {
  const emulator = await startGmailEmulator();
  return emulatorApiFixture(emulator, ALICE, await userSource(emulator));
}
