/**
 * X.509 v3 certificates built with the DER encoder in `der.ts` and signed with `node:crypto`:
 * synchronous, no X.509 library, no polyfills. Covers what tests and the emulator need — CAs,
 * server leaves with any DNS/IP subjectAltNames, self-signed leaves, arbitrary validity windows
 * (including already expired ones) and RSA keys for client-certificate authentication.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import {
  bitString,
  booleanTrue,
  explicit,
  flagBitString,
  integer,
  ipAddressBytes,
  nullValue,
  objectIdentifier,
  octetString,
  sequence,
  set,
  time,
  tlv,
  utf8String,
} from './der.js';

/** `ec` is P-256 (generated in about a millisecond); `rsa` is 2048-bit, for peers that insist on RSA. */
export type CertificateKeyType = 'ec' | 'rsa';

export interface CertificateKeys {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

/** What a certificate needs from its issuer to be signed by it (see `GeneratedCertificate.asIssuer`). */
export interface CertificateIssuer {
  /** The issuer's subject name, DER-encoded. */
  readonly name: Buffer;
  readonly privateKey: KeyObject;
  /** The issuer's subjectKeyIdentifier, copied into the authorityKeyIdentifier of what it signs. */
  readonly keyIdentifier: Buffer;
}

export interface CertificateOptions {
  /** Subject common name. */
  readonly commonName: string;
  /** Subject organization (O=), omitted when absent. */
  readonly organization?: string | undefined;
  /** Key pair to certify; default: a fresh one of `keyType`. */
  readonly keys?: CertificateKeys | undefined;
  /** Default `ec`. Ignored when `keys` is given. */
  readonly keyType?: CertificateKeyType | undefined;
  /** Who signs; default: the certificate's own key (self-signed). */
  readonly issuer?: CertificateIssuer | undefined;
  /** Default: five minutes ago (absorbs clock skew between processes). */
  readonly notBefore?: Date | undefined;
  /** Default: one day after `notBefore`. A date in the past yields an expired certificate. */
  readonly notAfter?: Date | undefined;
  /** DNS names and IP addresses (IPv6 with or without brackets); no extension when empty. */
  readonly subjectAltNames?: readonly string[] | undefined;
  /** A CA certificate (basicConstraints CA:TRUE, keyCertSign). Default false. */
  readonly certificateAuthority?: boolean | undefined;
  /** Add extendedKeyUsage serverAuth. Default: true for non-CA certificates. */
  readonly serverAuth?: boolean | undefined;
}

export interface GeneratedCertificate {
  readonly certPem: string;
  /** PKCS#8 PEM of the private key. */
  readonly keyPem: string;
  readonly keys: CertificateKeys;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Hands this certificate's name and key to `createCertificate({ issuer })` to sign others with it. */
  readonly asIssuer: CertificateIssuer;
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** keyUsage bits, numbered as in RFC 5280 from the most significant bit of the first byte. */
const KEY_USAGE = {
  digitalSignature: 0x80,
  keyEncipherment: 0x20,
  keyCertSign: 0x04,
  cRLSign: 0x02,
} as const;

const SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Generates a key pair for `createCertificate`.
 *
 * @example
 * const keys = generateCertificateKeys('rsa');
 */
export function generateCertificateKeys(type: CertificateKeyType = 'ec'): CertificateKeys {
  return type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** X.509 Name: optional O= then CN=, each in its own RDN. */
function distinguishedName(commonName: string, organization?: string): Buffer {
  const rdn = (oid: string, value: string) => set(sequence(objectIdentifier(oid), utf8String(value)));
  return sequence(
    ...(organization !== undefined ? [rdn(OID.organization, organization)] : []),
    rdn(OID.commonName, commonName),
  );
}

/** SHA-1 of the SubjectPublicKeyInfo, the customary subjectKeyIdentifier. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? sequence(objectIdentifier(oid), booleanTrue(), octetString(value))
    : sequence(objectIdentifier(oid), octetString(value));
}

/** The signature AlgorithmIdentifier follows the signing key: ECDSA or RSA PKCS#1 v1.5, both SHA-256. */
function signatureAlgorithm(signingKey: KeyObject): Buffer {
  if (signingKey.asymmetricKeyType === 'ec') return sequence(objectIdentifier(OID.ecdsaWithSha256));
  if (signingKey.asymmetricKeyType === 'rsa')
    return sequence(objectIdentifier(OID.sha256WithRsa), nullValue());
  throw new TypeError(`unsupported signing key type: ${signingKey.asymmetricKeyType}`);
}

/** GeneralNames for subjectAltName: iPAddress for IP literals, dNSName (lower-cased) otherwise. */
function generalNames(names: readonly string[]): Buffer {
  return sequence(
    ...names.map((name) => {
      const bare = name.replace(/^\[|\]$/g, '');
      return isIP(bare)
        ? tlv(0x87, ipAddressBytes(bare))
        : tlv(0x82, Buffer.from(name.toLowerCase(), 'ascii'));
    }),
  );
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * Builds and signs one X.509 v3 certificate, synchronously.
 *
 * @example
 * const ca = createCertificate({ commonName: 'Test CA', certificateAuthority: true });
 * const leaf = createCertificate({ commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], issuer: ca.asIssuer });
 * tls.createServer({ key: leaf.keyPem, cert: leaf.certPem }); // clients pass { ca: ca.certPem }
 */
export function createCertificate(options: CertificateOptions): GeneratedCertificate {
  const keys = options.keys ?? generateCertificateKeys(options.keyType);
  const notBefore = options.notBefore ?? new Date(Date.now() - SKEW_MS);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + DAY_MS);
  if (!(notAfter.getTime() > notBefore.getTime())) {
    throw new RangeError('createCertificate: notAfter must be later than notBefore.');
  }
  const isCa = options.certificateAuthority ?? false;
  const subject = distinguishedName(options.commonName, options.organization);
  const ownKeyId = keyIdentifier(keys.publicKey);
  const issuer: CertificateIssuer = options.issuer ?? {
    name: subject,
    privateKey: keys.privateKey,
    keyIdentifier: ownKeyId,
  };

  const usage = isCa
    ? KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign
    : keys.publicKey.asymmetricKeyType === 'rsa'
      ? KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment
      : KEY_USAGE.digitalSignature;
  const sans = options.subjectAltNames ?? [];
  const extensions = [
    extension(OID.basicConstraints, true, isCa ? sequence(booleanTrue()) : sequence()),
    extension(OID.keyUsage, true, flagBitString(usage)),
    ...((options.serverAuth ?? !isCa)
      ? [extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth)))]
      : []),
    ...(sans.length > 0 ? [extension(OID.subjectAltName, false, generalNames(sans))] : []),
    extension(OID.subjectKeyIdentifier, false, octetString(ownKeyId)),
    // A self-signed CA needs no authorityKeyIdentifier; everything else points at its signer.
    ...(isCa && !options.issuer
      ? []
      : [extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, issuer.keyIdentifier)))]),
  ];

  const algorithm = signatureAlgorithm(issuer.privateKey);
  // Positive 16-byte serial (top bit cleared so no padding byte is needed).
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(serial),
    algorithm,
    issuer.name,
    sequence(time(notBefore), time(notAfter)),
    subject,
    keys.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, issuer.privateKey);
  const certPem = toPem('CERTIFICATE', sequence(tbs, algorithm, bitString(signature)));
  return {
    certPem,
    keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    keys,
    notBefore,
    notAfter,
    asIssuer: { name: subject, privateKey: keys.privateKey, keyIdentifier: ownKeyId },
  };
}
