/**
 * The certificate a test server presents: issued by one CA shared per process (key generation is
 * the slow part), or by the CA a test brings. Internal to the test servers.
 */
import { type CertificateAuthority, createCertificateAuthority } from './authority.js';

/** How a test server's certificate should look, e.g. to provoke a client's TLS errors. */
export interface TestServerCertificateOptions {
  /** DNS names for the subjectAltName (default `['localhost']`). */
  readonly hostnames?: readonly string[];
  /** IP addresses for the subjectAltName (default `['127.0.0.1']`). */
  readonly ips?: readonly string[];
  /** A certificate whose validity ended yesterday. */
  readonly expired?: boolean;
  /** Signed with its own key instead of the CA's (clients see "self-signed certificate"). */
  readonly selfSigned?: boolean;
}

const DAY = 24 * 60 * 60 * 1000;
let shared: CertificateAuthority | undefined;

function sharedAuthority(): CertificateAuthority {
  const now = Date.now();
  shared ??= createCertificateAuthority({
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
  });
  return shared;
}

export function issueTestServerCertificate(
  options: TestServerCertificateOptions = {},
  authority: CertificateAuthority = sharedAuthority(),
): { readonly caPem: string; readonly certPem: string; readonly keyPem: string } {
  const hostnames = options.hostnames ?? ['localhost'];
  const ips = options.ips ?? ['127.0.0.1'];
  const now = Date.now();
  const { certPem, keyPem } = authority.issueCertificate({
    subjectAltNames: [...hostnames, ...ips],
    commonName: hostnames[0] ?? ips[0] ?? 'localhost',
    notBefore: new Date(options.expired ? now - 30 * DAY : now - DAY),
    notAfter: new Date(options.expired ? now - DAY : now + 90 * DAY),
    selfSigned: options.selfSigned ?? false,
  });
  return { caPem: authority.caCertPem, certPem, keyPem };
}
