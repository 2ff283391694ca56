/**
 * A self-signed RSA certificate for a Microsoft app registration's "Certificates" tab, so tests can
 * exercise certificate client authentication (msal `clientCertificate`) without openssl.
 * Built with node:crypto and the DER helpers of the local CA (no X.509 library needed).
 */
import { generateKeyPairSync, X509Certificate as NodeX509, randomBytes, sign } from 'node:crypto';
import {
  bitString,
  explicit,
  integer,
  nullValue,
  objectIdentifier,
  sequence,
  set,
  time,
  utf8String,
} from '../tls/der.js';

export interface AppCertificate {
  readonly certPem: string;
  readonly privateKeyPem: string;
  /** Hex SHA-256 thumbprint, as msal-node's `clientCertificate.thumbprintSha256` wants it. */
  readonly thumbprintSha256: string;
}

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const COMMON_NAME = '2.5.4.3';

/**
 * @example
 * const cert = createAppCertificate('mailplug-daemon');
 * emulator.identity.addMicrosoftApp({ clientId, certificates: [{ certPem: cert.certPem }], applicationPermissions: ['SMTP.SendAsApp'] });
 */
export function createAppCertificate(commonName = 'mailplug-app'): AppCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const name = sequence(set(sequence(objectIdentifier(COMMON_NAME), utf8String(commonName))));
  const algorithm = sequence(objectIdentifier(SHA256_WITH_RSA), nullValue());
  const serial = randomBytes(12);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const now = Date.now();
  const tbs = sequence(
    explicit(0, integer(2)),
    integer(serial),
    algorithm,
    name,
    sequence(time(new Date(now - 300_000)), time(new Date(now + 365 * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const der = sequence(tbs, algorithm, bitString(sign('sha256', tbs, privateKey)));
  const certPem = `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)
    ?.join('\n')}\n-----END CERTIFICATE-----\n`;
  return {
    certPem,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    thumbprintSha256: new NodeX509(certPem).fingerprint256.replaceAll(':', '').toLowerCase(),
  };
}
