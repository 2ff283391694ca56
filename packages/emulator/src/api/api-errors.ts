/**
 * Error bodies of the two HTTP send APIs in their real shapes: Microsoft Graph
 * (`{ error: { code, message, innerError } }`) and Google APIs
 * (`{ error: { code, message, errors: [{ reason, domain, message }], status } }`).
 */
import { randomUUID } from 'node:crypto';
import type { HttpReply } from '../identity/errors.js';

/** Graph error codes the emulator answers with, and the HTTP status each comes with. */
export const GRAPH_ERRORS = Object.freeze({
  InvalidAuthenticationToken: { status: 401, message: 'Access token validation failure. Invalid audience.' },
  ErrorAccessDenied: { status: 403, message: 'Access is denied. Check credentials and try again.' },
  ErrorSendAsDenied: {
    status: 403,
    message:
      'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.',
  },
  MailboxNotEnabledForRESTAPI: {
    status: 404,
    message: 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
  },
  ErrorInvalidUser: { status: 404, message: 'The requested user is invalid.' },
  ErrorInvalidRecipients: {
    status: 400,
    message:
      'At least one recipient is not valid., Recipient is not resolved. All recipients must be resolved before a message can be submitted.',
  },
  ErrorMimeContentInvalidBase64String: { status: 400, message: 'Invalid base64 string for MIME content.' },
  ErrorMessageSizeExceeded: {
    status: 413,
    message: 'The message exceeds the maximum supported size. Use an upload session for large attachments.',
  },
  BadRequest: { status: 400, message: 'Bad request.' },
  UnsupportedMediaType: { status: 415, message: 'The content type of the request is not supported.' },
  ApplicationThrottled: { status: 429, message: 'Application is over its MailboxConcurrency limit.' },
  InternalServerError: { status: 500, message: 'An internal server error occurred.' },
  BadGateway: { status: 502, message: 'Bad gateway.' },
  ServiceNotAvailable: { status: 503, message: 'Service unavailable. Try again later.' },
  GatewayTimeout: { status: 504, message: 'The gateway timed out.' },
});

export type GraphErrorCode = keyof typeof GRAPH_ERRORS;

/** `{ error: { code, message, innerError } }` with Graph's request ids. */
export function graphError(
  code: GraphErrorCode,
  message?: string,
  headers: Record<string, string> = {},
): HttpReply {
  const entry = GRAPH_ERRORS[code];
  const requestId = randomUUID();
  const date = new Date().toISOString().replace(/\.\d+Z$/, '');
  return {
    status: entry.status,
    body: {
      error: {
        code,
        message: message ?? entry.message,
        innerError: { date, 'request-id': requestId, 'client-request-id': requestId },
      },
    },
    headers: { 'request-id': requestId, 'client-request-id': requestId, ...headers },
  };
}

/** The Graph code a bare HTTP status fault turns into. */
export function graphCodeForStatus(status: number): GraphErrorCode {
  if (status === 429) return 'ApplicationThrottled';
  if (status === 502) return 'BadGateway';
  if (status === 503) return 'ServiceNotAvailable';
  if (status === 504) return 'GatewayTimeout';
  return 'InternalServerError';
}

/** Gmail API error reasons (`errors[0].reason`) and their HTTP status / gRPC status. */
export const GMAIL_ERRORS = Object.freeze({
  authError: {
    status: 401,
    grpc: 'UNAUTHENTICATED',
    domain: 'global',
    message:
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  },
  insufficientPermissions: {
    status: 403,
    grpc: 'PERMISSION_DENIED',
    domain: 'global',
    message: 'Request had insufficient authentication scopes.',
  },
  forbidden: { status: 403, grpc: 'PERMISSION_DENIED', domain: 'global', message: 'Delegation denied.' },
  failedPrecondition: {
    status: 400,
    grpc: 'FAILED_PRECONDITION',
    domain: 'global',
    message: 'Precondition check failed.',
  },
  invalidArgument: { status: 400, grpc: 'INVALID_ARGUMENT', domain: 'global', message: 'Invalid argument.' },
  rateLimitExceeded: {
    status: 429,
    grpc: 'RESOURCE_EXHAUSTED',
    domain: 'usageLimits',
    message: 'Rate Limit Exceeded',
  },
  userRateLimitExceeded: {
    status: 429,
    grpc: 'RESOURCE_EXHAUSTED',
    domain: 'usageLimits',
    message: 'User-rate limit exceeded.',
  },
  backendError: { status: 503, grpc: 'UNAVAILABLE', domain: 'global', message: 'Backend Error' },
  internalError: { status: 500, grpc: 'INTERNAL', domain: 'global', message: 'Internal error encountered.' },
  badGateway: { status: 502, grpc: 'UNAVAILABLE', domain: 'global', message: 'Bad Gateway' },
  deadlineExceeded: {
    status: 504,
    grpc: 'DEADLINE_EXCEEDED',
    domain: 'global',
    message: 'The request timed out.',
  },
});

export type GmailErrorReason = keyof typeof GMAIL_ERRORS;

/** Google's JSON error envelope for Gmail API calls. */
export function gmailError(
  reason: GmailErrorReason,
  message?: string,
  headers: Record<string, string> = {},
): HttpReply {
  const entry = GMAIL_ERRORS[reason];
  const text = message ?? entry.message;
  return {
    status: entry.status,
    body: {
      error: {
        code: entry.status,
        message: text,
        errors: [{ message: text, domain: entry.domain, reason }],
        status: entry.grpc,
      },
    },
    headers,
  };
}

/** The Gmail reason a bare HTTP status fault turns into. */
export function gmailReasonForStatus(status: number): GmailErrorReason {
  if (status === 429) return 'rateLimitExceeded';
  if (status === 502) return 'badGateway';
  if (status === 503) return 'backendError';
  if (status === 504) return 'deadlineExceeded';
  return 'internalError';
}
