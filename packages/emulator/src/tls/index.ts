/**
 * Local certificate authority for one emulator run.
 *
 * `createLocalCa(options): Promise<LocalCa>` — async only because it writes the CA certificate to
 * disk; `issueServerCert(hostnames): { keyPem, certPem }` is synchronous (keys come from
 * `generateKeyPairSync`, certificates are DER-encoded and signed with `node:crypto` directly).
 */
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bitString,
  booleanTrue,
  explicit,
  flagBitString,
  integer,
  ipAddressBytes,
  objectIdentifier,
  octetString,
  sequence,
  set,
  time,
  tlv,
  utf8String,
} from './der.js';

export interface LocalCaOptions {
  /** Directory that receives `ca.pem` (created if missing). Defaults to a fresh temp directory. */
  dir?: string;
  /** Common name of the CA; shows up in TLS error messages. */
  commonName?: string;
}

export interface ServerCertificate {
  keyPem: string;
  certPem: string;
}

export interface LocalCa {
  /** PEM of the CA certificate — pass as `ca` to TLS clients. */
  caCertPem: string;
  /** File holding `caCertPem`, suitable for `NODE_EXTRA_CA_CERTS`. */
  caCertPath: string;
  /**
   * Issues a P-256 server certificate valid for the given DNS names / IP addresses plus
   * `localhost`, `127.0.0.1` and `::1`. Synchronous.
   */
  issueServerCert(hostnames: string[]): ServerCertificate;
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** Back-dating absorbs clock skew between the emulator and its clients. */
const BACKDATE_MS = 5 * 60 * 1000;
const VALIDITY_MS = 26 * 60 * 60 * 1000;
const ALWAYS_INCLUDED = ['localhost', '127.0.0.1', '::1'];

function distinguishedName(commonName: string): Buffer {
  return sequence(
    set(sequence(objectIdentifier(OID.organization), utf8String('Mailplug Emulator'))),
    set(sequence(objectIdentifier(OID.commonName), utf8String(commonName))),
  );
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? sequence(objectIdentifier(oid), booleanTrue(), octetString(value))
    : sequence(objectIdentifier(oid), octetString(value));
}

function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}

interface CertificateInput {
  subject: Buffer;
  issuer: Buffer;
  subjectPublicKey: KeyObject;
  signingKey: KeyObject;
  extensions: Buffer[];
  notBefore: Date;
  notAfter: Date;
}

function buildCertificatePem(input: CertificateInput): string {
  const signatureAlgorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  // Positive 16-byte serial (top bit cleared so no padding byte is needed).
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(serial),
    signatureAlgorithm,
    input.issuer,
    sequence(time(input.notBefore), time(input.notAfter)),
    input.subject,
    input.subjectPublicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...input.extensions)),
  );
  const signature = sign('sha256', tbs, input.signingKey);
  const der = sequence(tbs, signatureAlgorithm, bitString(signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function subjectAltNames(hostnames: string[]): Buffer {
  const names = [...new Set([...hostnames, ...ALWAYS_INCLUDED].map((name) => name.trim()))].filter(
    (name) => name.length > 0,
  );
  return sequence(
    ...names.map((name) => {
      const bare = name.replace(/^\[|\]$/g, '');
      return isIP(bare)
        ? tlv(0x87, ipAddressBytes(bare))
        : tlv(0x82, Buffer.from(name.toLowerCase(), 'ascii'));
    }),
  );
}

/**
 * Creates a fresh CA (P-256, ~1 day validity, back-dated 5 minutes) and writes its certificate
 * to `<dir>/ca.pem`.
 *
 * @example
 * const ca = await createLocalCa();
 * const { keyPem, certPem } = ca.issueServerCert(['mail.localtest.me']);
 * tls.createServer({ key: keyPem, cert: certPem });
 * // client: tls.connect({ host: '127.0.0.1', port, ca: ca.caCertPem, servername: 'mail.localtest.me' })
 */
export async function createLocalCa(options: LocalCaOptions = {}): Promise<LocalCa> {
  const now = Date.now();
  const notBefore = new Date(now - BACKDATE_MS);
  const notAfter = new Date(now + VALIDITY_MS);
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caName = distinguishedName(
    options.commonName ?? `Mailplug Emulator Local CA ${new Date(now).toISOString()}`,
  );
  const caKeyId = keyIdentifier(caKeys.publicKey);
  const caCertPem = buildCertificatePem({
    subject: caName,
    issuer: caName,
    subjectPublicKey: caKeys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension(OID.basicConstraints, true, sequence(booleanTrue())),
      extension(OID.keyUsage, true, flagBitString(0x06)), // keyCertSign | cRLSign
      extension(OID.subjectKeyIdentifier, false, octetString(caKeyId)),
    ],
  });

  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'mailplug-emulator-ca-')));
  await mkdir(dir, { recursive: true });
  const caCertPath = join(dir, 'ca.pem');
  await writeFile(caCertPath, caCertPem, { mode: 0o644 });
  // Keep the CA key only as a KeyObject in memory; it is never written anywhere.
  const caPrivateKey = createPrivateKey(caKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }));

  return {
    caCertPem,
    caCertPath,
    issueServerCert(hostnames) {
      const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const primary = hostnames.find((name) => name.trim().length > 0) ?? 'localhost';
      const certPem = buildCertificatePem({
        subject: distinguishedName(primary),
        issuer: caName,
        subjectPublicKey: keys.publicKey,
        signingKey: caPrivateKey,
        notBefore,
        notAfter,
        extensions: [
          extension(OID.basicConstraints, true, sequence()),
          extension(OID.keyUsage, true, flagBitString(0x80)), // digitalSignature
          extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
          extension(OID.subjectAltName, false, subjectAltNames(hostnames)),
          extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(keys.publicKey))),
          extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, caKeyId))),
        ],
      });
      return { keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem };
    },
  };
}
