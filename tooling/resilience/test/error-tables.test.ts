/**
 * Every row of the Entra ID and Google error tables — and the SMTP replies the provider READMEs
 * list — walked through the real library path against the emulator's error injection: the error a
 * host sees from `getCredential` / `mailer.send`, who must act, the hint that names the fix, and
 * the state "Check Authorization" reports.
 */
import { GOOGLE_ERROR_TABLE, type GoogleErrorRule } from '@mailplug/auth-gmail-oauth';
import { authorizationStateFor, type ErrorAction, isMailplugError, type MailplugError } from '@mailplug/core';
import { ENTRA_ERROR_TABLE, type EntraErrorRule } from '@mailplug/microsoft-identity';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Bed, MAILBOX, message, type ProviderId, startBed } from './support/bed.js';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed({
    // One attempt, and every credential request goes to the token endpoint.
    providerOptions: { requestTimeoutMs: 2_000, retry: { attempts: 1 }, earlyRefreshMs: 2 * 60 * 60_000 },
  });
});
afterAll(async () => {
  await bed?.stop();
});

let accounts = 0;
const nextId = (prefix: string) => `${prefix}-${++accounts}`;

async function failureOf(work: Promise<unknown>): Promise<MailplugError> {
  const outcome = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isMailplugError(outcome), `expected a MailplugError, got ${String(outcome)}`).toBe(true);
  return outcome as MailplugError;
}

/** A table hint with its `{mailbox}`-style placeholders as wildcards. */
function hintPattern(hint: string): RegExp {
  const parts = hint.split(/\{[a-zA-Z]+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`);
}

async function expectState(account: Awaited<ReturnType<Bed['account']>>, action: ErrorAction) {
  const status = await (await bed.session(account)).checkAuthorization();
  expect(status.state).toBe(authorizationStateFor({ action }));
}

describe('Entra ID table, through msal-node', () => {
  const flows: [ProviderId, 'delegated' | 'appOnly', string][] = [
    ['m365-delegated', 'delegated', 'refresh_token'],
    ['m365-app-only', 'appOnly', 'client_credentials'],
  ];
  const cases = ENTRA_ERROR_TABLE.flatMap((row) =>
    (row.aadsts ?? []).flatMap((aadsts) =>
      flows.map(([provider, flow, grant]) => ({ row, aadsts, provider, flow, grant })),
    ),
  );
  test.each(cases)(
    'AADSTS$aadsts on $provider → $row.code',
    async ({ row, aadsts, provider, flow, grant }) => {
      const account = await bed.account(provider, nextId('entra'));
      const handle = bed.emulator.inject.microsoft({ aadsts, endpoint: 'token', grant, times: Infinity });
      try {
        const expected: Pick<EntraErrorRule, 'action' | 'hint'> =
          flow === 'delegated' && row.delegated ? row.delegated : row;
        const error = await failureOf((await bed.session(account)).getCredential({ protocol: 'smtp' }));
        expect({ action: error.action, hint: error.hint }).toEqual({
          action: expected.action,
          hint: expected.hint,
        });
        // Core's TokenManager surfaces a user row as REAUTH_REQUIRED (the account's state) and a
        // retry row as TRANSIENT after the attempts, both with the row's advice and the row's error
        // as the cause.
        const surface = { user: 'REAUTH_REQUIRED', retry: 'TRANSIENT' } as Record<string, string>;
        expect(error.code).toBe(surface[expected.action] ?? row.code);
        const original = [error, error.cause].find(
          (e): e is MailplugError =>
            isMailplugError(e) && e.code === row.code && e.details?.aadsts !== undefined,
        );
        expect(original?.details?.aadsts).toBe(`AADSTS${aadsts}`);
        await expectState(account, expected.action);
      } finally {
        handle.remove();
      }
    },
  );

  test("an OAuth error without a row of its own (AADSTS70000 invalid_grant) goes to the user's sign-in", async () => {
    const account = await bed.account('m365-delegated', nextId('entra'));
    const handle = bed.emulator.inject.microsoft({ aadsts: 70000, endpoint: 'token', times: Infinity });
    try {
      const row = ENTRA_ERROR_TABLE.find((r) => r.oauthErrors?.includes('invalid_grant'));
      const error = await failureOf((await bed.session(account)).getCredential({ protocol: 'smtp' }));
      expect(error).toMatchObject({ code: row?.code, action: 'user', hint: row?.hint });
      await expectState(account, 'user');
    } finally {
      handle.remove();
    }
  });
});

describe('Google table, through google-auth-library', () => {
  const sampleDescription = (row: GoogleErrorRule) =>
    row.description ? 'Invalid email or User ID' : 'Emulated Google error.';
  const tokenCases = GOOGLE_ERROR_TABLE.flatMap((row) =>
    row.flows
      .filter((flow) => flow !== 'callback')
      .flatMap((flow) => row.oauthErrors.map((error) => ({ row, flow, error }))),
  );
  test.each(tokenCases)('$error on the $flow token request → $row.code', async ({ row, flow, error }) => {
    const provider: ProviderId = flow === 'user' ? 'gmail-oauth' : 'google-service-account';
    const account = await bed.account(provider, nextId('google'), {
      ...(row.testingMode ? { testingMode: true } : {}),
    });
    const handle = bed.emulator.inject.google({
      error,
      description: sampleDescription(row),
      status: 400,
      endpoint: 'token',
      grant: flow === 'user' ? 'refresh_token' : 'jwt-bearer',
      times: Infinity,
    } as never);
    try {
      const failure = await failureOf((await bed.session(account)).getCredential({ protocol: 'smtp' }));
      expect({ code: failure.code, action: failure.action }).toEqual({ code: row.code, action: row.action });
      expect(failure.hint).toMatch(hintPattern(row.hint));
      if (row.hint.includes('{mailbox}')) expect(failure.hint).toContain(MAILBOX);
      expect(failure.details?.oauthError).toBe(error);
      await expectState(account, row.action);
    } finally {
      handle.remove();
    }
  });

  const callbackCases = GOOGLE_ERROR_TABLE.filter((row) => row.flows.includes('callback')).flatMap((row) =>
    row.oauthErrors.map((error) => ({ row, error })),
  );
  test.each(callbackCases)('$error on the sign-in redirect → $row.code', async ({ row, error }) => {
    const account = await bed.account('gmail-oauth', nextId('callback'));
    const session = await bed.session(account);
    if (!session.interactive) throw new Error('gmail-oauth sessions sign in interactively');
    const start = await session.interactive.begin();
    const state = new URL(start.url).searchParams.get('state') ?? '';
    const failure = await failureOf(session.interactive.complete({ error, state }));
    expect({ code: failure.code, action: failure.action, hint: failure.hint }).toEqual({
      code: row.code,
      action: row.action,
      hint: row.hint,
    });
  });
});

describe('SMTP replies the provider READMEs list, through mailer.send', () => {
  const cases: {
    name: string;
    provider: ProviderId;
    stage: 'auth' | 'mail' | 'data';
    reply: string;
    code: string;
    action: ErrorAction;
    hint: RegExp;
  }[] = [
    {
      name: '535 5.7.3 after a valid app-only token',
      provider: 'm365-app-only',
      stage: 'auth',
      reply: '535 5.7.3 Authentication unsuccessful [SN4PR0201CA0045.namprd02.prod.outlook.com]',
      code: 'M365_EXCHANGE_PERMISSION_MISSING',
      action: 'admin',
      hint: /New-ServicePrincipal -AppId .*Add-MailboxPermission/,
    },
    {
      name: '535 5.7.139 SMTP AUTH disabled',
      provider: 'm365-app-only',
      stage: 'auth',
      reply:
        '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.',
      code: 'M365_SMTP_AUTH_DISABLED',
      action: 'admin',
      hint: /Manage email apps.*Set-CASMailbox/,
    },
    {
      name: '550 5.7.60 no Send As for the app',
      provider: 'm365-app-only',
      stage: 'mail',
      reply: '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
      code: 'M365_SEND_AS_MISSING',
      action: 'admin',
      hint: /Add-RecipientPermission .*-AccessRights SendAs/,
    },
    {
      name: '554 5.2.0 SendAsDenied for the app',
      provider: 'm365-app-only',
      stage: 'data',
      reply:
        '554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message.',
      code: 'M365_SEND_AS_MISSING',
      action: 'admin',
      hint: /Add-RecipientPermission/,
    },
    {
      name: 'Gmail 534 5.7.14 (sign in via a web browser)',
      provider: 'gmail-oauth',
      stage: 'auth',
      reply:
        '534 5.7.14 Please log in via your web browser and then try again. Learn more at https://support.google.com/mail/?p=WebLoginRequired',
      code: 'SMTP_WEB_SIGN_IN_REQUIRED',
      action: 'user',
      hint: /accounts\.google\.com/,
    },
    {
      name: 'Gmail 534 5.7.9 (application-specific password required)',
      provider: 'gmail-oauth',
      stage: 'auth',
      reply:
        '534 5.7.9 Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor',
      code: 'SMTP_APP_PASSWORD_REQUIRED',
      action: 'user',
      hint: /Sign in with Google \(OAuth\)/,
    },
    {
      name: '535 5.7.139 basic authentication is disabled (delegated)',
      provider: 'm365-delegated',
      stage: 'auth',
      reply: '535 5.7.139 Authentication unsuccessful, basic authentication is disabled.',
      code: 'SMTP_BASIC_AUTH_DISABLED',
      action: 'admin',
      hint: /OAuth/,
    },
    {
      name: '550 5.7.60 no Send As for a signed-in user',
      provider: 'm365-delegated',
      stage: 'mail',
      reply: '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
      code: 'SMTP_SEND_AS_DENIED',
      action: 'admin',
      hint: /Add-RecipientPermission/,
    },
  ];
  test.each(cases)('$name → $code ($action)', async ({ provider, stage, reply, code, action, hint }) => {
    const account = await bed.account(provider, nextId('smtp'));
    bed.emulator.mailServers?.script.next({ protocol: 'smtp', stage, reply });
    const failure = await failureOf(bed.mailer.send({ account, message: message(`smtp ${code}`) }));
    bed.emulator.mailServers?.script.clear();
    expect({ code: failure.code, action: failure.action }).toEqual({ code, action });
    expect(failure.hint).toMatch(hint);
  });
});
