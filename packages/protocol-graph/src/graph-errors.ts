import type { ErrorAction, MailplugError, RecipientRejection } from '@mailplug/core';
import { answerErrors, type HttpResponse, retryAfterMs } from '@mailplug/http-send';
import { type GraphCloud, graphScopes } from './graph-clouds.js';
import { isGraphAudience, type TokenFacts } from './token-facts.js';

/** Error codes this package raises (documented in the README; never change meaning). */
export const GraphErrorCode = {
  AccessDenied: 'GRAPH_ACCESS_DENIED',
  SendAsDenied: 'GRAPH_SEND_AS_DENIED',
  MailboxNotEnabled: 'GRAPH_MAILBOX_NOT_ENABLED',
  UserNotFound: 'GRAPH_USER_NOT_FOUND',
  WrongAudience: 'GRAPH_TOKEN_WRONG_AUDIENCE',
  TokenRejected: 'GRAPH_TOKEN_REJECTED',
  RecipientsRejected: 'GRAPH_RECIPIENTS_REJECTED',
  MessageTooLarge: 'MESSAGE_TOO_LARGE',
  Throttled: 'GRAPH_THROTTLED',
  Unavailable: 'GRAPH_UNAVAILABLE',
  BadRequest: 'GRAPH_BAD_REQUEST',
  CredentialUnsupported: 'GRAPH_CREDENTIAL_UNSUPPORTED',
  Timeout: 'GRAPH_TIMEOUT',
  DeliveryUnconfirmed: 'GRAPH_DELIVERY_UNCONFIRMED',
  ConnectionFailed: 'GRAPH_CONNECTION_FAILED',
  TlsFailed: 'GRAPH_TLS_FAILED',
  ProxyFailed: 'GRAPH_PROXY_FAILED',
  ConnectionClosed: 'GRAPH_CONNECTION_CLOSED',
  Failed: 'GRAPH_FAILED',
} as const;
export type GraphErrorCode = (typeof GraphErrorCode)[keyof typeof GraphErrorCode];

/** What the classifier knows about the request that failed. */
export interface GraphRequestContext {
  /** The mailbox in the request path. */
  readonly mailbox: string;
  /** The message's From address, when it differs from the mailbox. */
  readonly from?: string;
  readonly cloud: GraphCloud;
  readonly token: TokenFacts;
  readonly recipients?: readonly string[];
}

interface GraphErrorBody {
  readonly code?: string;
  readonly message?: string;
  readonly requestId?: string;
}

/** `{ error: { code, message, innerError: { 'request-id' } } }`, or nothing when the body is not Graph's. */
export function readGraphError(response: HttpResponse): GraphErrorBody {
  try {
    const parsed = JSON.parse(response.text) as {
      error?: { code?: unknown; message?: unknown; innerError?: { 'request-id'?: unknown } };
    };
    const error = parsed?.error;
    const requestId = error?.innerError?.['request-id'] ?? response.headers.get('request-id');
    return {
      ...(typeof error?.code === 'string' ? { code: error.code } : {}),
      ...(typeof error?.message === 'string' ? { message: error.message } : {}),
      ...(typeof requestId === 'string' ? { requestId } : {}),
    };
  } catch {
    const requestId = response.headers.get('request-id');
    return requestId ? { requestId } : {};
  }
}

/** Addresses Graph names in `Recipient 'x' is not resolved` (one per refused recipient). */
function rejectedRecipients(message: string): RecipientRejection[] {
  const found = [...message.matchAll(/Recipient '([^']+)'/g)].map((m) => m[1] ?? '');
  return found.filter(Boolean).map((address) => ({ address, message }));
}

const APP_ACCESS_POLICY_HINT =
  'In Exchange Online PowerShell check Test-ApplicationAccessPolicy -Identity <mailbox> -AppId <app id>; add the mailbox to the group of the app’s New-ApplicationAccessPolicy (or its RBAC for Applications management scope: New-ManagementRoleAssignment -Role "Application Mail.Send").';

function accessDenied(graphMessage: string, ctx: GraphRequestContext): { message: string; hint: string } {
  const { mailbox, token } = ctx;
  const holds = (p: string) => token.permissions.includes(p);
  if (token.appOnly) {
    if (/RAOP|AccessPolicy|ApplicationAccessPolicy|RBAC/i.test(graphMessage) || holds('Mail.Send')) {
      return {
        message: `Microsoft Graph refused the app access to ${mailbox}: an application access policy or RBAC for Applications scope leaves this mailbox out.`,
        hint: APP_ACCESS_POLICY_HINT,
      };
    }
    return {
      message: `The app's Graph token does not carry the Mail.Send application permission, so it may not send as ${mailbox}.`,
      hint: 'In the Azure portal open the app registration → API permissions → Add a permission → Microsoft Graph → Application permissions → Mail.Send, then press "Grant admin consent".',
    };
  }
  const own = holds('Mail.Send');
  if (own && !holds('Mail.Send.Shared')) {
    return {
      message: `Microsoft Graph refused to let the signed-in user send from ${mailbox}.`,
      hint: `To send from a shared mailbox or as another user, add the delegated Microsoft Graph permission Mail.Send.Shared (scope ${graphScopes(ctx.cloud).delegatedShared}), grant admin consent, and give the user Send As or Full Access on ${mailbox} in the Exchange admin center.`,
    };
  }
  if (own) {
    return {
      message: `Microsoft Graph refused to let the signed-in user send from ${mailbox}.`,
      hint: `Give the signed-in user Send As (Add-RecipientPermission ${mailbox} -AccessRights SendAs -Trustee <user>) or Full Access on ${mailbox} in the Exchange admin center.`,
    };
  }
  return {
    message: `The Graph token does not carry the Mail.Send permission for ${mailbox}.`,
    hint: `In the Azure portal open the app registration → API permissions → Add a permission → Microsoft Graph → Delegated permissions → Mail.Send, grant admin consent (or let the user consent), and sign in again so the token includes ${graphScopes(ctx.cloud).delegated}.`,
  };
}

function tokenRejected(
  graphMessage: string,
  ctx: GraphRequestContext,
): {
  code: GraphErrorCode;
  action: ErrorAction;
  message: string;
  hint: string;
} {
  const scopes = graphScopes(ctx.cloud);
  const scope = ctx.token.appOnly ? scopes.appOnly : scopes.delegated;
  const audience = ctx.token.audience;
  if ((audience && !isGraphAudience(audience, ctx.cloud)) || /invalid audience/i.test(graphMessage)) {
    return {
      code: GraphErrorCode.WrongAudience,
      action: 'developer',
      message: `The access token is for ${audience ?? 'another resource'}, not for Microsoft Graph (${ctx.cloud.resource}).`,
      hint: `Request a separate token for Graph with the scope ${scope} (a Microsoft token is valid for one resource only: the Outlook token used for SMTP/IMAP/POP does not work for Graph).`,
    };
  }
  return ctx.token.appOnly
    ? {
        code: GraphErrorCode.TokenRejected,
        action: 'admin',
        message: 'Microsoft Graph refused the app-only access token, also after a fresh one was requested.',
        hint: `Check the app registration's client secret or certificate and that its token is requested for ${scope} in the tenant of ${ctx.mailbox}.`,
      }
    : {
        code: GraphErrorCode.TokenRejected,
        action: 'user',
        message: 'Microsoft Graph refused the access token, also after a fresh one was requested.',
        hint: `Sign in to ${ctx.mailbox} again so that a new token with ${scope} is issued.`,
      };
}

/** The Graph answer `response` (never a 2xx) as a MailplugError with the fix. */
export function classifyGraphResponse(response: HttpResponse, ctx: GraphRequestContext): MailplugError {
  const body = readGraphError(response);
  const graphCode = body.code ?? '';
  const graphMessage = body.message ?? '';
  const details: Record<string, unknown> = {
    status: response.status,
    ...(graphCode ? { graphCode } : {}),
    ...(graphMessage ? { graphMessage } : {}),
    ...(body.requestId ? { requestId: body.requestId } : {}),
    mailbox: ctx.mailbox,
  };
  const wait = retryAfterMs(response.headers.get('retry-after'));
  const make = answerErrors<GraphErrorCode>(details, wait);

  const status = response.status;
  if (status === 429 || graphCode === 'ApplicationThrottled' || graphCode === 'TooManyRequests') {
    return make(
      GraphErrorCode.Throttled,
      'retry',
      `Microsoft Graph is throttling requests for ${ctx.mailbox}${wait !== undefined ? ` and asked to wait ${Math.ceil(wait / 1000)} s` : ''}.`,
      'Send again after the Retry-After time; keep at most 4 requests in flight per mailbox and under 10,000 requests per 10 minutes.',
      { mayHaveBeenDelivered: false },
    );
  }
  // An outage is an outage whatever else the answer names: nobody has a setting to fix.
  if (status >= 500 || status === 408) {
    return make(
      GraphErrorCode.Unavailable,
      'retry',
      `Microsoft Graph is unavailable (${status}${graphCode ? ` ${graphCode}` : ''}).`,
      'Send again later; the message was not confirmed, so check Sent Items first if it matters that it goes out once.',
      { mayHaveBeenDelivered: status === 500 || status === 504 },
    );
  }
  if (graphCode === 'MailboxNotEnabledForRESTAPI' || graphCode === 'MailboxNotSupportedForRESTAPI') {
    return make(
      GraphErrorCode.MailboxNotEnabled,
      'admin',
      `The mailbox ${ctx.mailbox} cannot be used through Microsoft Graph: it is hosted on-premises, inactive or soft-deleted, or has no Exchange Online license.`,
      `Assign ${ctx.mailbox} an Exchange Online license (or move it to Exchange Online), or send it over SMTP instead.`,
      { routeClosed: true },
    );
  }
  if (graphCode === 'ErrorSendAsDenied') {
    const from = ctx.from ?? 'the From address';
    return make(
      GraphErrorCode.SendAsDenied,
      'admin',
      `${ctx.mailbox} may not send as ${from}.`,
      ctx.token.appOnly
        ? `Send from ${ctx.mailbox} itself, or include ${from} in the mailboxes the app's application access policy / RBAC for Applications scope allows.`
        : `In the Exchange admin center give ${ctx.mailbox} Send As on ${from} (Add-RecipientPermission ${from} -AccessRights SendAs -Trustee ${ctx.mailbox}), or send from ${ctx.mailbox} itself.`,
    );
  }
  if (graphCode === 'ErrorAccessDenied' || (status === 403 && !graphCode)) {
    const explained = accessDenied(graphMessage, ctx);
    return make(GraphErrorCode.AccessDenied, 'admin', explained.message, explained.hint);
  }
  if (status === 401 || graphCode === 'InvalidAuthenticationToken') {
    const explained = tokenRejected(graphMessage, ctx);
    return make(explained.code, explained.action, explained.message, explained.hint);
  }
  if (graphCode === 'ErrorInvalidRecipients') {
    const rejected = rejectedRecipients(graphMessage);
    return make(
      GraphErrorCode.RecipientsRejected,
      'user',
      rejected.length > 0
        ? `Microsoft Graph refused the message because of ${rejected.map((r) => r.address).join(', ')}.`
        : 'Microsoft Graph refused the message: a recipient is missing or not valid.',
      'Check the recipient addresses; Graph sends to all recipients or none, so correct the refused ones (details.rejected) and send again.',
      { rejected },
    );
  }
  if (
    graphCode === 'ErrorInvalidUser' ||
    graphCode === 'ResourceNotFound' ||
    (status === 404 && !graphCode)
  ) {
    return make(
      GraphErrorCode.UserNotFound,
      'admin',
      `Microsoft Graph does not know the mailbox ${ctx.mailbox} in this tenant.`,
      'Check the mailbox address of the account (its user principal name or primary SMTP address) and that it belongs to the tenant the app signs in to.',
    );
  }
  if (status === 413 || graphCode === 'ErrorMessageSizeExceeded' || graphCode === 'RequestEntityTooLarge') {
    return make(
      GraphErrorCode.MessageTooLarge,
      'developer',
      'Microsoft Graph refused the message as too large for one sendMail request.',
      'Keep messages sent through Graph under 4 MB including attachments (send larger files as links).',
    );
  }
  if (status === 407) {
    return make(
      GraphErrorCode.ProxyFailed,
      'admin',
      'The HTTP proxy refused the request to Microsoft Graph (407 Proxy Authentication Required).',
      'Put the proxy credentials in the proxy URL (http://user:password@host:port) or allow Graph traffic through the proxy.',
    );
  }
  if (status >= 400 && status < 500 && graphCode) {
    return make(
      GraphErrorCode.BadRequest,
      'developer',
      `Microsoft Graph refused the request: ${graphCode}${graphMessage ? ` — ${graphMessage}` : ''}.`,
      'This is a defect in how the message was built or sent; report it with details.requestId.',
    );
  }
  return make(
    GraphErrorCode.Failed,
    'retry',
    `Microsoft Graph answered HTTP ${status} without a Graph error (a proxy or gateway may have answered).`,
    'Send again later; if it persists, check the proxy or firewall between this server and Graph.',
    { mayHaveBeenDelivered: false },
  );
}
