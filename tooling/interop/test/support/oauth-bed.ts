/**
 * One real Dovecot validating OAuth tokens through the emulator's RFC 7662 introspection endpoint
 * (plus a passwd-file for passwords), and token sessions from the real Gmail and Microsoft
 * providers signed in against the same emulator.
 */
import { request } from 'node:https';
import { createGoogleServiceAccount } from '@mailplug/auth-gmail-oauth';
import { createM365Delegated } from '@mailplug/auth-m365-delegated';
import {
  type AuthSession,
  type CredentialSource,
  createMemorySecretStore,
  createMemoryTokenStore,
  type ServerSettings,
} from '@mailplug/core';
import { DEFAULT_IDS, type Emulator, startEmulator } from '@mailplug/emulator';
import { type DovecotInstance, startDovecot } from '../../src/index.js';

export const MAILBOX = 'alice@contoso.test';
export const PASSWORD_USER = 'carol@example.test';
export const PASSWORD = 'carol-dovecot-pass-5150';

export interface OAuthBed {
  readonly emulator: Emulator;
  readonly dovecot: DovecotInstance;
  /** Gmail tokens (google-auth-library JWT, domain-wide delegation for the mailbox). */
  readonly gmail: AuthSession;
  /** Microsoft 365 delegated tokens (msal-node auth code + PKCE, signed in headlessly). */
  readonly microsoft: AuthSession;
  server(service: 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'submission'): ServerSettings;
  stop(): Promise<void>;
}

export async function startOAuthBed(): Promise<OAuthBed> {
  const emulator = await startEmulator({ identity: { autoApprove: 'first-user' } });
  let dovecot: DovecotInstance | undefined;
  try {
    dovecot = await startDovecot({
      users: { [PASSWORD_USER]: PASSWORD },
      oauth2: {
        introspectionUrl: emulator.urls.introspection,
        clientId: DEFAULT_IDS.introspectionClientId,
        clientSecret: DEFAULT_IDS.introspectionSecret,
        usernameAttribute: 'username',
      },
    });
    const gmail = createGoogleServiceAccount().createSession({
      accountId: 'interop-gmail',
      settings: {
        serviceAccountKey: { secretRef: 'sa-key' },
        mailbox: MAILBOX,
        tokenUrl: `${emulator.urls.http}/google/token`,
      },
      secrets: createMemorySecretStore({
        'sa-key': JSON.stringify(
          emulator.identity.serviceAccountKey(DEFAULT_IDS.googleServiceAccount, emulator.urls.googleBase),
        ),
      }),
      tokenStore: createMemoryTokenStore(),
    });
    const preset = emulator.settings['m365-delegated'];
    const microsoft = createM365Delegated().createSession({
      accountId: 'interop-m365',
      settings: { ...preset.settings, redirectUri: 'http://127.0.0.1/callback' },
      secrets: createMemorySecretStore(preset.secrets),
      tokenStore: createMemoryTokenStore(),
    });
    if (!microsoft.interactive) throw new Error('m365-delegated offers no interactive sign-in');
    const start = await microsoft.interactive.begin();
    await microsoft.interactive.complete(await followAuthorize(start.url, emulator.caCertPem));

    const instance = dovecot;
    return {
      emulator,
      dovecot: instance,
      gmail,
      microsoft,
      server(service) {
        const port = instance.ports[service];
        const security = service === 'imaps' || service === 'pop3s' ? 'tls' : 'starttls';
        return { host: '127.0.0.1', port, security, timeoutMs: 10_000, tls: { ca: instance.ca } };
      },
      async stop() {
        await gmail.dispose();
        await microsoft.dispose();
        await instance.stop();
        await emulator.stop();
      },
    };
  } catch (error) {
    await dovecot?.stop();
    await emulator.stop();
    throw error;
  }
}

/** The browser part of the auth code flow: the emulator auto-approves and redirects with the code. */
function followAuthorize(url: string, ca: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca }, (res) => {
      res.resume();
      const location = res.headers.location;
      if (!location) return reject(new Error(`authorize answered ${res.statusCode} without a redirect`));
      resolve(Object.fromEntries(new URL(location).searchParams));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A fixed credential, recording requests (for rejected-token tests). */
export function fixedToken(user: string, accessToken: string): CredentialSource & { requests: unknown[] } {
  const requests: unknown[] = [];
  return {
    requests,
    async getCredential(request) {
      requests.push(request);
      return { kind: 'oauth2', user, accessToken, expiresAt: Date.now() + 3_600_000, scopes: [] };
    },
  };
}

export const passwordSource = (user: string, password: string): CredentialSource => ({
  getCredential: async () => ({ kind: 'password', user, password }),
});

export const rawMessage = (subject: string) =>
  `From: sender@example.test\r\nTo: ${MAILBOX}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.test>\r\n\r\nbody of ${subject}\r\n`;
