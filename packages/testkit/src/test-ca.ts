/**
 * The async test-CA API (`createTestCertificateAuthority`, `sharedTestCertificateAuthority`) that
 * test servers and suites use, on top of the synchronous `node:crypto` CA in `./certificates`.
 */
import { type CertificateAuthority, createCertificateAuthority } from './certificates/index.js';

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
  /** Explicit validity window; overrides `expired`. */
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** A throw-away certificate authority generated in memory; nothing is written to disk. */
export interface TestCertificateAuthority {
  /** The CA certificate, PEM. Hand this to clients as `tls.ca`. */
  readonly caPem: string;
  issue(options?: IssueCertificateOptions): Promise<TestCertificate>;
}

const DAY = 24 * 60 * 60 * 1000;

function issueFrom(ca: CertificateAuthority, options: IssueCertificateOptions): TestCertificate {
  const hostnames = options.hostnames ?? ['localhost'];
  const ips = options.ips ?? ['127.0.0.1'];
  const now = Date.now();
  const { certPem, keyPem } = ca.issueCertificate({
    subjectAltNames: [...hostnames, ...ips],
    commonName: hostnames[0] ?? ips[0] ?? 'localhost',
    notBefore: options.notBefore ?? new Date(options.expired ? now - 30 * DAY : now - DAY),
    notAfter: options.notAfter ?? new Date(options.expired ? now - DAY : now + 90 * DAY),
    selfSigned: options.selfSigned ?? false,
  });
  return { cert: certPem, key: keyPem };
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
  const now = Date.now();
  const ca = createCertificateAuthority({
    commonName: name,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
  });
  return {
    caPem: ca.caCertPem,
    issue: async (options = {}) => issueFrom(ca, options),
  };
}

let shared: Promise<TestCertificateAuthority> | undefined;

/** One CA per process, so that many test servers do not each pay for key generation. */
export function sharedTestCertificateAuthority(): Promise<TestCertificateAuthority> {
  shared ??= createTestCertificateAuthority();
  return shared;
}
