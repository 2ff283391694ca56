/**
 * Certificate generation for tests and local tooling: synchronous, `node:crypto` only.
 * The DER encoder stays internal.
 */
export {
  type CertificateAuthority,
  type CertificateAuthorityOptions,
  createCertificateAuthority,
  type IssueOptions,
} from './authority.js';
export {
  type CertificateIssuer,
  type CertificateKeys,
  type CertificateKeyType,
  type CertificateOptions,
  createCertificate,
  type GeneratedCertificate,
  generateCertificateKeys,
} from './x509.js';
