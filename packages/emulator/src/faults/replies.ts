/**
 * What an injected fault looks like on the wire, per provider and endpoint: the token endpoints
 * answer in Microsoft's / Google's / plain OAuth JSON, Graph and Gmail in their API envelopes, and
 * proxy-style faults with text or HTML bodies regardless of who sits behind the proxy.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { gmailError, gmailReasonForStatus, graphCodeForStatus, graphError } from '../api/api-errors.js';
import { googleError, type HttpReply, microsoftError } from '../identity/errors.js';
import type { AnyInjection, FaultFlavour } from './injections.js';

function retryAfter(spec: AnyInjection): Record<string, string> {
  const seconds = (spec as { retryAfterSeconds?: number }).retryAfterSeconds;
  return seconds === undefined ? {} : { 'retry-after': String(seconds) };
}

/** A body like nginx or a corporate proxy sends for a 5xx it generated itself. */
function proxyHtml(status: number): string {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

function microsoftStatusBody(status: number): Record<string, unknown> {
  const throttled = status === 429;
  return {
    error: throttled ? 'temporarily_unavailable' : 'server_error',
    error_description: throttled
      ? 'AADSTS50196: The server terminated an operation because it encountered a client request loop.'
      : 'AADSTS90033: A transient error has occurred. Please try again.',
    error_codes: [throttled ? 50196 : 90033],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  };
}

/** The reply for a fault rule that fired at `endpoint` of `flavour`. */
export function faultReply(flavour: FaultFlavour, endpoint: string, spec: AnyInjection): HttpReply {
  if ('blackHole' in spec) return { status: 0, body: undefined, transport: 'black-hole' };
  if ('reset' in spec) return { status: 0, body: undefined, transport: 'reset' };
  if ('aadsts' in spec) return microsoftError(spec.aadsts, spec.detail);
  if ('graphError' in spec) return graphError(spec.graphError, spec.message, retryAfter(spec));
  if ('gmailError' in spec) return gmailError(spec.gmailError, spec.message, retryAfter(spec));
  if ('error' in spec) {
    if (flavour === 'google') return googleError(spec.error as never, spec.description, spec.status);
    return {
      status: spec.status ?? 400,
      body: { error: spec.error, ...(spec.description ? { error_description: spec.description } : {}) },
    };
  }
  const { status, body = 'json' } = spec as { status: number; body?: 'json' | 'text' | 'html' };
  const headers = retryAfter(spec);
  if (body === 'text')
    return {
      status,
      body: `${STATUS_CODES[status] ?? 'Error'}\n`,
      contentType: 'text/plain; charset=utf-8',
      headers,
    };
  if (body === 'html') return { status, body: proxyHtml(status), contentType: 'text/html', headers };
  if (flavour === 'microsoft' && endpoint === 'sendMail')
    return graphError(graphCodeForStatus(status), undefined, headers);
  if (flavour === 'google' && endpoint === 'messages.send')
    return gmailError(gmailReasonForStatus(status), undefined, headers);
  if (flavour === 'microsoft') return { status, body: microsoftStatusBody(status), headers };
  if (flavour === 'google') {
    const throttled = status === 429;
    return {
      status,
      body: {
        error: throttled ? 'rate_limit_exceeded' : 'internal_failure',
        error_description: throttled ? 'Rate Limit Exceeded' : 'Backend Error',
      },
      headers,
    };
  }
  return {
    status,
    body: {
      error: status === 429 || status === 503 ? 'temporarily_unavailable' : 'server_error',
      error_description: STATUS_CODES[status] ?? 'Error',
    },
    headers,
  };
}

export function faultLabel(spec: AnyInjection): string {
  if ('blackHole' in spec) return 'black hole';
  if ('reset' in spec) return 'connection reset';
  if ('aadsts' in spec) return `AADSTS${spec.aadsts}`;
  if ('graphError' in spec) return spec.graphError;
  if ('gmailError' in spec) return spec.gmailError;
  if ('error' in spec) return spec.error;
  if ('delayMs' in spec) return `delay ${spec.delayMs} ms`;
  const body = (spec as { body?: string }).body;
  return `HTTP ${(spec as { status: number }).status}${body && body !== 'json' ? ` ${body}` : ''}`;
}
