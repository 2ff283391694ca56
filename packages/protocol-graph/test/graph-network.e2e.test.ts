import type { Emulator } from '@mailplug/emulator';
import { emulatorApiServer, startTinyproxyTestServer, type TinyproxyTestServer } from '@mailplug/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGraphProtocol, GRAPH_CLOUDS, graphCloudForHost } from '../src/index.js';
import { appOnlySource, BOB, startGraphEmulator } from './support.js';

describe('Graph through a real HTTP proxy (tinyproxy) and per national cloud', () => {
  let emulator: Emulator;
  let proxy: TinyproxyTestServer;
  const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };

  beforeAll(async () => {
    emulator = await startGraphEmulator();
    proxy = await startTinyproxyTestServer();
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  afterAll(async () => {
    await proxy?.stop();
    await emulator?.stop();
  });

  const target = () => `127.0.0.1:${emulator.ports.https}`;
  const sendOnce = async (graph: ReturnType<typeof createGraphProtocol>, subject: string) => {
    const connection = await graph.connect(emulatorApiServer(emulator), appOnlySource(emulator));
    try {
      return await connection.send({ to: BOB, subject, text: 'x' });
    } finally {
      await connection.close();
    }
  };

  it('the proxy option tunnels the HTTPS request (CONNECT) and the message is delivered', async () => {
    const before = (await proxy.connectRequests()).length;
    await sendOnce(createGraphProtocol({ basePath: '/graph', proxy: proxy.url }), 'via proxy option');
    const connects = (await proxy.connectRequests()).slice(before);
    expect(connects).toContain(target());
    expect(emulator.mail.list(BOB).some((m) => m.subject === 'via proxy option')).toBe(true);
  });

  it('HTTPS_PROXY from the environment is used; NO_PROXY exempts the host', async () => {
    process.env.HTTPS_PROXY = proxy.url;
    delete process.env.NO_PROXY;
    const before = (await proxy.connectRequests()).length;
    await sendOnce(createGraphProtocol({ basePath: '/graph' }), 'via HTTPS_PROXY');
    expect((await proxy.connectRequests()).slice(before)).toContain(target());

    process.env.NO_PROXY = '127.0.0.1';
    const direct = (await proxy.connectRequests()).length;
    await sendOnce(createGraphProtocol({ basePath: '/graph' }), 'NO_PROXY direct');
    expect((await proxy.connectRequests()).length).toBe(direct);
    expect(emulator.mail.list(BOB).some((m) => m.subject === 'NO_PROXY direct')).toBe(true);
  });

  it('proxy: false ignores HTTPS_PROXY', async () => {
    process.env.HTTPS_PROXY = proxy.url;
    const before = (await proxy.connectRequests()).length;
    await sendOnce(createGraphProtocol({ basePath: '/graph', proxy: false }), 'no proxy');
    expect((await proxy.connectRequests()).length).toBe(before);
  });

  it('the account host selects the cloud: graph.microsoft.us tokens and scopes are checked against GCC High', async () => {
    expect(graphCloudForHost('GRAPH.microsoft.us')).toBe(GRAPH_CLOUDS.usGovernment);
    expect(graphCloudForHost('dod-graph.microsoft.us')?.id).toBe('usGovernmentDoD');
    expect(graphCloudForHost('microsoftgraph.chinacloudapi.cn')?.id).toBe('china');
    expect(graphCloudForHost('127.0.0.1')).toBeUndefined();
    expect(Object.isFrozen(GRAPH_CLOUDS) && Object.isFrozen(GRAPH_CLOUDS.global)).toBe(true);
    // A worldwide-cloud token for a GCC High account: named before any request leaves the machine.
    const report = await createGraphProtocol().probe(
      { host: 'graph.microsoft.us', port: 443, security: 'tls' },
      appOnlySource(emulator),
    );
    const token = report.steps.find((s) => s.id === 'token');
    expect(token).toMatchObject({ status: 'failed', error: { code: 'GRAPH_TOKEN_WRONG_AUDIENCE' } });
    expect(token?.error?.hint).toContain('https://graph.microsoft.us/.default');
    expect(report.steps.find((s) => s.id === 'auth')?.status).toBe('skipped');
  });
});
