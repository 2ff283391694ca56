import { request } from 'node:https';
import type { CredentialSource } from '@mailplug/core';
import {
  type AuthSessionInit,
  createMemorySecretStore,
  createMemoryTokenStore,
  type TokenStore,
} from '@mailplug/core';
import { type Emulator, type EmulatorOptions, startEmulator } from '@mailplug/emulator';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import { createM365Delegated, type M365DelegatedOptions, type M365DelegatedSession } from '../src/index.js';

/** A session of a fresh provider instance with these factory options. */
export function createM365DelegatedSession(
  init: AuthSessionInit,
  options: M365DelegatedOptions = {},
): M365DelegatedSession {
  return createM365Delegated(options).createSession(init) as M365DelegatedSession;
}

/** Every URL msal asked for, so a test can prove nothing left loopback. */
export function requestLog() {
  const urls: string[] = [];
  return {
    urls,
    onRequest: (info: { url: string }) => {
      urls.push(info.url);
    },
    hosts: () => [...new Set(urls.map((u) => new URL(u).hostname))],
  };
}

export async function emulatorFor(identity: EmulatorOptions['identity'] = {}): Promise<Emulator> {
  return startEmulator({ identity: { autoApprove: 'first-user', deviceCodeInterval: 0, ...identity } });
}

export function initFor(
  emulator: Emulator,
  overrides: Record<string, unknown> = {},
  store: TokenStore = createMemoryTokenStore(),
  accountId = 'acct-1',
): AuthSessionInit {
  const preset = emulator.settings['m365-delegated'];
  return {
    accountId,
    settings: { ...preset.settings, redirectUri: 'http://127.0.0.1/callback', ...overrides },
    secrets: createMemorySecretStore(preset.secrets),
    tokenStore: store,
  };
}

/** The browser part of the auth code flow, headless: the emulator auto-approves and redirects. */
export function followAuthorize(url: string, ca: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca }, (res) => {
      res.resume();
      const location = res.headers.location;
      if (!location || (res.statusCode ?? 0) < 300 || (res.statusCode ?? 0) >= 400) {
        reject(new Error(`Expected a redirect from the authorize endpoint, got ${res.statusCode}`));
        return;
      }
      resolve(Object.fromEntries(new URL(location).searchParams));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function sendOne(
  emulator: Emulator,
  credentials: CredentialSource,
  from: string,
  subject: string,
) {
  const server = emulator.settings['m365-delegated'].servers?.smtp;
  if (!server) throw new Error('emulator started without mail servers');
  const connection = await createSmtpProtocol().connect(server, credentials, { pool: false });
  try {
    return await connection.send({ from, to: 'bob@contoso.test', subject, text: 'Hello from Mailplug' });
  } finally {
    await connection.close();
  }
}
