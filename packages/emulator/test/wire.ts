/**
 * A raw HTTP(S) client for asserting what arrives on the wire: status, headers and body as sent, a
 * connection that was reset, or no answer at all within the client's own deadline.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export type WireResult =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: Record<string, string | string[] | undefined>;
      readonly body: string;
      json(): Record<string, unknown>;
    }
  | { readonly kind: 'error'; readonly code: string }
  | { readonly kind: 'no-answer' };

export interface WireRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** The client's deadline; after it the request is abandoned and reported as `no-answer`. */
  readonly timeoutMs?: number | undefined;
  /** CA for https URLs. */
  readonly ca?: string;
  /** Called with the client socket once connected (to watch it being closed by the server). */
  readonly onSocket?: (socket: import('node:net').Socket) => void;
}

export function wire(url: string, options: WireRequest = {}): Promise<WireResult> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const body = options.body;
  const headers = { ...options.headers };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: WireResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = send(
      target,
      { method: options.method ?? 'GET', headers, agent: false, ...(options.ca ? { ca: options.ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e: NodeJS.ErrnoException) => settle({ kind: 'error', code: e.code ?? e.message }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          settle({
            kind: 'response',
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          });
        });
      },
    );
    const timer = setTimeout(() => {
      settle({ kind: 'no-answer' });
      req.destroy();
    }, options.timeoutMs ?? 10_000);
    req.on('socket', (socket) => options.onSocket?.(socket));
    req.on('error', (e: NodeJS.ErrnoException) => settle({ kind: 'error', code: e.code ?? e.message }));
    req.end(body);
  });
}

/** The response of a wire result, or a failed expectation naming what came instead. */
export function response(result: WireResult): Extract<WireResult, { kind: 'response' }> {
  if (result.kind !== 'response') throw new Error(`expected an HTTP response, got ${JSON.stringify(result)}`);
  return result;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
export const b64url = (text: string | Buffer) => Buffer.from(text).toString('base64url');

export function rfc822(lines: Record<string, string>, body = 'Hello from a test.\r\n'): string {
  return `${Object.entries(lines)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n${body}`;
}
