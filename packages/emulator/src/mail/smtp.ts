import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { Authorizer } from './auth.js';
import { type MailScript, MICROSOFT_REPLIES } from './script.js';
import { SMTP_AUTH_DISABLED_REPLIES, type SmtpAuthSwitch } from './smtp-auth-switch.js';
import { type MailStore, normaliseMailbox } from './store.js';
import type { MailServersOptions } from './types.js';

interface SmtpContext {
  options: MailServersOptions;
  authorizer: Authorizer;
  script: MailScript;
  store: MailStore;
  smtpAuth: SmtpAuthSwitch;
}

interface SmtpUser {
  mailbox: string;
}

/** Turns a verbatim `535 5.7.139 text` reply into the error smtp-server writes back as is. */
function replyError(reply: string): Error & { responseCode: number } {
  const match = /^(\d{3})[ -]?(.*)$/.exec(reply.trim());
  const error = new Error(match?.[2] ?? reply) as Error & { responseCode: number };
  error.responseCode = Number(match?.[1] ?? 550);
  return error;
}

const sessionMailbox = (session: SMTPServerSession): string | undefined =>
  (session.user as SmtpUser | undefined)?.mailbox;

function buildOptions(context: SmtpContext, secure: boolean): SMTPServerOptions {
  const { options, authorizer, script, store, smtpAuth } = context;
  const canActAs = options.canActAs ?? (() => false);
  // Exchange checks "Authenticated SMTP" once it knows the mailbox, for passwords and tokens alike.
  const smtpAuthOff = (mailbox: string, tenant?: string) => {
    const level = smtpAuth.disabledFor(mailbox, tenant ?? options.tenantOf?.(mailbox));
    return level ? replyError(SMTP_AUTH_DISABLED_REPLIES[level]) : undefined;
  };
  return {
    secure,
    key: options.tls.keyPem,
    cert: options.tls.certPem,
    name: options.serverName ?? 'localhost',
    banner: 'Mailplug emulator ESMTP',
    authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'],
    authOptional: true, // MAIL FROM answers Microsoft's 530 5.7.57 itself
    hideENHANCEDSTATUSCODES: true, // replies below carry their own enhanced codes
    allowInsecureAuth: false,
    size: 35 * 1024 * 1024,
    closeTimeout: 100,
    disableReverseLookup: true, // no DNS in tests; the lookup only slows every connection
    logger: false,
    disabledCommands: secure ? ['STARTTLS'] : [],
    onAuth(auth, _session, callback) {
      const scripted = script.take('smtp', 'auth', auth.username);
      if (scripted) return callback(replyError(scripted));
      if (auth.method === 'XOAUTH2') {
        authorizer
          .checkToken('smtp', auth.username, auth.accessToken ?? '')
          .then((outcome) => {
            if (outcome.ok) {
              const off = smtpAuthOff(outcome.mailbox, outcome.token.tenantId);
              if (off) return callback(off);
              if (outcome.expiringSoon) return callback(replyError(MICROSOFT_REPLIES.tokenExpiringSoon));
              return callback(null, { user: { mailbox: outcome.mailbox } satisfies SmtpUser });
            }
            // Exchange refuses a valid token for the wrong mailbox outright; bad tokens get the
            // SASL error challenge (334 <base64 JSON>) and then 535, as Gmail and Exchange do.
            if (outcome.flavour === 'microsoft' && outcome.failure === 'mailbox') {
              return callback(replyError(MICROSOFT_REPLIES.authenticationUnsuccessful));
            }
            return callback(null, { data: outcome.challenge });
          })
          .catch(() => callback(replyError('454 4.7.0 Temporary authentication failure')));
        return;
      }
      const mailbox = authorizer.checkPassword(auth.username ?? '', auth.password ?? '');
      if (!mailbox) return callback(replyError('535 5.7.8 Username and Password not accepted'));
      const off = smtpAuthOff(mailbox);
      if (off) return callback(off);
      return callback(null, { user: { mailbox } satisfies SmtpUser });
    },
    onMailFrom(address, session, callback) {
      const mailbox = sessionMailbox(session);
      const scripted = script.take('smtp', 'mail', mailbox ?? address.address);
      if (scripted) return callback(replyError(scripted));
      if (!mailbox) return callback(replyError('530 5.7.57 Client not authenticated to send mail'));
      const from = normaliseMailbox(address.address);
      if (from && from !== mailbox && !canActAs(mailbox, from)) {
        return callback(
          replyError('550 5.7.60 SMTP; Client does not have permissions to send as this sender'),
        );
      }
      return callback();
    },
    onRcptTo(_address, session, callback) {
      const scripted = script.take('smtp', 'rcpt', sessionMailbox(session));
      if (scripted) return callback(replyError(scripted));
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error) => callback(error));
      stream.on('end', () => {
        const scripted = script.take('smtp', 'data', sessionMailbox(session));
        if (scripted) return callback(replyError(scripted));
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          return callback(replyError('552 5.3.4 Message size exceeds fixed maximum message size'));
        }
        const raw = Buffer.concat(chunks);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const to = session.envelope.rcptTo.map((rcpt) => normaliseMailbox(rcpt.address));
        for (const rcpt of new Set(to)) store.deliver(rcpt, raw, { envelope: { from, to } });
        return callback(
          null,
          `2.6.0 Queued mail for delivery (${to.length} recipient${to.length === 1 ? '' : 's'})`,
        );
      });
    },
  };
}

export interface RunningSmtpServer {
  port: number;
  close(): Promise<void>;
}

/** Starts one smtp-server instance: `secure` = implicit TLS, otherwise STARTTLS is offered. */
export async function startSmtpServer(
  context: SmtpContext,
  secure: boolean,
  host: string,
  port: number,
): Promise<RunningSmtpServer> {
  const server = new SMTPServer(buildOptions(context, secure));
  // Client misbehaviour (resets, bad TLS) must never take the emulator down.
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
