/**
 * Local certificate authority for one emulator run: `@mailplug/testkit`'s synchronous CA plus the
 * emulator's conventions (CA file on disk for `NODE_EXTRA_CA_CERTS`, loopback names always in the
 * certificate, one validity window of about a day).
 *
 * `createLocalCa(options): Promise<LocalCa>` — async only because it writes the CA certificate to
 * disk; `issueServerCert(hostnames): { keyPem, certPem }` is synchronous.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority } from '@mailplug/testkit';

export interface LocalCaOptions {
  /** Directory that receives `ca.pem` (created if missing). Defaults to a fresh temp directory. */
  dir?: string | undefined;
  /** Common name of the CA; shows up in TLS error messages. */
  commonName?: string | undefined;
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
  /**
   * Removes the temp directory `createLocalCa` made for `ca.pem`; a directory passed as `dir`
   * belongs to the caller and is left alone. Safe to call more than once.
   */
  dispose(): Promise<void>;
}

/** Back-dating absorbs clock skew between the emulator and its clients. */
const BACKDATE_MS = 5 * 60 * 1000;
const VALIDITY_MS = 26 * 60 * 60 * 1000;
const ALWAYS_INCLUDED = ['localhost', '127.0.0.1', '::1'];
const ORGANIZATION = 'Mailplug Emulator';

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
  const ca = createCertificateAuthority({
    commonName: options.commonName ?? `Mailplug Emulator Local CA ${new Date(now).toISOString()}`,
    organization: ORGANIZATION,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + VALIDITY_MS),
  });

  const tempDir = options.dir ? undefined : await mkdtemp(join(tmpdir(), 'mailplug-emulator-ca-'));
  const dir = options.dir ?? (tempDir as string);
  const caCertPath = join(dir, 'ca.pem');
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(caCertPath, ca.caCertPem, { mode: 0o644 });
  } catch (error) {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw error;
  }

  return {
    caCertPem: ca.caCertPem,
    caCertPath,
    issueServerCert(hostnames) {
      const requested = hostnames.map((name) => name.trim()).filter((name) => name.length > 0);
      const { keyPem, certPem } = ca.issueCertificate({
        commonName: requested[0] ?? 'localhost',
        subjectAltNames: [...new Set([...requested, ...ALWAYS_INCLUDED])],
      });
      return { keyPem, certPem };
    },
    async dispose() {
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
}
