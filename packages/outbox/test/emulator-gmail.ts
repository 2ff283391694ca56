/**
 * A Gmail account against @mailplug/emulator for outbox end-to-end tests: the real gmail-oauth
 * provider (google-auth-library) through the emulator's Google endpoints, sending with XOAUTH2 to
 * the emulator's SMTP server.
 */
import type { MailAccount, SignInCallbackParams } from '@mailplug/core';
import { type Emulator, googleSettingsOverHttp } from '@mailplug/emulator';

/** The "browser": follow the authorize URL once (auto-approve) and read the redirect's query. */
export async function authorize(emulator: Emulator, url: string): Promise<SignInCallbackParams> {
  const res = await fetch(url.replace(emulator.urls.googleBase, `${emulator.urls.http}/google`), {
    redirect: 'manual',
  });
  const location = res.headers.get('location');
  if (!location) throw new Error(`authorize answered ${res.status}`);
  return Object.fromEntries(new URL(location).searchParams);
}

export function gmailAccount(emulator: Emulator, id = 'gmail-office'): MailAccount {
  const ready = emulator.settings['gmail-oauth'];
  const smtp = ready.servers?.smtp;
  if (!smtp) throw new Error('emulator started without mail servers');
  // The emulator's Google endpoints over its loopback http listener (no CA needed for them).
  const { mailbox: _mailbox, ...own } = ready.settings;
  const settings = googleSettingsOverHttp(emulator.urls, {
    ...own,
    redirectUri: 'http://127.0.0.1/callback',
  });
  return {
    id,
    protocol: 'smtp',
    server: { host: smtp.host, port: smtp.port, security: smtp.security, caFile: emulator.caCertPath },
    auth: { provider: 'gmail-oauth', settings },
    identity: { fromAddress: 'alice@contoso.test' },
    scope: { kind: 'system' },
  };
}
