import {
  passwordCredentials,
  smtpTestServersClosedBy,
  startTinyproxyTestServer,
  type TinyproxyOptions,
  type TinyproxyTestServer,
} from '@mailplug/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createSmtpProtocol, smtp } from './index.js';
import { resolveSmtpProxy } from './proxy.js';
import { expectNoSecret, PLANTED_PASSWORD, sendOnce, USER } from './test-support.js';

const startServer = smtpTestServersClosedBy(afterEach);
const proxies: TinyproxyTestServer[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});

async function proxy(options?: TinyproxyOptions): Promise<TinyproxyTestServer> {
  const started = await startTinyproxyTestServer(options);
  proxies.push(started);
  return started;
}

describe('SMTP through a real HTTP CONNECT proxy (tinyproxy)', () => {
  it('every connection to the server is a CONNECT through the proxy; STARTTLS and AUTH run inside the tunnel', async () => {
    const tinyproxy = await proxy();
    const server = await startServer({ users: { [USER]: PLANTED_PASSWORD } });
    const result = await sendOnce(server.settings, {
      protocol: createSmtpProtocol({ proxy: tinyproxy.url }),
    });
    expect(result.accepted).toEqual(['bob@example.test']);
    expect(server.messages).toHaveLength(1);
    const requests = await tinyproxy.connectRequests();
    // connect()'s reachability check and the SMTP session, both tunnelled to the server's port.
    expect(requests).toEqual([`127.0.0.1:${server.port}`, `127.0.0.1:${server.port}`]);
    expect(server.connectionCount).toBeLessThanOrEqual(requests.length);
  });

  it('a noProxy match connects directly: the proxy sees nothing', async () => {
    const tinyproxy = await proxy();
    const server = await startServer({ users: { [USER]: PLANTED_PASSWORD } });
    await sendOnce(server.settings, {
      protocol: createSmtpProtocol({ proxy: tinyproxy.url, noProxy: 'relay.example.test, 127.0.0.0/8' }),
    });
    expect(server.messages).toHaveLength(1);
    expect(await tinyproxy.connectRequests()).toEqual([]);
  });

  it('SMTP_PROXY and NO_PROXY from the environment when no option is set', async () => {
    const tinyproxy = await proxy();
    const server = await startServer({ users: { [USER]: PLANTED_PASSWORD } });
    const saved = { SMTP_PROXY: process.env.SMTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    try {
      process.env.SMTP_PROXY = tinyproxy.url;
      delete process.env.NO_PROXY;
      await sendOnce(server.settings, { protocol: smtp });
      const proxied = (await tinyproxy.connectRequests()).length;
      expect(proxied).toBeGreaterThan(0);

      process.env.NO_PROXY = `localhost,127.0.0.1:${server.port}`;
      await sendOnce(server.settings, { protocol: smtp });
      expect((await tinyproxy.connectRequests()).length).toBe(proxied);
      // proxy: false ignores the environment altogether
      delete process.env.NO_PROXY;
      await sendOnce(server.settings, { protocol: createSmtpProtocol({ proxy: false }) });
      expect((await tinyproxy.connectRequests()).length).toBe(proxied);
      expect(server.messages).toHaveLength(3);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('a proxy that refuses CONNECT to the SMTP port → SMTP_PROXY_FAILED (admin), naming the proxy', async () => {
    const tinyproxy = await proxy({ connectPorts: [443] });
    const server = await startServer({ users: { [USER]: PLANTED_PASSWORD } });
    const error = await sendOnce(server.settings, {
      protocol: createSmtpProtocol({ proxy: tinyproxy.url }),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'SMTP_PROXY_FAILED',
      action: 'admin',
      details: { proxy: `127.0.0.1:${tinyproxy.port}` },
    });
    expect((error as { hint: string }).hint).toMatch(/allows CONNECT to the SMTP host and port/);
    expect(server.messages).toHaveLength(0);
  });

  it('proxy credentials from the URL are used, and never appear in an error', async () => {
    const proxyPassword = 'planted-proxy-Pa55-4e1f';
    const tinyproxy = await proxy({ basicAuth: { user: 'relay', password: proxyPassword } });
    const server = await startServer({ users: { [USER]: PLANTED_PASSWORD } });
    const withCredentials = tinyproxy.url.replace('http://', `http://relay:${proxyPassword}@`);
    await sendOnce(server.settings, { protocol: createSmtpProtocol({ proxy: withCredentials }) });
    expect(server.messages).toHaveLength(1);

    const wrong = tinyproxy.url.replace('http://', 'http://relay:planted-wrong-Pa55-77aa@');
    const error = await sendOnce(server.settings, { protocol: createSmtpProtocol({ proxy: wrong }) }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'SMTP_PROXY_FAILED', action: 'admin' });
    expectNoSecret(error, proxyPassword, 'planted-wrong-Pa55-77aa', PLANTED_PASSWORD);
  });

  it('the probe connects through the proxy and says so', async () => {
    const tinyproxy = await proxy();
    const server = await startServer({ users: { [USER]: PLANTED_PASSWORD } });
    const report = await createSmtpProtocol({ proxy: tinyproxy.url }).probe(
      server.settings,
      passwordCredentials(USER, PLANTED_PASSWORD),
    );
    expect(report.ok).toBe(true);
    expect(report.steps.find((s) => s.id === 'dns')).toMatchObject({ status: 'skipped' });
    expect(report.steps.find((s) => s.id === 'tcp')).toMatchObject({
      status: 'ok',
      data: { proxy: `127.0.0.1:${tinyproxy.port}` },
    });
    expect(await tinyproxy.connectRequests()).toEqual([`127.0.0.1:${server.port}`]);
  });
});

describe('proxy settings', () => {
  const server = { host: 'smtp.office365.com', port: 587, security: 'starttls' as const };

  it.each([
    ['smtp.office365.com', true],
    ['office365.com', true],
    ['.office365.com', true],
    ['*.office365.com', true],
    ['ice365.com', false],
    ['smtp.office365.com:25', false],
    ['smtp.office365.com:587', true],
    ['*', true],
    ['', false],
  ])('NO_PROXY=%j bypasses smtp.office365.com:587 → %s', (noProxy, bypass) => {
    expect(resolveSmtpProxy(server, { proxy: 'http://proxy.example:3128', noProxy }, {})).toEqual(
      bypass ? undefined : expect.objectContaining({ endpoint: 'proxy.example:3128' }),
    );
  });

  it('matches IP addresses, CIDR ranges and bracketed IPv6 entries (core’s NO_PROXY rules)', () => {
    const direct = (host: string, noProxy: string) =>
      resolveSmtpProxy(
        { host, port: 25, security: 'none' },
        { proxy: 'http://proxy.example:3128', noProxy },
        {},
      ) === undefined;
    expect(direct('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(direct('11.1.2.3', '10.0.0.0/8')).toBe(false);
    expect(direct('::1', '[::1]:25')).toBe(true);
    expect(direct('10.1.2.3', '3.2.1.10')).toBe(false);
  });

  it('a function decides per server; false means direct even with SMTP_PROXY set', () => {
    const env = { SMTP_PROXY: 'http://env-proxy.example:3128' };
    const perServer = (s: { host: string }) =>
      s.host.endsWith('.office365.com') ? 'http://m365-proxy:8080' : false;
    expect(resolveSmtpProxy(server, { proxy: perServer }, env)).toMatchObject({
      endpoint: 'm365-proxy:8080',
      source: 'option',
    });
    expect(resolveSmtpProxy({ ...server, host: 'relay.local' }, { proxy: perServer }, env)).toBeUndefined();
    expect(resolveSmtpProxy(server, {}, env)).toMatchObject({
      endpoint: 'env-proxy.example:3128',
      source: 'SMTP_PROXY',
    });
    expect(resolveSmtpProxy(server, {}, { HTTPS_PROXY: 'http://web-proxy:3128' })).toBeUndefined();
  });

  it('a SOCKS or malformed proxy URL is a configuration error that does not echo the URL', () => {
    for (const url of ['socks5://user:planted-socks-Pa55@proxy:1080', 'not a url']) {
      let error: unknown;
      try {
        resolveSmtpProxy(server, { proxy: url });
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'SMTP_PROXY_INVALID', action: 'admin' });
      expectNoSecret(error, 'planted-socks-Pa55');
    }
  });
});
