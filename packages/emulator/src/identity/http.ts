/** Small request/response helpers for `node:http` handlers (no framework on purpose). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpReply } from './errors.js';

const MAX_BODY = 256 * 1024;

export class BodyTooLargeError extends Error {}

/** The whole request body, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(`request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const text = (await readBody(req)).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json') && text) {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return new URLSearchParams(Object.entries(parsed).map(([k, v]) => [k, String(v)] as [string, string]));
  }
  return new URLSearchParams(text);
}

export function sendReply(res: ServerResponse, reply: HttpReply): void {
  if (reply.transport === 'black-hole') return; // held open until the emulator closes its connections
  if (reply.transport === 'reset') {
    resetConnection(res);
    return;
  }
  const headers: Record<string, string> = { 'cache-control': 'no-store', pragma: 'no-cache' };
  if (reply.body === undefined) {
    res.writeHead(reply.status, { ...headers, ...reply.headers });
    res.end();
    return;
  }
  const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  headers['content-type'] =
    typeof reply.body === 'string'
      ? (reply.contentType ?? 'text/html; charset=utf-8')
      : 'application/json; charset=utf-8';
  res.writeHead(reply.status, { ...headers, ...reply.headers });
  res.end(body);
}

/**
 * Drops the connection with a TCP RST and no response. Over HTTPS the TLS socket wraps the TCP one
 * (`_parent`); only the TCP socket can be reset, so reset that.
 */
export function resetConnection(res: ServerResponse): void {
  const socket = res.socket as (Socket & { _parent?: Socket }) | null;
  if (!socket) return;
  const tcp = socket._parent ?? socket;
  try {
    tcp.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

export function json(status: number, body: unknown, headers?: Record<string, string>): HttpReply {
  return { status, body, ...(headers !== undefined ? { headers } : {}) };
}

export function html(status: number, page: string): HttpReply {
  return { status, body: page };
}

export function redirect(location: string): HttpReply {
  return { status: 302, body: '', headers: { location, 'content-type': 'text/plain' } };
}

/** Adds query parameters to a redirect URI, keeping the ones it already has. */
export function withQuery(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

/** `Authorization: Basic` credentials (RFC 6749 §2.3.1: form-urlencoded then base64). */
export function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const header = req.headers.authorization;
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Loopback redirect URIs match on everything but the port, as Microsoft and Google do for native apps. */
export function redirectUriAllowed(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  let req: URL;
  try {
    req = new URL(requested);
  } catch {
    return false;
  }
  if (req.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(req.hostname)) return false;
  return registered.some((r) => {
    try {
      const reg = new URL(r);
      return reg.protocol === 'http:' && reg.hostname === req.hostname && reg.pathname === req.pathname;
    } catch {
      return false;
    }
  });
}
