/**
 * The demo's stand-in for graph.microsoft.com and gmail.googleapis.com: an HTTPS gateway on
 * 127.0.0.1 that forwards `/v1.0/…` to the emulator's Graph and `/gmail/v1/…` (and the upload
 * path) to its Gmail API. The emulator serves both under a path prefix, while the registry's
 * default Graph and Gmail API protocols send to the host's root, as they do in production — so
 * the app's code path stays the production one and only the fallback server's host differs.
 */
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Emulator } from './demo.js';

export interface ApiGateway {
  readonly port: number;
  /** The gateway's CA certificate file: the fallback server's `caFile`. */
  readonly caFile: string;
  close(): Promise<void>;
}

/** Path prefix → emulator prefix. */
const ROUTES: readonly (readonly [string, string])[] = [
  ['/v1.0/', '/graph'],
  ['/gmail/v1/', '/gmail-api'],
  ['/upload/gmail/v1/', '/gmail-api'],
];

export async function startApiGateway(emulator: Emulator): Promise<ApiGateway> {
  const { createLocalCa } = await import('@mailplug/emulator');
  const ca = await createLocalCa({ commonName: 'Mailplug web admin demo gateway' });
  const certificate = ca.issueServerCert(['127.0.0.1']);
  const target = new URL(emulator.urls.https);
  const server: Server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (req, res) => {
    const path = req.url ?? '/';
    const prefix = ROUTES.find(([from]) => path.startsWith(from))?.[1];
    if (!prefix) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'NotFound', message: `Nothing at ${path}.` } }));
      return;
    }
    const upstream = httpsRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: `${prefix}${path}`,
        headers: { ...req.headers, host: target.host },
        ca: emulator.caCertPem,
        timeout: 60_000,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('emulator did not answer')));
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'BadGateway', message: 'The emulator did not answer.' } }));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    caFile: ca.caCertPath,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ca.dispose();
    },
  };
}
