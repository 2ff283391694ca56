import {
  passwordCredentials,
  type SmtpScriptedReply,
  type SmtpTestServer,
  smtpTestServersClosedBy,
} from '@mailplug/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { smtp } from './index.js';
import { rawSmtpServersPerTest } from './test-raw-smtp.js';
import { expectNoSecret, message, PLANTED_PASSWORD, sendOnce, USER } from './test-support.js';

// Each Gmail / Exchange Online reply is answered by a real smtp-server at the step where the
// provider sends it, and must reach the host classified for the right person with the right fix.
const startServer = smtpTestServersClosedBy(afterEach);
const startPeer = rawSmtpServersPerTest();

type Step = 'auth' | 'mailFrom' | 'data';

interface Row {
  readonly signal: string;
  readonly step: Step;
  readonly reply: SmtpScriptedReply;
  readonly code: string;
  readonly action: string;
  readonly hint: RegExp;
  readonly retryAfterMs?: number;
}

const ROWS: readonly Row[] = [
  {
    signal: 'Gmail 534 5.7.9 application-specific password required',
    step: 'auth',
    reply: {
      code: 534,
      message:
        '5.7.9 Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor',
    },
    code: 'SMTP_APP_PASSWORD_REQUIRED',
    action: 'user',
    hint: /Sign in with Google \(OAuth\).*app password/,
  },
  {
    signal: 'Gmail 534 5.7.14 sign in via your web browser',
    step: 'auth',
    reply: {
      code: 534,
      message:
        '5.7.14 <https://accounts.google.com/signin/continue?sarp=1&scc=1> Please log in via your web browser and then try again.',
    },
    code: 'SMTP_WEB_SIGN_IN_REQUIRED',
    action: 'user',
    hint: /web browser.*accounts\.google\.com/,
  },
  {
    signal: 'Exchange 535 5.7.139 basic authentication is disabled',
    step: 'auth',
    reply: { code: 535, message: '5.7.139 Authentication unsuccessful, basic authentication is disabled.' },
    code: 'SMTP_BASIC_AUTH_DISABLED',
    action: 'admin',
    hint: /Microsoft 365 sign-in \(OAuth.*does not bring them back/,
  },
  {
    signal: 'Exchange 535 5.7.139 SmtpClientAuthentication disabled for the Tenant',
    step: 'auth',
    reply: {
      code: 535,
      message:
        '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
    },
    code: 'SMTP_AUTH_DISABLED',
    action: 'admin',
    hint: /Set-TransportConfig -SmtpClientAuthenticationDisabled \$false.*Microsoft Graph/,
  },
  {
    signal: 'Exchange 535 5.7.139 SmtpClientAuthentication disabled for the Mailbox',
    step: 'auth',
    reply: {
      code: 535,
      message:
        '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.',
    },
    code: 'SMTP_AUTH_DISABLED',
    action: 'admin',
    hint: /Authenticated SMTP.*Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled \$false.*Microsoft Graph/,
  },
  {
    signal: 'Exchange 550 5.7.30 basic authentication not supported',
    step: 'auth',
    reply: { code: 550, message: '5.7.30 Basic authentication is not supported for Client Submission.' },
    code: 'SMTP_BASIC_AUTH_DISABLED',
    action: 'admin',
    hint: /OAuth/,
  },
  {
    signal: 'Exchange 554 5.2.0 SendAsDenied',
    step: 'data',
    reply: {
      code: 554,
      message:
        '5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message.',
    },
    code: 'SMTP_SEND_AS_DENIED',
    action: 'admin',
    hint: /Add-RecipientPermission -Identity <mailbox> -Trustee <user> -AccessRights SendAs/,
  },
  {
    signal: 'Exchange 550 5.7.60 no permission to send as this sender',
    step: 'data',
    reply: { code: 550, message: '5.7.60 SMTP; Client does not have permissions to send as this sender' },
    code: 'SMTP_SEND_AS_DENIED',
    action: 'admin',
    hint: /Add-RecipientPermission -Identity <mailbox> -Trustee <user> -AccessRights SendAs/,
  },
  {
    signal: 'Exchange 432 4.3.2 sender thread limit exceeded',
    step: 'data',
    reply: { code: 432, message: '4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded' },
    code: 'SMTP_MAILBOX_CONCURRENCY_LIMIT',
    action: 'retry',
    hint: /fewer messages at the same time/,
    retryAfterMs: 60_000,
  },
  {
    signal: 'Exchange 554 5.2.0 SubmissionQuotaExceeded',
    step: 'data',
    reply: {
      code: 554,
      message:
        '5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message Cannot submit message.',
    },
    code: 'SMTP_SUBMISSION_QUOTA_EXCEEDED',
    action: 'retry',
    hint: /rolling 24 hours/,
    retryAfterMs: 3_600_000,
  },
  {
    signal: 'Gmail 550 5.4.5 daily sending limit exceeded',
    step: 'mailFrom',
    reply: { code: 550, message: '5.4.5 Daily user sending limit exceeded.' },
    code: 'SMTP_SUBMISSION_QUOTA_EXCEEDED',
    action: 'retry',
    hint: /send it again later/,
    retryAfterMs: 3_600_000,
  },
];

function script(server: SmtpTestServer, step: Step, reply: SmtpScriptedReply) {
  if (step === 'auth') server.script.nextAuth(reply);
  else if (step === 'mailFrom') server.script.nextMailFrom(reply);
  else server.script.nextMail(reply);
}

describe('Gmail and Exchange Online replies, answered by a real smtp-server', () => {
  it.each(ROWS)('$signal → $code ($action)', async (row) => {
    const server = await startServer({ users: { [USER]: PLANTED_PASSWORD } });
    script(server, row.step, row.reply);
    const error = await sendOnce(server.settings, { end: 'dispose' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: row.code,
      action: row.action,
      details: { replyCode: row.reply.code, mayHaveBeenDelivered: false },
    });
    expect((error as { hint: string }).hint).toMatch(row.hint);
    expect((error as { retryAfterMs?: number }).retryAfterMs).toBe(row.retryAfterMs);
    expect(server.messages).toHaveLength(0);
    expectNoSecret(error, PLANTED_PASSWORD);
  });

  it('421 → SMTP_TRANSIENT (retry), after exactly one reconnect; 4.3.2 alone is not the thread limit', async () => {
    const server = await startServer({ users: { [USER]: PLANTED_PASSWORD } });
    const closing = { code: 421, message: '4.3.2 Service not available, closing transmission channel' };
    server.script.nextMailFrom(closing);
    server.script.nextMailFrom(closing);
    const error = await sendOnce(server.settings, { end: 'dispose' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SMTP_TRANSIENT', action: 'retry', details: { replyCode: 421 } });
    expect(server.authSuccesses.PLAIN).toBe(2);
    expect(server.messages).toHaveLength(0);
  });

  it('a multi-line Gmail reply is classified by its enhanced status as well', async () => {
    const peer = await startPeer({
      command: (line) =>
        /^AUTH /i.test(line)
          ? '534-5.7.9 Application-specific password required. Learn more at\r\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp\r\n'
          : undefined,
    });
    const connection = await smtp.connect(
      { host: peer.host, port: peer.port, security: 'none', allowInsecureAuth: true, timeoutMs: 5000 },
      passwordCredentials(USER, PLANTED_PASSWORD),
    );
    const error = await connection.send(message).catch((e: unknown) => e);
    connection.dispose();
    expect(error).toMatchObject({ code: 'SMTP_APP_PASSWORD_REQUIRED', action: 'user' });
  });
});
