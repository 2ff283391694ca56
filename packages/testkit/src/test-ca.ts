// @peculiar/x509 resolves its crypto services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** A PEM certificate and its private key, ready for `tls.createServer({ cert, key })`. */
export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
}

export interface IssueCertificateOptions {
  /** DNS names for the subjectAltName (default `['localhost']`). */
  readonly hostnames?: readonly string[];
  /** IP addresses for the subjectAltName (default `['127.0.0.1']`). */
  readonly ips?: readonly string[];
  /** Issue a certificate whose validity ended yesterday. */
  readonly expired?: boolean;
  /** Sign the certificate with its own key instead of the CA (clients see "self-signed certificate"). */
  readonly selfSigned?: boolean;
}

/** A throw-away certificate authority generated in memory; nothing is written to disk. */
export interface TestCertificateAuthority {
  /** The CA certificate, PEM. Hand this to clients as `tls.ca`. */
  readonly caPem: string;
  issue(options?: IssueCertificateOptions): Promise<TestCertificate>;
}

// ECDSA P-256 keys are generated in milliseconds; RSA would make every test server start slow.
type Crypto = webcrypto.Crypto;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY = 24 * 60 * 60 * 1000;

function provider(): Crypto {
  const crypto: Crypto = webcrypto;
  x509.cryptoProvider.set(crypto as never);
  return crypto;
}

async function keyPair(crypto: Crypto): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(crypto: Crypto, key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

/**
 * Creates an in-memory certificate authority for tests and issues server certificates from it.
 *
 * @example
 * const ca = await createTestCertificateAuthority();
 * const { cert, key } = await ca.issue({ hostnames: ['localhost'] });
 * tls.createServer({ cert, key });            // server side
 * tls.connect({ port, ca: ca.caPem });         // client side trusts it
 */
export async function createTestCertificateAuthority(
  name = 'Mailplug Test CA',
): Promise<TestCertificateAuthority> {
  const crypto = provider();
  const caKeys = await keyPair(crypto);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 365 * DAY),
    keys: caKeys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  return {
    caPem: caCert.toString('pem'),
    async issue(options = {}) {
      const keys = await keyPair(crypto);
      const hostnames = options.hostnames ?? ['localhost'];
      const ips = options.ips ?? ['127.0.0.1'];
      const now = Date.now();
      const notBefore = new Date(options.expired ? now - 30 * DAY : now - DAY);
      const notAfter = new Date(options.expired ? now - DAY : now + 90 * DAY);
      const subject = `CN=${hostnames[0] ?? ips[0] ?? 'localhost'}`;
      const extensions = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...hostnames.map((value) => ({ type: 'dns' as const, value })),
          ...ips.map((value) => ({ type: 'ip' as const, value })),
        ]),
      ];
      const cert = options.selfSigned
        ? await x509.X509CertificateGenerator.createSelfSigned({
            name: subject,
            notBefore,
            notAfter,
            keys,
            signingAlgorithm: SIGNING,
            extensions,
          })
        : await x509.X509CertificateGenerator.create({
            subject,
            issuer: caCert.subject,
            notBefore,
            notAfter,
            publicKey: keys.publicKey,
            signingKey: caKeys.privateKey,
            signingAlgorithm: SIGNING,
            extensions: [...extensions, await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey)],
          });
      return { cert: cert.toString('pem'), key: await privateKeyPem(crypto, keys.privateKey) };
    },
  };
}

let shared: Promise<TestCertificateAuthority> | undefined;

/** One CA per process, so that many test servers do not each pay for key generation. */
export function sharedTestCertificateAuthority(): Promise<TestCertificateAuthority> {
  shared ??= createTestCertificateAuthority();
  return shared;
}
