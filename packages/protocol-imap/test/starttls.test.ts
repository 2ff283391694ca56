import net from 'node:net';
import { isMailplugError } from '@mailplug/core';
import { passwordCredentials } from '@mailplug/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createImapProtocol } from '../src/index.js';

// A plaintext IMAP server that does not offer STARTTLS; it records whether a login ever arrived.
let server: net.Server;
let port = 0;
const received: string[] = [];
beforeAll(async () => {
  server = net.createServer((socket) => {
    socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] scripted server ready\r\n');
    socket.on('data', (chunk) => {
      for (const line of chunk.toString().split('\r\n').filter(Boolean)) {
        received.push(line);
        const [tag, command] = line.split(' ');
        if (command?.toUpperCase() === 'CAPABILITY')
          socket.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
        else if (command?.toUpperCase() === 'LOGOUT') socket.end(`* BYE\r\n${tag} OK bye\r\n`);
        else socket.write(`${tag} NO not here\r\n`);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('security "starttls" requires the upgrade: no STARTTLS offered means no login, an admin error', async () => {
  const credentials = passwordCredentials('ann@example.test', 'never-in-clear-1234');
  const imap = createImapProtocol({ silenceDeprecation: true });
  const error = await imap
    .connect({ host: '127.0.0.1', port, security: 'starttls', timeoutMs: 5_000 }, credentials)
    .catch((e: unknown) => e);
  expect(isMailplugError(error) && error.code).toBe('IMAP_STARTTLS_UNAVAILABLE');
  expect(isMailplugError(error) && error.action).toBe('admin');
  expect(credentials.requests).toHaveLength(0);
  expect(received.join('\n')).not.toContain('never-in-clear');

  const report = await imap.probe(
    { host: '127.0.0.1', port, security: 'starttls', timeoutMs: 5_000 },
    credentials,
  );
  expect(report.steps.find((s) => s.status === 'failed')).toMatchObject({
    id: 'starttls',
    error: { code: 'IMAP_STARTTLS_UNAVAILABLE' },
  });
});
