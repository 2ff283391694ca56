import type { MailProtocolName } from './types.js';

/**
 * Where a scripted reply replaces the server's own answer.
 * - `auth`: the next authentication attempt (SMTP AUTH, POP3 USER/PASS/AUTH, IMAP LOGIN/AUTHENTICATE)
 * - `mail` / `rcpt` / `data`: SMTP MAIL FROM / RCPT TO / end of DATA
 * - `command`: the next POP3/IMAP command after authentication (optionally only `command` verb)
 */
export type ScriptStage = 'auth' | 'mail' | 'rcpt' | 'data' | 'command';

export interface ScriptedReply {
  protocol: MailProtocolName;
  stage: ScriptStage;
  /**
   * The reply, verbatim. SMTP: `535 5.7.139 ...`; POP3: `-ERR [SYS/TEMP] ...`;
   * IMAP: the text after the tag, e.g. `NO [UNAVAILABLE] Try later`.
   */
  reply: string;
  /** Only for this mailbox (case-insensitive); any mailbox when omitted. */
  mailbox?: string;
  /** POP3/IMAP verb for stage `command` (`RETR`, `SELECT`, ...). */
  command?: string;
  /** How many times the reply is used; default 1. `Infinity` keeps it until `clear()`. */
  times?: number;
}

export interface MailScript {
  /** Queues a scripted reply; first match wins. */
  next(reply: ScriptedReply): void;
  /** Microsoft: SMTP AUTH disabled for the tenant/mailbox. */
  smtpAuthDisabled(mailbox?: string): void;
  /** Microsoft: MAIL FROM refused because the client is not authenticated. */
  clientNotAuthenticated(mailbox?: string): void;
  /** Microsoft: token too close to expiry. */
  tokenExpiringSoon(mailbox?: string): void;
  /** POP3 temporary failure on the next authentication. */
  pop3TemporaryFailure(mailbox?: string): void;
  /** Internal: consumes and returns the matching reply, if any. */
  take(
    protocol: MailProtocolName,
    stage: ScriptStage,
    mailbox?: string,
    command?: string,
  ): string | undefined;
  pending(): ScriptedReply[];
  clear(): void;
}

export const MICROSOFT_REPLIES = {
  smtpAuthDisabled:
    '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
  clientNotAuthenticated:
    '530 5.7.57 Client not authenticated to send mail. Error: 535 5.7.3 Authentication unsuccessful',
  tokenExpiringSoon:
    '501 5.5.127 Authentication unsuccessful, the access token will expire soon. Acquire a new token and try again.',
  authenticationUnsuccessful: '535 5.7.3 Authentication unsuccessful',
} as const;

/**
 * Scripted server replies so tests can reproduce provider failures on demand.
 *
 * @example
 * servers.script.smtpAuthDisabled('ada@contoso.test');
 * // the next SMTP AUTH for ada answers 535 5.7.139 ...
 */
export function createMailScript(): MailScript {
  const queue: Array<ScriptedReply & { remaining: number }> = [];
  const push = (reply: ScriptedReply) => queue.push({ ...reply, remaining: reply.times ?? 1 });
  const withMailbox = (mailbox: string | undefined) => (mailbox ? { mailbox } : {});
  return {
    next: push,
    smtpAuthDisabled: (mailbox) =>
      push({
        protocol: 'smtp',
        stage: 'auth',
        reply: MICROSOFT_REPLIES.smtpAuthDisabled,
        ...withMailbox(mailbox),
      }),
    clientNotAuthenticated: (mailbox) =>
      push({
        protocol: 'smtp',
        stage: 'mail',
        reply: MICROSOFT_REPLIES.clientNotAuthenticated,
        ...withMailbox(mailbox),
      }),
    tokenExpiringSoon: (mailbox) =>
      push({
        protocol: 'smtp',
        stage: 'auth',
        reply: MICROSOFT_REPLIES.tokenExpiringSoon,
        ...withMailbox(mailbox),
      }),
    pop3TemporaryFailure: (mailbox) =>
      push({
        protocol: 'pop3',
        stage: 'auth',
        reply: '-ERR [SYS/TEMP] The server is temporarily unavailable, try again later.',
        ...withMailbox(mailbox),
      }),
    take(protocol, stage, mailbox, command) {
      const index = queue.findIndex(
        (entry) =>
          entry.protocol === protocol &&
          entry.stage === stage &&
          (!entry.mailbox || entry.mailbox.toLowerCase() === mailbox?.toLowerCase()) &&
          (!entry.command || entry.command.toUpperCase() === command?.toUpperCase()),
      );
      const entry = queue[index];
      if (!entry) return undefined;
      entry.remaining -= 1;
      if (entry.remaining <= 0) queue.splice(index, 1);
      return entry.reply;
    },
    pending: () => queue.map(({ remaining: _remaining, ...reply }) => reply),
    clear: () => {
      queue.length = 0;
    },
  };
}
