import {
  type AddressInput,
  type ConnectOptions,
  CoreErrorCode,
  type CredentialSource,
  type MailCredential,
  MailplugError,
  type OAuth2Credential,
  type OutgoingMessage,
  type SendConnection,
  type SendOptions,
  type SendResult,
  type ServerSettings,
} from '@mailplug/core';
import { classifyGmailResponse, GmailApiErrorCode } from './gmail-errors.js';
import {
  createHttpTransport,
  type HttpProxyOptions,
  type HttpResponse,
  type HttpTransport,
} from './http-transport.js';
import { composeMessage } from './mime.js';
import { classifyRequestFailure } from './network-errors.js';

/**
 * Gmail's limit for a message sent through the API: 35 MB, through the media upload endpoint.
 * Source: Gmail API reference, users.messages.send ("Maximum file size: 35MB", media upload).
 */
export const GMAIL_MAX_MESSAGE_BYTES = 35 * 1024 * 1024;

/**
 * Messages up to this size go as `{ raw }` JSON (one small request); larger ones through the
 * media upload endpoint as `message/rfc822`, which carries the bytes without base64's third more.
 */
export const GMAIL_SIMPLE_SEND_MAX_BYTES = 5 * 1024 * 1024;

/** Deadline of one request when the server settings carry no timeout. */
export const DEFAULT_GMAIL_TIMEOUT_MS = 60_000;

export interface GmailConnectionSettings extends HttpProxyOptions {
  /**
   * Path under which the Gmail API (`/gmail/v1`, `/upload/gmail/v1`) lives on the server. Default
   * `''` (gmail.googleapis.com itself); a gateway or the emulator may serve it under a prefix.
   */
  readonly basePath?: string;
}

export function credentialUnsupported(): MailplugError {
  return new MailplugError({
    code: GmailApiErrorCode.CredentialUnsupported,
    action: 'admin',
    message: 'The Gmail API needs an OAuth 2.0 access token; the account signs in with a password.',
    hint: 'Choose the Google sign-in (gmail-oauth or a service account) for this account, or send over SMTP with an app password instead.',
  });
}

export async function gmailCredential(
  credentials: CredentialSource,
  signal: AbortSignal | undefined,
  forceRefresh = false,
): Promise<OAuth2Credential> {
  const credential: MailCredential = await credentials.getCredential({
    protocol: 'gmail-api',
    ...(forceRefresh ? { forceRefresh: true } : {}),
    ...(signal ? { signal } : {}),
  });
  if (credential.kind !== 'oauth2') throw credentialUnsupported();
  return credential;
}

export interface GmailEndpoint {
  readonly transport: HttpTransport;
  readonly timeoutMs: number;
  sendUrl(mailbox: string, upload: boolean): string;
  post(
    url: string,
    credential: OAuth2Credential,
    body: { contentType: string; data: string | Uint8Array },
    cancelled: AbortSignal | undefined,
  ): Promise<HttpResponse>;
}

export function createGmailEndpoint(
  server: ServerSettings,
  settings: GmailConnectionSettings,
): GmailEndpoint {
  const transport = createHttpTransport(server, settings);
  const timeoutMs =
    typeof server.timeoutMs === 'number' && Number.isFinite(server.timeoutMs) && server.timeoutMs > 0
      ? server.timeoutMs
      : DEFAULT_GMAIL_TIMEOUT_MS;
  const basePath = (settings.basePath ?? '').replace(/\/+$/, '');
  return {
    transport,
    timeoutMs,
    sendUrl: (mailbox, upload) =>
      upload
        ? `${transport.origin}${basePath}/upload/gmail/v1/users/${encodeURIComponent(mailbox)}/messages/send?uploadType=media`
        : `${transport.origin}${basePath}/gmail/v1/users/${encodeURIComponent(mailbox)}/messages/send`,
    async post(url, credential, body, cancelled) {
      const deadline = AbortSignal.timeout(timeoutMs);
      const signal = cancelled ? AbortSignal.any([cancelled, deadline]) : deadline;
      try {
        return await transport.request(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${credential.accessToken}`, 'content-type': body.contentType },
          body: body.data,
          signal,
        });
      } catch (error) {
        throw classifyRequestFailure(error, {
          url,
          deadlineMs: timeoutMs,
          cancelled,
          deadline,
          requestStarted: true,
        });
      }
    },
  };
}

function closedError(): MailplugError {
  return new MailplugError({
    code: GmailApiErrorCode.ConnectionClosed,
    action: 'developer',
    message: 'send() was called on a closed Gmail API connection.',
    hint: 'Open a new connection with protocol.connect() before sending.',
  });
}

function tooLarge(bytes: number): MailplugError {
  return new MailplugError({
    code: GmailApiErrorCode.MessageTooLarge,
    action: 'developer',
    message: `The message is ${(bytes / 1024 / 1024).toFixed(1)} MB, over the Gmail API's 35 MB limit.`,
    hint: 'Keep messages sent through Gmail under 35 MB including attachments (Gmail delivers 25 MB of attachments), and send large files as links.',
    details: { messageBytes: bytes, limitBytes: GMAIL_MAX_MESSAGE_BYTES, mayHaveBeenDelivered: false },
  });
}

function cancelledBeforeSending(reason: unknown): MailplugError {
  return new MailplugError({
    code: CoreErrorCode.SendCancelled,
    action: 'retry',
    message: 'The Gmail API send was cancelled by the caller before the request was made.',
    hint: 'Send the message again when the host is ready.',
    cause: reason,
    details: { mayHaveBeenDelivered: false },
  });
}

function noRecipients(message: OutgoingMessage): MailplugError {
  const list = (v: OutgoingMessage['to'] | undefined) =>
    v === undefined ? [] : Array.isArray(v) ? v : [v as AddressInput];
  const given = [...list(message.to), ...list(message.cc), ...list(message.bcc)].map((a) =>
    typeof a === 'string' ? a : a.address,
  );
  return new MailplugError({
    code: GmailApiErrorCode.RecipientsRejected,
    action: 'user',
    message: `The message has no usable recipient address${given.length > 0 ? ` (${given.join(', ')})` : ''}.`,
    hint: 'Enter at least one full recipient address such as name@example.com in To, Cc or Bcc.',
    details: {
      rejected: given.map((address) => ({ address, message: 'Not an email address' })),
      mayHaveBeenDelivered: false,
    },
  });
}

/** Opens a Gmail API send connection: one keep-alive HTTP client, a credential from the source per send. */
export async function connectGmailApi(
  server: ServerSettings,
  credentials: CredentialSource,
  options: ConnectOptions,
  settings: GmailConnectionSettings,
): Promise<SendConnection> {
  const endpoint = createGmailEndpoint(server, settings);
  try {
    await gmailCredential(credentials, options.signal);
  } catch (error) {
    await endpoint.transport.destroy();
    throw error;
  }
  let closed = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const send = async (message: OutgoingMessage, sendOptions: SendOptions = {}): Promise<SendResult> => {
    if (closed) throw closedError();
    const signals = [options.signal, sendOptions.signal].filter((s): s is AbortSignal => s !== undefined);
    const cancelled = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    if (cancelled?.aborted) throw cancelledBeforeSending(cancelled.reason);
    inFlight++;
    try {
      let credential = await gmailCredential(credentials, cancelled);
      const composed = await composeMessage(message, credential.user);
      if (composed.recipients.length === 0) throw noRecipients(message);
      const size = composed.raw.length;
      if (size > GMAIL_MAX_MESSAGE_BYTES) throw tooLarge(size);
      const upload = size > GMAIL_SIMPLE_SEND_MAX_BYTES;
      const body = upload
        ? { contentType: 'message/rfc822', data: composed.raw }
        : {
            contentType: 'application/json',
            data: JSON.stringify({ raw: composed.raw.toString('base64url') }),
          };
      for (let attempt = 1; ; attempt++) {
        const response = await endpoint.post(
          endpoint.sendUrl(credential.user, upload),
          credential,
          body,
          cancelled,
        );
        if (response.status >= 200 && response.status < 300) {
          let id: string | undefined;
          try {
            const parsed = JSON.parse(response.text) as { id?: unknown };
            id = typeof parsed.id === 'string' ? parsed.id : undefined;
          } catch {
            id = undefined;
          }
          return {
            messageId: composed.messageId,
            accepted: [...composed.recipients],
            rejected: [],
            response: `${response.status} OK${id ? ` (Gmail id ${id})` : ''}${upload ? ', media upload' : ''}`,
          };
        }
        // A token Google refused (expired, revoked) is replaced once.
        if (response.status === 401 && attempt === 1) {
          credential = await gmailCredential(credentials, cancelled, true);
          continue;
        }
        throw classifyGmailResponse(response, { mailbox: credential.user, scopes: credential.scopes });
      }
    } finally {
      inFlight--;
      if (closed && inFlight === 0) drained?.();
    }
  };

  return {
    direction: 'send',
    send,
    async close() {
      if (closed) return;
      closed = true;
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      await endpoint.transport.close();
    },
    dispose() {
      closed = true;
      void endpoint.transport.destroy();
    },
  };
}
