import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type ConnectionOptions, connect, createServer, type Server } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from './authority.js';
import { ipAddressBytes } from './der.js';
import { issueTestServerCertificate } from './test-server-certificate.js';
import { createCertificate, generateCertificateKeys } from './x509.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen(key: string, cert: string): Promise<number> {
  const server = createServer({ key, cert }, (socket) => socket.end('hello\n'));
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

describe('createCertificateAuthority', () => {
  it('creates a CA certificate with the requested name and validity window', () => {
    const notBefore = new Date(Date.UTC(2024, 0, 1));
    const notAfter = new Date(Date.UTC(2051, 0, 1)); // past 2049: GeneralizedTime
    const ca = createCertificateAuthority({
      commonName: 'Window CA',
      organization: 'Acme',
      notBefore,
      notAfter,
    });
    const cert = new X509Certificate(ca.caCertPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('CN=Window CA');
    expect(cert.subject).toContain('O=Acme');
    expect(cert.checkIssued(cert)).toBe(true);
    expect(new Date(cert.validFrom).getTime()).toBe(notBefore.getTime());
    expect(new Date(cert.validTo).getTime()).toBe(notAfter.getTime());
  });

  it('issues leaves with DNS and IP subjectAltNames, signed by the CA, synchronously', () => {
    const ca = createCertificateAuthority();
    const leaf = ca.issueCertificate({
      subjectAltNames: ['Mail.Example.Test', '10.1.2.3', '[fe80::1]', '::1'],
    });
    const cert = new X509Certificate(leaf.certPem);
    const caCert = new X509Certificate(ca.caCertPem);
    expect(cert.ca).toBe(false);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.subject).toBe('CN=Mail.Example.Test');
    expect(cert.checkHost('mail.example.test')).toBe('mail.example.test');
    expect(cert.checkHost('other.example.test')).toBeUndefined();
    expect(cert.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(cert.checkIP('fe80::1')).toBe('fe80::1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkIP('10.9.9.9')).toBeUndefined();
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // extendedKeyUsage serverAuth
    expect(leaf.keyPem).toContain('BEGIN PRIVATE KEY');
    expect(leaf.keys.publicKey.asymmetricKeyType).toBe('ec');
  });

  it('defaults to localhost and 127.0.0.1 within the CA window', () => {
    const ca = createCertificateAuthority();
    const cert = new X509Certificate(ca.issueCertificate().certPem);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(new Date(cert.validTo).getTime()).toBe(Math.floor(ca.notAfter.getTime() / 1000) * 1000);
  });

  it('issues RSA leaves when asked', () => {
    const ca = createCertificateAuthority();
    const leaf = ca.issueCertificate({ keyType: 'rsa' });
    expect(leaf.keys.publicKey.asymmetricKeyType).toBe('rsa');
    expect(new X509Certificate(leaf.certPem).verify(new X509Certificate(ca.caCertPem).publicKey)).toBe(true);
  });

  it('serves TLS that a client trusting the CA verifies, and refuses the wrong name or an unknown CA', async () => {
    const ca = createCertificateAuthority();
    const other = createCertificateAuthority();
    const leaf = ca.issueCertificate({ subjectAltNames: ['mail.example.test', '127.0.0.1'] });
    const port = await listen(leaf.keyPem, leaf.certPem);
    await expect(
      handshake({ host: '127.0.0.1', port, ca: ca.caCertPem, servername: 'mail.example.test' }),
    ).resolves.toBe('hello\n');
    await expect(
      handshake({ host: '127.0.0.1', port, ca: ca.caCertPem, servername: 'wrong.example.test' }),
    ).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    await expect(
      handshake({ host: '127.0.0.1', port, ca: other.caCertPem, servername: 'mail.example.test' }),
    ).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});

describe('createCertificate', () => {
  it('self-signs an RSA certificate without SANs (app registration certificates)', () => {
    const keys = generateCertificateKeys('rsa');
    const cert = createCertificate({ commonName: 'mailplug-app', keys, serverAuth: false });
    const parsed = new X509Certificate(cert.certPem);
    expect(parsed.subject).toBe('CN=mailplug-app');
    expect(parsed.issuer).toBe('CN=mailplug-app');
    expect(parsed.verify(keys.publicKey)).toBe(true);
    expect(parsed.subjectAltName).toBeUndefined();
    expect(parsed.keyUsage).toBeUndefined();
  });

  it('signs with another certificate passed as issuer', () => {
    const root = createCertificate({ commonName: 'Root', certificateAuthority: true });
    const leaf = createCertificate({
      commonName: 'leaf.test',
      subjectAltNames: ['leaf.test'],
      issuer: root.asIssuer,
    });
    const parsed = new X509Certificate(leaf.certPem);
    expect(parsed.issuer).toBe('CN=Root');
    expect(parsed.checkIssued(new X509Certificate(root.certPem))).toBe(true);
  });

  it('refuses a validity window that ends before it starts', () => {
    const now = new Date();
    expect(() => createCertificate({ commonName: 'x', notBefore: now, notAfter: now })).toThrow(RangeError);
  });

  it('encodes IPv4 and IPv6 addresses including compressed and v4-mapped forms', () => {
    expect(ipAddressBytes('192.0.2.1').toString('hex')).toBe('c0000201');
    expect(ipAddressBytes('::1').toString('hex')).toBe(`${'0'.repeat(30)}01`);
    expect(ipAddressBytes('2001:db8::ff00:42:8329').toString('hex')).toBe('20010db8000000000000ff0000428329');
    expect(ipAddressBytes('::ffff:192.0.2.1').toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(() => ipAddressBytes('not-an-ip')).toThrow(TypeError);
  });
});

describe('test server certificates (one CA per process, or the one a test brings)', () => {
  it('issues certificates trusted through the returned CA', async () => {
    const ca = createCertificateAuthority({ commonName: 'Brought CA' });
    const { caPem, certPem, keyPem } = issueTestServerCertificate({}, ca);
    expect(caPem).toBe(ca.caCertPem);
    expect(new X509Certificate(caPem).subject).toBe('CN=Brought CA');
    const port = await listen(keyPem, certPem);
    await expect(handshake({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' })).resolves.toBe(
      'hello\n',
    );
    await expect(handshake({ host: '127.0.0.1', port, ca: caPem })).resolves.toBe('hello\n');
  });

  it('issues an expired certificate that clients refuse', async () => {
    const { caPem, certPem, keyPem } = issueTestServerCertificate({ expired: true });
    expect(new Date(new X509Certificate(certPem).validTo).getTime()).toBeLessThan(Date.now());
    const port = await listen(keyPem, certPem);
    await expect(
      handshake({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' }),
    ).rejects.toMatchObject({
      code: 'CERT_HAS_EXPIRED',
    });
  });

  it('issues a certificate for the wrong hostname', async () => {
    const { caPem, certPem, keyPem } = issueTestServerCertificate({ hostnames: ['other.test'], ips: [] });
    const parsed = new X509Certificate(certPem);
    expect(parsed.checkHost('other.test')).toBe('other.test');
    expect(parsed.checkIP('127.0.0.1')).toBeUndefined();
    const port = await listen(keyPem, certPem);
    await expect(
      handshake({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' }),
    ).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('issues a self-signed leaf that clients refuse even when they trust the CA', async () => {
    const { caPem, certPem, keyPem } = issueTestServerCertificate({ selfSigned: true });
    const parsed = new X509Certificate(certPem);
    expect(parsed.issuer).toBe(parsed.subject);
    expect(parsed.ca).toBe(false);
    const port = await listen(keyPem, certPem);
    await expect(
      handshake({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' }),
    ).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });

  it('shares one CA per process by default', () => {
    expect(issueTestServerCertificate().caPem).toBe(issueTestServerCertificate().caPem);
  });
});
