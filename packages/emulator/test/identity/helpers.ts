import { request } from 'node:https';
import net from 'node:net';

/** Records every TCP connect to a non-loopback destination (the libraries must never leave the machine). */
export function spyOnOutboundSockets(): { outbound: string[]; restore(): void } {
  const outbound: string[] = [];
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function patched(this: net.Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const opts = (typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }) as {
      host?: string;
      path?: string;
      port?: unknown;
    };
    const host = opts.host ?? 'localhost';
    if (!opts.path && !/^(127\.|::1$|localhost$|::ffff:127\.)/.test(String(host)))
      outbound.push(`${host}:${String(opts.port)}`);
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof original;
  return {
    outbound,
    restore: () => {
      net.Socket.prototype.connect = original;
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): Record<string, unknown>;
}

export function httpsRequest(
  ca: string,
  url: string,
  method = 'GET',
  form?: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca,
        headers: body ? { 'content-type': 'application/x-www-form-urlencoded', ...headers } : headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function decodeJwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}
