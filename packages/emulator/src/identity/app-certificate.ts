/**
 * A self-signed RSA certificate for a Microsoft app registration's "Certificates" tab, so tests can
 * exercise certificate client authentication (msal `clientCertificate`) without openssl.
 * Built with `@mailplug/testkit`'s node:crypto certificate builder (no X.509 library needed).
 */
import { X509Certificate as NodeX509 } from 'node:crypto';
import { createCertificate } from '@mailplug/testkit';

export interface AppCertificate {
  readonly certPem: string;
  readonly privateKeyPem: string;
  /** Hex SHA-256 thumbprint, as msal-node's `clientCertificate.thumbprintSha256` wants it. */
  readonly thumbprintSha256: string;
}

/**
 * @example
 * const cert = createAppCertificate('mailplug-daemon');
 * emulator.identity.addMicrosoftApp({ clientId, certificates: [{ certPem: cert.certPem }], applicationPermissions: ['SMTP.SendAsApp'] });
 */
export function createAppCertificate(commonName = 'mailplug-app'): AppCertificate {
  const now = Date.now();
  const { certPem, keyPem } = createCertificate({
    commonName,
    keyType: 'rsa',
    notBefore: new Date(now - 300_000),
    notAfter: new Date(now + 365 * 86_400_000),
    // A client-authentication certificate, not a server's: no serverAuth usage.
    serverAuth: false,
  });
  return {
    certPem,
    privateKeyPem: keyPem,
    thumbprintSha256: new NodeX509(certPem).fingerprint256.replaceAll(':', '').toLowerCase(),
  };
}
