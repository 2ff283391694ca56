import type { ServerSettings } from '@mailplug/core';
import { DEFAULT_IDS, DEFAULT_TENANT_ID, type Emulator, startEmulator } from '@mailplug/emulator';

export const USER = 'alice@contoso.test';

export async function startImapEmulator(): Promise<Emulator> {
  return startEmulator({ identity: { autoApprove: 'first-user' } });
}

export function alicePassword(emulator: Emulator): string {
  const user = emulator.users.find((u) => u.email === USER);
  if (!user?.password) throw new Error('emulator user alice has no password');
  return user.password;
}

export function imapServer(emulator: Emulator, security: 'tls' | 'starttls' = 'tls'): ServerSettings {
  const port = security === 'tls' ? emulator.ports.imaps : emulator.ports.imap;
  if (!port) throw new Error('emulator started without mail servers');
  return { host: '127.0.0.1', port, security, timeoutMs: 10_000, tls: { ca: emulator.caCertPem } };
}

/** An app-only Exchange token (client credentials, IMAP.AccessAsApp) from the emulator over loopback HTTP. */
export async function appOnlyImapToken(emulator: Emulator): Promise<string> {
  const response = await fetch(
    `http://127.0.0.1:${emulator.ports.http}/${DEFAULT_TENANT_ID}/oauth2/v2.0/token`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: DEFAULT_IDS.daemonClientId,
        client_secret: DEFAULT_IDS.daemonSecret,
        scope: 'https://outlook.office365.com/.default',
      }),
    },
  );
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token from the emulator: ${JSON.stringify(body)}`);
  return body.access_token;
}

export const message = (subject: string, body = `body of ${subject}`) =>
  `From: sender@example.test\r\nTo: ${USER}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.test>\r\n\r\n${body}\r\n`;
