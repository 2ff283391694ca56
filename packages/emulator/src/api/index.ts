/**
 * The HTTP send APIs (Microsoft Graph `sendMail`, Gmail `messages.send`) as one handler plus the
 * switches a test flips to reproduce what admins see: a mailbox not enabled for Graph's REST API,
 * a Workspace user without the Gmail service.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultFlavour, InjectionContext, Injections } from '../faults/injections.js';
import type { TestUser } from '../identity/config.js';
import type { HttpReply } from '../identity/errors.js';
import type { IdentityEvents } from '../identity/events.js';
import { sendReply } from '../identity/http.js';
import type { AccessTokenInfo, ValidateAccessToken } from '../identity/validate.js';
import { type MailStore, normaliseMailbox } from '../mail/store.js';
import { GMAIL_PREFIX, handleGmail, isGmailPath } from './gmail.js';
import { GRAPH_PREFIX, handleGraph, isGraphPath } from './graph.js';

export { GMAIL_SEND_SCOPE, GMAIL_SEND_SCOPES } from './gmail.js';
export { GMAIL_PREFIX, GRAPH_PREFIX };

export interface SendApiOptions {
  readonly validateToken: ValidateAccessToken;
  readonly store: MailStore;
  readonly injections: Injections;
  readonly events: IdentityEvents;
  /** A directory user by address or object id. */
  readonly findUser: (idOrAddress: string | undefined) => TestUser | undefined;
  /** Mailboxes an app may send as (`['*']` for all) — the same table the SMTP server uses. */
  readonly appMailboxPermissions: (appId: string) => string[] | Promise<string[]>;
  /** Whether a signed-in user may send as / from another mailbox. */
  readonly canActAs: (user: string, mailbox: string) => boolean;
  /** The identity half's clock in epoch milliseconds (tests move it forward). */
  readonly nowMs: () => number;
}

/** What the Graph and Gmail handlers share. */
export interface SendApiContext extends Omit<SendApiOptions, 'injections' | 'events'> {
  restApiEnabled(mailbox: string): boolean;
  gmailServiceEnabled(mailbox: string): boolean;
  /** An injected fault for this request (transport or provider level), already recorded; else undefined. */
  fault(flavour: FaultFlavour, ctx: InjectionContext): Promise<HttpReply | undefined>;
  refused(
    flavour: 'microsoft' | 'google',
    api: string,
    reply: HttpReply,
    info: AccessTokenInfo | undefined,
    mailbox?: string,
  ): HttpReply;
  sent(
    flavour: 'microsoft' | 'google',
    api: string,
    info: AccessTokenInfo,
    mailbox: string,
    count: number,
  ): void;
}

/** Graph switches (`emulator.graph`). */
export interface GraphApiControls {
  /** `false`: every sendMail for the mailbox answers 404 `MailboxNotEnabledForRESTAPI` (on-premises, inactive). */
  setRestApiEnabled(mailbox: string, enabled: boolean): void;
}

/** Gmail API switches (`emulator.gmail`). */
export interface GmailApiControls {
  /** `false`: messages.send for the user answers 400 `failedPrecondition` "Mail service not enabled". */
  setMailServiceEnabled(mailbox: string, enabled: boolean): void;
}

export interface SendApis {
  /** Handles Graph and Gmail API routes; resolves false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  readonly graph: GraphApiControls;
  readonly gmail: GmailApiControls;
}

function toggle(set: Set<string>, mailbox: string, enabled: boolean): void {
  if (enabled) set.delete(normaliseMailbox(mailbox));
  else set.add(normaliseMailbox(mailbox));
}

export function createSendApis(options: SendApiOptions): SendApis {
  const restApiOff = new Set<string>();
  const gmailOff = new Set<string>();
  const { injections, events } = options;
  const errorCode = (reply: HttpReply) => {
    const e = (reply.body as { error?: { code?: unknown; errors?: { reason?: string }[] } } | undefined)
      ?.error;
    return e?.errors?.[0]?.reason ?? (typeof e?.code === 'string' ? e.code : undefined);
  };
  const context: SendApiContext = {
    ...options,
    restApiEnabled: (mailbox) => !restApiOff.has(normaliseMailbox(mailbox)),
    gmailServiceEnabled: (mailbox) => !gmailOff.has(normaliseMailbox(mailbox)),
    async fault(flavour, ctx) {
      const transport = injections.takeTransport(flavour, ctx);
      if (transport.delayMs > 0) await sleep(transport.delayMs);
      const taken = transport.reply ? transport : injections.take(flavour, ctx);
      if (!taken.reply) return undefined;
      events.record({
        kind: 'injected-error',
        flavour: flavour === 'google' ? 'google' : 'microsoft',
        clientId: ctx.clientIds?.find(Boolean),
        user: ctx.user,
        detail: `${ctx.endpoint}: ${taken.label}`,
      });
      return taken.reply;
    },
    refused(flavour, api, reply, info, mailbox) {
      events.record({
        kind: 'api-refused',
        flavour,
        clientId: info?.clientId,
        user: mailbox,
        error: errorCode(reply),
        detail: `${api}: HTTP ${reply.status}`,
      });
      return reply;
    },
    sent(flavour, api, info, mailbox, count) {
      events.record({
        kind: 'api-send',
        flavour,
        clientId: info.clientId,
        user: mailbox,
        detail: `${api}: ${count} recipient${count === 1 ? '' : 's'}`,
      });
    },
  };
  return {
    async handle(req, res, url) {
      const path = url.pathname;
      if (isGraphPath(path)) sendReply(res, await handleGraph(context, req, url));
      else if (isGmailPath(path)) sendReply(res, await handleGmail(context, req, url));
      else return false;
      return true;
    },
    graph: { setRestApiEnabled: (mailbox, enabled) => toggle(restApiOff, mailbox, enabled) },
    gmail: { setMailServiceEnabled: (mailbox, enabled) => toggle(gmailOff, mailbox, enabled) },
  };
}
