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
} from '@mailplug/core';
import type { HttpSendApi } from './http-send-api.js';
import type { HttpResponse, HttpTransport } from './transport.js';

/** The account signs in with a password; HTTP send APIs take only OAuth 2.0 access tokens. */
export function credentialUnsupported(api: HttpSendApi): MailplugError {
  return new MailplugError({
    code: api.codes.credentialUnsupported,
    action: 'admin',
    message: `${api.name} needs an OAuth 2.0 access token; the account signs in with a password.`,
    hint: api.passwordHint,
  });
}

/** An OAuth 2.0 credential for the API's protocol id; a password credential is refused. */
export async function oauthCredential(
  credentials: CredentialSource,
  api: HttpSendApi,
  signal: AbortSignal | undefined,
  forceRefresh = false,
): Promise<OAuth2Credential> {
  const credential: MailCredential = await credentials.getCredential({
    protocol: api.protocol,
    ...(forceRefresh ? { forceRefresh: true } : {}),
    ...(signal ? { signal } : {}),
  });
  if (credential.kind !== 'oauth2') throw credentialUnsupported(api);
  return credential;
}

/** The composed message has no recipient address: names every To/Cc/Bcc entry as given. */
export function noRecipients(message: OutgoingMessage, api: HttpSendApi): MailplugError {
  const list = (v: OutgoingMessage['to'] | undefined) =>
    v === undefined ? [] : Array.isArray(v) ? v : [v as AddressInput];
  const given = [...list(message.to), ...list(message.cc), ...list(message.bcc)].map((a) =>
    typeof a === 'string' ? a : a.address,
  );
  return new MailplugError({
    code: api.codes.recipientsRejected,
    action: 'user',
    message: `The message has no usable recipient address${given.length > 0 ? ` (${given.join(', ')})` : ''}.`,
    hint: 'Enter at least one full recipient address such as name@example.com in To, Cc or Bcc.',
    details: {
      rejected: given.map((address) => ({ address, message: 'Not an email address' })),
      mayHaveBeenDelivered: false,
    },
  });
}

/** The caller cancelled before any request was made (nothing can have been delivered). */
export function cancelledBeforeSending(reason: unknown, api: HttpSendApi): MailplugError {
  return new MailplugError({
    code: CoreErrorCode.SendCancelled,
    action: 'retry',
    message: `The ${api.shortName} send was cancelled by the caller before the request was made.`,
    hint: 'Send the message again when the host is ready.',
    cause: reason,
    details: { mayHaveBeenDelivered: false },
  });
}

function closedError(api: HttpSendApi): MailplugError {
  return new MailplugError({
    code: api.codes.connectionClosed,
    action: 'developer',
    message: `send() was called on a closed ${api.shortName} connection.`,
    hint: 'Open a new connection with protocol.connect() before sending.',
  });
}

/** The answer to the last request, and the credential it was sent with. */
export interface RefreshedAnswer {
  readonly response: HttpResponse;
  readonly credential: OAuth2Credential;
}

/**
 * Posts with `credential`; an answer of 401 (the token expired or was revoked) replaces the
 * credential once with a forced refresh and posts again. `mayRefresh(credential)` false skips the
 * refresh where a new token cannot help (a token for another resource).
 */
export async function postRefreshingOnce(
  credential: OAuth2Credential,
  post: (credential: OAuth2Credential) => Promise<HttpResponse>,
  refresh: () => Promise<OAuth2Credential>,
  mayRefresh: (credential: OAuth2Credential) => boolean = () => true,
): Promise<RefreshedAnswer> {
  const response = await post(credential);
  if (response.status !== 401 || !mayRefresh(credential)) return { response, credential };
  const fresh = await refresh();
  return { response: await post(fresh), credential: fresh };
}

export interface HttpSendConnectionInit {
  readonly api: HttpSendApi;
  readonly transport: HttpTransport;
  readonly credentials: CredentialSource;
  readonly options: ConnectOptions;
  /**
   * One send, once the connection checked it is open and not cancelled. `cancelled` fires on the
   * connection's or the send's signal.
   */
  readonly send: (message: OutgoingMessage, cancelled: AbortSignal | undefined) => Promise<SendResult>;
}

/**
 * Opens a send connection over one keep-alive HTTP transport: one silent credential call checks
 * the credential kind up front (the source caches, so it costs no extra token); `close()` waits for
 * the sends in flight, `dispose()` drops the sockets at once.
 */
export async function openHttpSendConnection(init: HttpSendConnectionInit): Promise<SendConnection> {
  const { api, transport, options } = init;
  try {
    await oauthCredential(init.credentials, api, options.signal);
  } catch (error) {
    await transport.destroy();
    throw error;
  }
  let closed = false;
  const inFlight = new Set<Promise<SendResult>>();

  const send = async (message: OutgoingMessage, sendOptions: SendOptions = {}): Promise<SendResult> => {
    if (closed) throw closedError(api);
    const signals = [options.signal, sendOptions.signal].filter((s): s is AbortSignal => s !== undefined);
    const cancelled = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    if (cancelled?.aborted) throw cancelledBeforeSending(cancelled.reason, api);
    const sending = init.send(message, cancelled);
    inFlight.add(sending);
    try {
      return await sending;
    } finally {
      inFlight.delete(sending);
    }
  };

  return {
    direction: 'send',
    send,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled(inFlight);
      await transport.close();
    },
    dispose() {
      closed = true;
      void transport.destroy();
    },
  };
}
