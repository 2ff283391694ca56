/**
 * Gmail API `users.messages.send` under the emulator's Gmail base:
 * `POST /gmail/v1/users/{userId | me}/messages/send` with `{ raw: base64url }` and the media upload
 * `POST /upload/gmail/v1/users/{userId}/messages/send?uploadType=media | multipart`. The Google
 * access token must carry a scope that allows sending (`gmail.send`, `gmail.compose`, `gmail.modify`
 * or `https://mail.google.com/`); errors come in Google's JSON envelope.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HttpReply } from '../identity/errors.js';
import { BodyTooLargeError, bearerToken, json, readBody } from '../identity/http.js';
import { normaliseMailbox } from '../mail/store.js';
import { gmailError } from './api-errors.js';
import type { SendApiContext } from './index.js';
import {
  allRecipients,
  deliverSubmitted,
  editHeaders,
  invalidRecipientHeader,
  readRecipients,
  submissionDefaults,
} from './outgoing.js';

export const GMAIL_PREFIX = '/gmail-api';
export const GMAIL_SEND_SCOPE = 'https://www.googleapis.com/auth/gmail.send';
/** Scopes Google accepts for `messages.send`. */
export const GMAIL_SEND_SCOPES: readonly string[] = [
  'https://mail.google.com/',
  'https://www.googleapis.com/auth/gmail.modify',
  'https://www.googleapis.com/auth/gmail.compose',
  GMAIL_SEND_SCOPE,
];
const ROUTE = /^\/gmail-api\/(upload\/)?gmail\/v1\/users\/([^/]+)\/messages\/send$/;
/** Gmail's limit is 35 MB of message; its base64url form in JSON is a third larger. */
const MAX_REQUEST = 48 * 1024 * 1024;
const REALM = 'Bearer realm="https://accounts.google.com/"';

export function isGmailPath(path: string): boolean {
  return path === GMAIL_PREFIX || path.startsWith(`${GMAIL_PREFIX}/`);
}

export async function handleGmail(ctx: SendApiContext, req: IncomingMessage, url: URL): Promise<HttpReply> {
  const route = ROUTE.exec(url.pathname);
  if (!route)
    return { ...gmailError('invalidArgument', `No Gmail API method at ${url.pathname}.`), status: 404 };
  if (req.method !== 'POST')
    return { ...gmailError('invalidArgument', 'messages.send needs POST.'), status: 405 };
  let body: Buffer;
  try {
    body = await readBody(req, MAX_REQUEST);
  } catch (error) {
    if (error instanceof BodyTooLargeError)
      return { ...gmailError('invalidArgument', 'Request entity too large.'), status: 413 };
    throw error;
  }
  const token = bearerToken(req);
  const info = token ? await ctx.validateToken(token) : undefined;
  const fault = await ctx.fault('google', {
    endpoint: 'messages.send',
    clientIds: [info?.clientId],
    user: info?.username,
  });
  if (fault) return fault;

  const refuse = (reply: HttpReply) =>
    ctx.refused('google', 'Gmail messages.send', reply, info, info?.username);
  if (!info?.active || info.flavour !== 'google')
    return refuse(
      gmailError('authError', undefined, { 'www-authenticate': `${REALM}, error="invalid_token"` }),
    );
  if (!info.scopes.some((s) => GMAIL_SEND_SCOPES.includes(s)))
    return refuse(
      gmailError('insufficientPermissions', undefined, {
        'www-authenticate': `${REALM}, error="insufficient_scope", scope="${GMAIL_SEND_SCOPES.join(' ')}"`,
      }),
    );
  // A service account without domain-wide delegation has no mailbox of its own.
  if (info.appOnly || !info.username) return refuse(gmailError('failedPrecondition'));
  const mailbox = normaliseMailbox(info.username);
  const userId = decodeURIComponent(route[2] ?? '');
  if (userId !== 'me' && normaliseMailbox(userId) !== mailbox)
    return refuse(gmailError('forbidden', `Delegation denied for ${mailbox}`));
  if (!ctx.gmailServiceEnabled(mailbox))
    return refuse(gmailError('failedPrecondition', 'Mail service not enabled'));

  const parsed = parseRequest(req, url, Boolean(route[1]), body);
  if (!parsed.ok) return refuse(parsed.reply);
  const recipients = readRecipients(parsed.raw);
  const bad = invalidRecipientHeader(recipients);
  if (bad) return refuse(gmailError('invalidArgument', `Invalid ${bad.header} header`));
  const rcpts = allRecipients(recipients);
  if (rcpts.length === 0) return refuse(gmailError('invalidArgument', 'Recipient address required'));
  // Gmail sends from the authenticated account: a From it cannot vouch for is replaced.
  const from = recipients.from?.address;
  const keepFrom = from !== undefined && normaliseMailbox(from) === mailbox;
  const raw = editHeaders(parsed.raw, {
    ...(keepFrom ? {} : { set: { From: mailbox } }),
    addIfMissing: submissionDefaults('mail.gmail.com'),
  });
  deliverSubmitted(ctx.store, mailbox, raw, rcpts);
  ctx.sent('google', 'Gmail messages.send', info, mailbox, rcpts.length);
  const id = randomBytes(8).toString('hex');
  return json(200, { id, threadId: parsed.threadId ?? id, labelIds: ['SENT'] });
}

type ParsedSend = { ok: true; raw: Buffer; threadId?: string } | { ok: false; reply: HttpReply };

const invalid = (message: string): ParsedSend => ({
  ok: false,
  reply: gmailError('invalidArgument', message),
});

function decodeRaw(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact) || compact.length % 4 === 1) return undefined;
  return Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function fromMetadata(text: string): ParsedSend {
  let parsed: { raw?: unknown; threadId?: unknown };
  try {
    parsed = JSON.parse(text || '{}') as typeof parsed;
  } catch {
    return invalid('Invalid JSON payload received.');
  }
  if (parsed.raw === undefined)
    return invalid("'raw' RFC822 payload message string or uploading message via /upload/* URL required");
  const raw = decodeRaw(parsed.raw);
  if (!raw) return invalid("Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed.");
  return { ok: true, raw, ...(typeof parsed.threadId === 'string' ? { threadId: parsed.threadId } : {}) };
}

function parseRequest(req: IncomingMessage, url: URL, upload: boolean, body: Buffer): ParsedSend {
  if (!upload) return fromMetadata(body.toString('utf8'));
  const uploadType = url.searchParams.get('uploadType');
  if (uploadType === 'media') {
    if (body.length === 0) return invalid('Media upload has no content.');
    return { ok: true, raw: body };
  }
  if (uploadType === 'multipart') return fromMultipart(req.headers['content-type'] ?? '', body);
  return invalid(
    uploadType
      ? `Upload type '${uploadType}' is not supported by the emulator; use media or multipart.`
      : 'Upload requests must include an uploadType URL parameter and a URL path beginning with /upload/',
  );
}

/** `multipart/related`: a JSON metadata part (may carry `threadId`) and the `message/rfc822` part. */
function fromMultipart(contentType: string, body: Buffer): ParsedSend {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!/^multipart\/related/i.test(contentType) || !boundary)
    return invalid('Multipart uploads need Content-Type multipart/related with a boundary.');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    parts.push(body.subarray(start + delimiter.length, next));
    start = next;
  }
  const sections = parts.map((part) => {
    const text = part.subarray(part.indexOf('\n') + 1);
    const split = text.indexOf('\r\n\r\n') >= 0 ? text.indexOf('\r\n\r\n') + 4 : text.indexOf('\n\n') + 2;
    const head = text.subarray(0, split).toString('utf8').toLowerCase();
    let content = text.subarray(split);
    if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
    return { head, content };
  });
  const metadata = sections.find((s) => s.head.includes('application/json'));
  const message = sections.find((s) => !s.head.includes('application/json'));
  if (!message) return invalid('Multipart upload has no message part.');
  const threadId = metadata
    ? (fromJsonSafe(metadata.content.toString('utf8'))?.threadId ?? undefined)
    : undefined;
  return { ok: true, raw: message.content, ...(typeof threadId === 'string' ? { threadId } : {}) };
}

function fromJsonSafe(text: string): { threadId?: unknown } | undefined {
  try {
    return JSON.parse(text) as { threadId?: unknown };
  } catch {
    return undefined;
  }
}
