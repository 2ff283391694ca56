import { once } from 'node:events';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ServerSettings } from '@mailplug/core';
import {
  createCertificateAuthority,
  mailplugRejection,
  startTinyproxyTestServer,
  type TinyproxyTestServer,
} from '@mailplug/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { retryAfterMs } from '../src/http-answer.js';
import {
  createHttpTransport,
  DEFAULT_HTTP_TIMEOUT_MS,
  type HttpTransport,
  originFor,
} from '../src/transport.js';
import { TEST_API } from './test-api.js';

const ca = createCertificateAuthority();
const certificate = ca.issueCertificate({ subjectAltNames: ['localhost', '127.0.0.1'] });

/** A real HTTPS server on loopback: `/hang` never answers, everything else echoes the request. */
async function startApi(): Promise<{ server: Server; port: number }> {
  const server = createHttpsServer(
    { key: certificate.keyPem, cert: certificate.certPem },
    (request, response) => {
      if (request.url === '/hang') return;
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        response.writeHead(202, {
          'content-type': 'application/json',
          'retry-after': '7',
          'x-multi': ['a', 'b'],
        });
        response.end(JSON.stringify({ method: request.method, auth: request.headers.authorization, body }));
      });
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

describe('originFor', () => {
  it('https for every server, the port only when it is not 443, IPv6 in brackets', () => {
    expect(originFor({ host: 'graph.microsoft.com', port: 443, security: 'tls' })).toBe(
      'https://graph.microsoft.com',
    );
    expect(originFor({ host: 'gw.example.test', port: 8443, security: 'starttls' })).toBe(
      'https://gw.example.test:8443',
    );
    expect(originFor({ host: '::1', port: 443, security: 'tls' })).toBe('https://[::1]');
  });

  it('plain http only towards a loopback host with allowInsecureAuth', async () => {
    expect(originFor({ host: '127.0.0.1', port: 8080, security: 'none', allowInsecureAuth: true })).toBe(
      'http://127.0.0.1:8080',
    );
    for (const server of [
      { host: 'api.example.test', port: 80, security: 'none', allowInsecureAuth: true },
      { host: '127.0.0.1', port: 80, security: 'none' },
    ] as const) {
      const error = await mailplugRejection(Promise.resolve().then(() => originFor(server)));
      expect(error).toMatchObject({ code: 'INSECURE_AUTH_REFUSED', action: 'admin' });
      expect(error.hint).toContain('allowInsecureAuth');
    }
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-12-05T10:00:00Z');
    expect(retryAfterMs('30', now)).toBe(30_000);
    expect(retryAfterMs('Sat, 05 Dec 2026 10:00:12 GMT', now)).toBe(12_000);
    expect(retryAfterMs('Sat, 05 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('createHttpTransport against a real HTTPS server', () => {
  let api: { server: Server; port: number };
  const transports: HttpTransport[] = [];
  const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };
  const settings = (extra: Partial<ServerSettings> = {}): ServerSettings => ({
    host: '127.0.0.1',
    port: api.port,
    security: 'tls',
    tls: { ca: ca.caCertPem },
    timeoutMs: 5_000,
    ...extra,
  });
  const open = (...args: Parameters<typeof createHttpTransport>) => {
    const transport = createHttpTransport(...args);
    transports.push(transport);
    return transport;
  };
  const post = (transport: HttpTransport, path = '/send', signal?: AbortSignal) =>
    transport.request(`${transport.origin}${path}`, {
      method: 'POST',
      headers: { authorization: 'Bearer planted-token-4c1e', 'content-type': 'text/plain' },
      body: 'hello',
      signal,
    });

  beforeAll(async () => {
    api = await startApi();
  });
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.destroy()));
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  afterAll(async () => {
    api.server.closeAllConnections();
    api.server.close();
  });

  it('answers with status, headers and body text; the deadline is the server timeout', async () => {
    const transport = open(settings(), TEST_API, { proxy: false });
    expect(transport.timeoutMs).toBe(5_000);
    const { timeoutMs: _timeoutMs, ...withoutTimeout } = settings();
    expect(open(withoutTimeout, TEST_API, { proxy: false }).timeoutMs).toBe(DEFAULT_HTTP_TIMEOUT_MS);
    const response = await post(transport);
    expect(response.status).toBe(202);
    expect(response.headers.get('Retry-After')).toBe('7');
    expect(response.headers.get('x-multi')).toBe('a, b');
    expect(response.headers.get('x-absent')).toBeNull();
    expect(JSON.parse(response.text)).toEqual({
      method: 'POST',
      auth: 'Bearer planted-token-4c1e',
      body: 'hello',
    });
  });

  it('no answer within the deadline: the API’s timeout code, retry, may have been delivered', async () => {
    const transport = open(settings({ timeoutMs: 300 }), TEST_API, { proxy: false });
    const error = await mailplugRejection(post(transport, '/hang'));
    expect(error).toMatchObject({
      code: 'TEST_TIMEOUT',
      action: 'retry',
      details: { deadlineMs: 300, mayHaveBeenDelivered: true },
    });
    expect(error.message).toBe(`The Test API (127.0.0.1:${api.port}) did not answer within 300 ms.`);
    expect(error.hint).toContain('check the Outbox folder first: Tester may have received it');
  });

  it('the caller’s signal cancels the request in flight: SEND_CANCELLED with the reason', async () => {
    const transport = open(settings(), TEST_API, { proxy: false });
    const controller = new AbortController();
    const pending = mailplugRejection(post(transport, '/hang', controller.signal));
    setTimeout(() => controller.abort(new Error('host shutting down')), 50);
    const error = await pending;
    expect(error).toMatchObject({
      code: 'SEND_CANCELLED',
      action: 'retry',
      details: { mayHaveBeenDelivered: true },
    });
    expect(error.message).toContain('The Test API send was cancelled by the caller. Tester may already have');
    expect((error.cause as Error).message).toBe('host shutting down');
  });

  it('a certificate the client does not trust: TLS failed, admin, nothing delivered', async () => {
    const transport = open(settings({ tls: {} }), TEST_API, { proxy: false });
    const error = await mailplugRejection(post(transport));
    expect(error).toMatchObject({
      code: 'TEST_TLS_FAILED',
      action: 'admin',
      details: { mayHaveBeenDelivered: false },
    });
    expect(error.hint).toContain('tls.ca');
  });

  it('nothing listening: connection failed, admin, names the expected server', async () => {
    const closed = await startApi();
    closed.server.close();
    await once(closed.server, 'close');
    const transport = open(settings({ port: closed.port }), TEST_API, { proxy: false });
    const error = await mailplugRejection(post(transport));
    expect(error).toMatchObject({
      code: 'TEST_CONNECTION_FAILED',
      action: 'admin',
      details: { errno: 'ECONNREFUSED', mayHaveBeenDelivered: false },
    });
    expect(error.hint).toContain('(api.example.test, 443)');
  });

  describe('through a real HTTP proxy (tinyproxy)', () => {
    let proxy: TinyproxyTestServer;
    beforeAll(async () => {
      proxy = await startTinyproxyTestServer();
    });
    afterAll(() => proxy?.stop());
    const target = () => `127.0.0.1:${api.port}`;

    it('the proxy option tunnels the request (CONNECT to the API host)', async () => {
      const before = (await proxy.connectRequests()).length;
      const response = await post(open(settings(), TEST_API, { proxy: proxy.url }));
      expect(response.status).toBe(202);
      expect((await proxy.connectRequests()).slice(before)).toEqual([target()]);
    });

    it('HTTPS_PROXY from the environment is used; NO_PROXY, the noProxy option (names, CIDR, host:port) and proxy: false bypass it', async () => {
      process.env.HTTPS_PROXY = proxy.url;
      delete process.env.NO_PROXY;
      const before = (await proxy.connectRequests()).length;
      await post(open(settings(), TEST_API));
      expect((await proxy.connectRequests()).slice(before)).toEqual([target()]);

      const proxied = (await proxy.connectRequests()).length;
      process.env.NO_PROXY = '127.0.0.1';
      expect((await post(open(settings(), TEST_API))).status).toBe(202);
      delete process.env.NO_PROXY;
      expect((await post(open(settings(), TEST_API, { noProxy: '127.0.0.1' }))).status).toBe(202);
      // core's NO_PROXY rules, as for the providers: CIDR ranges and host:port entries too.
      expect((await post(open(settings(), TEST_API, { noProxy: '10.0.0.0/8, 127.0.0.0/8' }))).status).toBe(
        202,
      );
      expect((await post(open(settings(), TEST_API, { noProxy: `127.0.0.1:${api.port}` }))).status).toBe(202);
      expect((await post(open(settings(), TEST_API, { proxy: false }))).status).toBe(202);
      expect((await proxy.connectRequests()).length).toBe(proxied);
    });

    it('a proxy that refuses CONNECT to the port: proxy failed, admin, names the CONNECT target', async () => {
      const strict = await startTinyproxyTestServer({ connectPorts: [443] });
      try {
        const error = await mailplugRejection(post(open(settings(), TEST_API, { proxy: strict.url })));
        expect(error).toMatchObject({
          code: 'TEST_PROXY_FAILED',
          action: 'admin',
          details: { mayHaveBeenDelivered: false },
        });
        expect(error.hint).toContain('allows CONNECT to api.example.test');
      } finally {
        await strict.stop();
      }
    });

    it('a proxy setting that is not an HTTP proxy URL is refused before any request, password never shown', async () => {
      for (const proxySetting of ['not a url', 'socks5://relay:planted-Pa55-proxy@127.0.0.1:1080']) {
        const error = await mailplugRejection(
          Promise.resolve().then(() => open(settings(), TEST_API, { proxy: proxySetting })),
        );
        expect(error).toMatchObject({ code: 'CONFIG_INVALID', action: 'admin' });
        expect(JSON.stringify(error.toJSON())).not.toContain('planted-Pa55-proxy');
      }
    });
  });
});
