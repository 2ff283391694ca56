/**
 * createTunnelAgent's own paths against a scripted CONNECT proxy on loopback (the tunnel through a
 * real tinyproxy, TLS and CA included, is covered for every provider in tooling/resilience).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTunnelAgent } from './proxy-agent.js';

type ConnectHandler = (req: http.IncomingMessage, socket: net.Socket) => void;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => sockets.add(s));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

async function startProxy(onConnect: ConnectHandler): Promise<{ url: string; seen: http.IncomingMessage[] }> {
  const seen: http.IncomingMessage[] = [];
  const server = http.createServer();
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket) => {
    seen.push(req);
    onConnect(req, socket);
  });
  return { url: `http://user:p%40ss@127.0.0.1:${await listen(server)}`, seen };
}

/** A proxy that tunnels to the requested host:port. */
const tunnel: ConnectHandler = (req, socket) => {
  const [host, port] = (req.url ?? '').split(':');
  const upstream = net.connect(Number(port), host, () => {
    socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
    upstream.pipe(socket).pipe(upstream);
  });
  upstream.on('error', () => socket.destroy());
};

function get(url: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('createTunnelAgent', () => {
  it('tunnels a plain http request with one CONNECT carrying the proxy credentials', async () => {
    const origin = http.createServer((_req, res) => res.end('hello'));
    const originPort = await listen(origin);
    const proxy = await startProxy(tunnel);
    const agent = createTunnelAgent(proxy.url, { endpoint: 'http' });
    await expect(get(`http://127.0.0.1:${originPort}/x`, agent)).resolves.toEqual({
      status: 200,
      body: 'hello',
    });
    expect(proxy.seen.map((r) => r.url)).toEqual([`127.0.0.1:${originPort}`]);
    expect(proxy.seen[0]?.headers['proxy-authorization']).toBe(
      `Basic ${Buffer.from('user:p@ss').toString('base64')}`,
    );
  });

  it('a proxy that refuses the tunnel fails the request with EPROXY and its status', async () => {
    const proxy = await startProxy((_req, socket) =>
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n'),
    );
    const agent = createTunnelAgent(proxy.url, { endpoint: 'http' });
    await expect(get('http://127.0.0.1:9/x', agent)).rejects.toMatchObject({
      code: 'EPROXY',
      statusCode: 407,
      message: expect.not.stringContaining('p@ss'),
    });
  });

  it('a proxy that never answers the CONNECT fails the request with ETIMEDOUT after timeoutMs', async () => {
    const proxy = await startProxy(() => undefined);
    const agent = createTunnelAgent(proxy.url, { endpoint: 'http', timeoutMs: 200 });
    await expect(get('http://127.0.0.1:9/x', agent)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('refuses a proxy URL that is not http(s), naming the fix', () => {
    expect(() => createTunnelAgent('socks5://127.0.0.1:1080')).toThrow(
      /http:\/\/ or https:\/\/.*HTTPS_PROXY/,
    );
  });
});
