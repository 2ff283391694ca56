import {
  type ConnectOptions,
  type CredentialSource,
  MailplugError,
  type OAuth2Credential,
  type SendConnection,
  type ServerSettings,
} from '@mailplug/core';
import {
  createHttpTransport,
  type HttpProxyOptions,
  type HttpResponse,
  type HttpSendApi,
  type HttpTransport,
  noRecipients,
  oauthCredential,
  openHttpSendConnection,
  postRefreshingOnce,
} from '@mailplug/http-send';
import { composeMessage } from '@mailplug/mime';
import { classifyGmailResponse, GmailApiErrorCode } from './gmail-errors.js';

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

/** How Gmail's errors are worded and coded where every HTTP send API meets the same failure. */
export const GMAIL_API: HttpSendApi = Object.freeze({
  protocol: 'gmail-api',
  name: 'The Gmail API',
  shortName: 'Gmail API',
  receiver: 'Gmail',
  sentFolder: 'the Sent folder',
  networkPath: 'Google',
  proxyTarget: 'gmail.googleapis.com',
  expectedServer: 'gmail.googleapis.com, 443',
  passwordHint:
    'Choose the Google sign-in (gmail-oauth or a service account) for this account, or send over SMTP with an app password instead.',
  codes: Object.freeze({
    timeout: GmailApiErrorCode.Timeout,
    tlsFailed: GmailApiErrorCode.TlsFailed,
    proxyFailed: GmailApiErrorCode.ProxyFailed,
    connectionFailed: GmailApiErrorCode.ConnectionFailed,
    connectionClosed: GmailApiErrorCode.ConnectionClosed,
    credentialUnsupported: GmailApiErrorCode.CredentialUnsupported,
    recipientsRejected: GmailApiErrorCode.RecipientsRejected,
    failed: GmailApiErrorCode.Failed,
  }),
});

export interface GmailConnectionSettings extends HttpProxyOptions {
  /**
   * Path under which the Gmail API (`/gmail/v1`, `/upload/gmail/v1`) lives on the server. Default
   * `''` (gmail.googleapis.com itself); a gateway or the emulator may serve it under a prefix.
   */
  readonly basePath?: string;
}

/** The request body: `{ raw }` JSON, or the message itself for the media upload. */
export interface GmailSendBody {
  readonly contentType: string;
  readonly data: string | Uint8Array;
}

export interface GmailEndpoint {
  readonly transport: HttpTransport;
  sendUrl(mailbox: string, upload: boolean): string;
  /** POSTs `body` under the deadline; network failures come back classified. */
  post(
    url: string,
    credential: OAuth2Credential,
    body: GmailSendBody,
    cancelled: AbortSignal | undefined,
  ): Promise<HttpResponse>;
}

export function createGmailEndpoint(
  server: ServerSettings,
  settings: GmailConnectionSettings,
): GmailEndpoint {
  const transport = createHttpTransport(server, GMAIL_API, settings);
  const basePath = (settings.basePath ?? '').replace(/\/+$/, '');
  return {
    transport,
    sendUrl: (mailbox, upload) =>
      upload
        ? `${transport.origin}${basePath}/upload/gmail/v1/users/${encodeURIComponent(mailbox)}/messages/send?uploadType=media`
        : `${transport.origin}${basePath}/gmail/v1/users/${encodeURIComponent(mailbox)}/messages/send`,
    post: (url, credential, body, cancelled) =>
      transport.request(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${credential.accessToken}`, 'content-type': body.contentType },
        body: body.data,
        signal: cancelled,
      }),
  };
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

/** The id Gmail gave the sent message, from its JSON answer. */
function gmailMessageId(response: HttpResponse): string | undefined {
  try {
    const parsed = JSON.parse(response.text) as { id?: unknown };
    return typeof parsed.id === 'string' ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

/** Opens a Gmail API send connection: one keep-alive HTTP client, a credential from the source per send. */
export async function connectGmailApi(
  server: ServerSettings,
  credentials: CredentialSource,
  options: ConnectOptions,
  settings: GmailConnectionSettings,
): Promise<SendConnection> {
  const endpoint = createGmailEndpoint(server, settings);
  return openHttpSendConnection({
    api: GMAIL_API,
    transport: endpoint.transport,
    credentials,
    options,
    async send(message, cancelled) {
      const credential = await oauthCredential(credentials, GMAIL_API, cancelled);
      const composed = await composeMessage(message, credential.user);
      if (composed.recipients.length === 0) throw noRecipients(message, GMAIL_API);
      const size = composed.raw.length;
      if (size > GMAIL_MAX_MESSAGE_BYTES) throw tooLarge(size);
      const upload = size > GMAIL_SIMPLE_SEND_MAX_BYTES;
      const body = upload
        ? { contentType: 'message/rfc822', data: composed.raw }
        : {
            contentType: 'application/json',
            data: JSON.stringify({ raw: composed.raw.toString('base64url') }),
          };
      // A token Google refused (expired, revoked) is replaced once.
      const answer = await postRefreshingOnce(
        credential,
        (current) => endpoint.post(endpoint.sendUrl(current.user, upload), current, body, cancelled),
        () => oauthCredential(credentials, GMAIL_API, cancelled, true),
      );
      const { response } = answer;
      if (response.status >= 200 && response.status < 300) {
        const id = gmailMessageId(response);
        return {
          messageId: composed.messageId,
          accepted: [...composed.recipients],
          rejected: [],
          response: `${response.status} OK${id ? ` (Gmail id ${id})` : ''}${upload ? ', media upload' : ''}`,
        };
      }
      throw classifyGmailResponse(response, {
        mailbox: answer.credential.user,
        scopes: answer.credential.scopes,
      });
    },
  });
}
