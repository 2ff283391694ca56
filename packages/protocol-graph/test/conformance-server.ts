import { emulatorApiFixture, type MailServerFixture } from '@mailplug/testkit';
import { ALICE, appOnlySource, startGraphEmulator } from './support.js';

/** A fresh emulator per check: Graph sendMail with app-only tokens from the real msal-node. */
export async function graphConformanceServer(): Promise<MailServerFixture> {
  const emulator = await startGraphEmulator();
  return emulatorApiFixture(emulator, ALICE, appOnlySource(emulator));
}
