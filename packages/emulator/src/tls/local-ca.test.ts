import { X509Certificate } from 'node:crypto';
import { access, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ConnectionOptions, connect, createServer, type Server } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalCa, type LocalCa } from './index.js';

const servers: Server[] = [];
const cas: LocalCa[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await Promise.all(cas.splice(0).map((ca) => ca.dispose()));
});

async function freshCa(): Promise<LocalCa> {
  const ca = await createLocalCa();
  cas.push(ca);
  return ca;
}

async function listen(keyPem: string, certPem: string): Promise<number> {
  const server = createServer({ key: keyPem, cert: certPem }, (socket) => socket.end('hello\n'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function handshake(options: ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(options, () => {
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString();
      });
      socket.on('end', () => resolve(data));
    });
    socket.on('error', reject);
  });
}

describe('createLocalCa', () => {
  it('writes the CA certificate to the given directory', async () => {
    const dir = join(tmpdir(), `mailplug-ca-test-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const ca = await createLocalCa({ dir });
    expect(ca.caCertPath).toBe(join(dir, 'ca.pem'));
    expect(await readFile(ca.caCertPath, 'utf8')).toBe(ca.caCertPem);
    const cert = new X509Certificate(ca.caCertPem);
    expect(cert.ca).toBe(true);
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(Date.now() - 60_000);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    await ca.dispose();
    await expect(access(ca.caCertPath)).resolves.toBeUndefined(); // the caller's directory stays
    await rm(dir, { recursive: true, force: true });
  });

  it('without a directory writes to a temp directory that dispose() removes', async () => {
    const ca = await createLocalCa();
    expect(ca.caCertPath.startsWith(join(tmpdir(), 'mailplug-emulator-ca-'))).toBe(true);
    expect(await readFile(ca.caCertPath, 'utf8')).toBe(ca.caCertPem);
    await ca.dispose();
    await expect(access(dirname(ca.caCertPath))).rejects.toMatchObject({ code: 'ENOENT' });
    await ca.dispose();
  });

  it('issues server certificates with the SANs requested plus loopback names, signed by the CA', async () => {
    const ca = await freshCa();
    const { certPem, keyPem } = ca.issueServerCert(['mail.example.test', '10.1.2.3', 'fe80::1']);
    expect(keyPem).toContain('PRIVATE KEY');
    const cert = new X509Certificate(certPem);
    const caCert = new X509Certificate(ca.caCertPem);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkHost('mail.example.test')).toBe('mail.example.test');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkHost('other.example.test')).toBeUndefined();
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(cert.checkIP('fe80::1')).toBe('fe80::1');
    expect(cert.checkIP('10.9.9.9')).toBeUndefined();
  });

  it('lets a TLS client that trusts the CA verify the server and hostname', async () => {
    const ca = await freshCa();
    const { certPem, keyPem } = ca.issueServerCert(['mail.example.test']);
    const port = await listen(keyPem, certPem);
    await expect(
      handshake({ host: '127.0.0.1', port, ca: ca.caCertPem, servername: 'mail.example.test' }),
    ).resolves.toBe('hello\n');
    await expect(handshake({ host: '127.0.0.1', port, ca: ca.caCertPem })).resolves.toBe('hello\n');
    await expect(
      handshake({ host: '127.0.0.1', port, ca: ca.caCertPem, servername: 'wrong.example.test' }),
    ).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('is rejected by a client that does not trust the CA', async () => {
    const ca = await freshCa();
    const other = await freshCa();
    const { certPem, keyPem } = ca.issueServerCert([]);
    const port = await listen(keyPem, certPem);
    await expect(handshake({ host: '127.0.0.1', port, servername: 'localhost' })).rejects.toThrow();
    await expect(
      handshake({ host: '127.0.0.1', port, ca: other.caCertPem, servername: 'localhost' }),
    ).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});
