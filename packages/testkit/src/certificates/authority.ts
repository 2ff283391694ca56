/**
 * A throw-away certificate authority held in memory: one CA certificate plus a synchronous
 * `issueCertificate` for server certificates. The CA key never leaves the closure.
 */
import { type CertificateKeyType, createCertificate, type GeneratedCertificate } from './x509.js';

export interface CertificateAuthorityOptions {
  /** CA common name; shows up in TLS error messages. Default `Mailplug Test CA`. */
  readonly commonName?: string;
  /** Organization (O=) of the CA and of the certificates it issues. */
  readonly organization?: string;
  /** Default: five minutes ago. */
  readonly notBefore?: Date;
  /** Default: one day after `notBefore`. */
  readonly notAfter?: Date;
}

export interface IssueOptions {
  /** DNS names and IP addresses for subjectAltName. Default `['localhost', '127.0.0.1']`. */
  readonly subjectAltNames?: readonly string[];
  /** Subject CN. Default: the first subjectAltName, else `localhost`. */
  readonly commonName?: string;
  /** Default: the CA's `notBefore`. */
  readonly notBefore?: Date;
  /** Default: the CA's `notAfter`. A date in the past yields an expired certificate. */
  readonly notAfter?: Date;
  /** Sign with the certificate's own key instead of the CA's (clients see "self-signed certificate"). */
  readonly selfSigned?: boolean;
  /** Default `ec` (P-256). */
  readonly keyType?: CertificateKeyType;
}

export interface CertificateAuthority {
  /** The CA certificate, PEM. Hand this to clients as `tls.ca`. */
  readonly caCertPem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Issues a server certificate signed by this CA (or self-signed on request). Synchronous. */
  issueCertificate(options?: IssueOptions): GeneratedCertificate;
}

/**
 * Creates an in-memory CA (P-256) and issues server certificates from it, synchronously.
 *
 * @example
 * const ca = createCertificateAuthority({ commonName: 'My Test CA' });
 * const { certPem, keyPem } = ca.issueCertificate({ subjectAltNames: ['mail.example.test', '127.0.0.1'] });
 * tls.createServer({ key: keyPem, cert: certPem });
 * tls.connect({ port, ca: ca.caCertPem, servername: 'mail.example.test' });
 */
export function createCertificateAuthority(options: CertificateAuthorityOptions = {}): CertificateAuthority {
  const ca = createCertificate({
    commonName: options.commonName ?? 'Mailplug Test CA',
    organization: options.organization,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    certificateAuthority: true,
  });
  return {
    caCertPem: ca.certPem,
    notBefore: ca.notBefore,
    notAfter: ca.notAfter,
    issueCertificate(issue = {}) {
      const sans = issue.subjectAltNames ?? ['localhost', '127.0.0.1'];
      const commonName =
        issue.commonName ?? sans.map((name) => name.trim()).find((name) => name.length > 0) ?? 'localhost';
      return createCertificate({
        commonName,
        organization: options.organization,
        keyType: issue.keyType,
        notBefore: issue.notBefore ?? ca.notBefore,
        notAfter: issue.notAfter ?? ca.notAfter,
        subjectAltNames: sans,
        ...(issue.selfSigned ? {} : { issuer: ca.asIssuer }),
      });
    },
  };
}
