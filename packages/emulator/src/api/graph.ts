/**
 * Microsoft Graph `sendMail`: `POST /v1.0/me/sendMail` and `/v1.0/users/{id | userPrincipalName}/sendMail`
 * under the emulator's Graph base. The bearer token is checked the way the SMTP server checks
 * XOAUTH2 — issued by the emulator, not expired — plus Graph's own rules: audience Graph, delegated
 * `Mail.Send` (own mailbox) or `Mail.Send.Shared` (another one the user may act for), or the app
 * role `Mail.Send` limited by the app mailbox permission table (an application access policy).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HttpReply } from '../identity/errors.js';
import { BodyTooLargeError, bearerToken, readBody } from '../identity/http.js';
import type { AccessTokenInfo } from '../identity/validate.js';
import { normaliseMailbox } from '../mail/store.js';
import { graphError } from './api-errors.js';
import { type GraphMessage, mimeFromGraphMessage } from './graph-message.js';
import type { SendApiContext } from './index.js';
import {
  allRecipients,
  deliverSubmitted,
  editHeaders,
  invalidRecipientHeader,
  readRecipients,
  submissionDefaults,
} from './outgoing.js';

export const GRAPH_PREFIX = '/graph';
const ROUTE = /^\/graph\/v1\.0\/(?:(me)|users\/([^/]+))\/sendmail$/i;
/** Graph refuses requests over 4 MB; larger messages need an upload session. */
const MAX_REQUEST = 4 * 1024 * 1024;
const GRAPH_AUDIENCES = new Set(['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000']);
const WWW_AUTHENTICATE = {
  'www-authenticate':
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
};

export function isGraphPath(path: string): boolean {
  return path === GRAPH_PREFIX || path.startsWith(`${GRAPH_PREFIX}/`);
}

const short = (scope: string) => scope.slice(scope.lastIndexOf('/') + 1);

function tokenProblem(info: AccessTokenInfo | undefined, nowMs: number): string | undefined {
  if (!info) return 'Access token is empty.';
  if (info.flavour !== 'microsoft')
    return 'IDX14100: JWT is not well formed, there are no dots (.). The token needs to be in JWS or JWE Compact Serialization Format.';
  if (info.expiresAt !== undefined && info.expiresAt <= nowMs)
    return 'Lifetime validation failed, the token is expired.';
  if (!info.active) return 'Access token validation failure.';
  if (!info.audience || !GRAPH_AUDIENCES.has(info.audience))
    return 'Access token validation failure. Invalid audience.';
  return undefined;
}

export async function handleGraph(ctx: SendApiContext, req: IncomingMessage, url: URL): Promise<HttpReply> {
  const route = ROUTE.exec(url.pathname);
  if (!route)
    return graphError(
      'BadRequest',
      `Resource not found for the segment '${url.pathname.split('/').pop()}'.`,
      {},
    );
  if (req.method !== 'POST')
    return { ...graphError('BadRequest', 'The sendMail action needs POST.'), status: 405 };
  let body: Buffer;
  try {
    body = await readBody(req, MAX_REQUEST);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return graphError('ErrorMessageSizeExceeded');
    throw error;
  }
  const token = bearerToken(req);
  const info = token ? await ctx.validateToken(token) : undefined;
  const target = route[1]
    ? info?.username
    : (ctx.findUser(decodeURIComponent(route[2] ?? ''))?.email ?? decodeURIComponent(route[2] ?? ''));
  const faultCtx = { endpoint: 'sendMail', clientIds: [info?.clientId], user: target };
  const fault = await ctx.fault('microsoft', faultCtx);
  if (fault) return fault;

  const refuse = (reply: HttpReply) => ctx.refused('microsoft', 'Graph sendMail', reply, info, target);
  const problem = tokenProblem(info, ctx.nowMs());
  if (problem || !info) return refuse(graphError('InvalidAuthenticationToken', problem, WWW_AUTHENTICATE));
  if (route[1] && info.appOnly)
    return refuse(graphError('BadRequest', '/me request is only valid with delegated authentication flow.'));
  const user = ctx.findUser(target);
  if (!user)
    return refuse(
      graphError(
        'ErrorInvalidUser',
        `The requested user '${decodeURIComponent(route[2] ?? '')}' is invalid.`,
      ),
    );
  const mailbox = user.email;
  if (!ctx.restApiEnabled(mailbox)) return refuse(graphError('MailboxNotEnabledForRESTAPI'));

  let mayActFor: (address: string) => boolean | Promise<boolean>;
  if (info.appOnly) {
    if (!info.roles.includes('Mail.Send')) return refuse(graphError('ErrorAccessDenied'));
    const permitted = await ctx.appMailboxPermissions(info.clientId ?? '');
    mayActFor = (address) =>
      permitted.some((p) => p === '*' || normaliseMailbox(p) === normaliseMailbox(address));
    if (!mayActFor(mailbox))
      return refuse(
        graphError(
          'ErrorAccessDenied',
          'Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.',
        ),
      );
  } else {
    const scopes = info.scopes.map(short);
    const self = normaliseMailbox(info.username ?? '');
    const own = normaliseMailbox(mailbox) === self;
    if (
      own
        ? !scopes.includes('Mail.Send')
        : !scopes.includes('Mail.Send.Shared') || !ctx.canActAs(self, mailbox)
    )
      return refuse(graphError('ErrorAccessDenied'));
    mayActFor = (address) => normaliseMailbox(address) === self || ctx.canActAs(self, address);
  }

  const parsed = parseRequest(req.headers['content-type'] ?? '', body, mailbox);
  if (!parsed.ok) return refuse(parsed.reply);
  const recipients = readRecipients(parsed.raw);
  const bad = invalidRecipientHeader(recipients);
  if (bad)
    return refuse(
      graphError(
        'ErrorInvalidRecipients',
        `At least one recipient is not valid., Recipient '${bad.address}' is not resolved. All recipients must be resolved before a message can be submitted.`,
      ),
    );
  const rcpts = allRecipients(recipients);
  if (rcpts.length === 0)
    return refuse(
      graphError('ErrorInvalidRecipients', 'At least one recipient is required, but none were found.'),
    );
  const from = recipients.from?.address;
  if (from && normaliseMailbox(from) !== normaliseMailbox(mailbox) && !(await mayActFor(from)))
    return refuse(graphError('ErrorSendAsDenied'));

  const raw = editHeaders(parsed.raw, {
    addIfMissing: { From: mailbox, ...submissionDefaults(mailbox.split('@')[1] ?? 'emulator.test') },
  });
  deliverSubmitted(ctx.store, from ?? mailbox, raw, rcpts, parsed.saveToSent);
  ctx.sent('microsoft', 'Graph sendMail', info, mailbox, rcpts.length);
  const requestId = randomUUID();
  return {
    status: 202,
    body: undefined,
    headers: { 'request-id': requestId, 'client-request-id': requestId },
  };
}

type ParsedRequest = { ok: true; raw: Buffer; saveToSent: boolean } | { ok: false; reply: HttpReply };

/** MIME form (`text/plain`, base64 of the message) or JSON form (`{ message, saveToSentItems }`). */
function parseRequest(contentType: string, body: Buffer, mailbox: string): ParsedRequest {
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  if (type === 'text/plain') {
    const text = body.toString('latin1').replace(/\s+/g, '');
    if (text.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1)
      return { ok: false, reply: graphError('ErrorMimeContentInvalidBase64String') };
    return { ok: true, raw: Buffer.from(text, 'base64'), saveToSent: true };
  }
  if (type === 'application/json') {
    let parsed: { message?: GraphMessage; saveToSentItems?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      return {
        ok: false,
        reply: graphError(
          'BadRequest',
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        ),
      };
    }
    if (typeof parsed?.message !== 'object' || parsed.message === null)
      return { ok: false, reply: graphError('BadRequest', 'Empty Payload. JSON content expected.') };
    const built = mimeFromGraphMessage(parsed.message, mailbox);
    if (!built.ok) return { ok: false, reply: graphError(built.code, built.message) };
    return { ok: true, raw: built.raw, saveToSent: parsed.saveToSentItems !== false };
  }
  return {
    ok: false,
    reply: graphError(
      'UnsupportedMediaType',
      `Content type '${type ?? ''}' is not supported: send text/plain (base64 MIME) or application/json.`,
    ),
  };
}
