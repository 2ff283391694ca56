import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';
import {
  type DovecotOAuth2Options,
  type DovecotPorts,
  dovecotPaths,
  renderDovecotConf,
  renderOAuth2Conf,
  renderPasswdFile,
} from './dovecot-config.js';

const run = promisify(execFile);

export const DOVECOT_BINARY = '/usr/sbin/dovecot';
export const DOVECOT_INSTALL_HINT = 'apt-get install dovecot-imapd dovecot-pop3d dovecot-submissiond';

export interface StartDovecotOptions {
  /** Mailbox (login name) -> password, served from a passwd-file. */
  readonly users: Readonly<Record<string, string>>;
  /** Server certificate and key (PEM). A self-signed `localhost`/`127.0.0.1` pair is made when omitted. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  /** Accept XOAUTH2 / OAUTHBEARER by RFC 7662 introspection at this endpoint. */
  readonly oauth2?: DovecotOAuth2Options;
  /** Defaults to {@link DOVECOT_BINARY}. */
  readonly binary?: string;
  /** How long to wait for every listener to accept connections (default 15 s). */
  readonly startTimeoutMs?: number;
}

/** A message Dovecot's submission service relayed to the harness's SMTP sink. */
export interface RelayedMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: Buffer;
}

export interface DovecotInstance {
  readonly host: '127.0.0.1';
  readonly ports: DovecotPorts;
  /** PEM the client must trust: the certificate itself when self-signed. */
  readonly ca: string;
  /** Temp directory holding config, passwd-file, Maildirs, state and the log. */
  readonly baseDir: string;
  readonly logPath: string;
  /** Messages accepted by submission (after AUTH) and relayed to the sink, in order. */
  readonly relayed: readonly RelayedMessage[];
  /** Drop a raw RFC 5322 message into `mailbox`'s Maildir `new/`; returns the file name. */
  deliver(mailbox: string, rawMessage: string | Uint8Array): Promise<string>;
  /** The Dovecot log so far (useful in assertion messages). */
  readLog(): Promise<string>;
  /** Kill Dovecot's process tree, close the sink and remove `baseDir`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a private Dovecot 2.3 (IMAP, POP3, submission) on free loopback ports for one test file.
 * Runs in the foreground as root; mail files belong to `nobody`.
 *
 * @example
 * const dovecot = await startDovecot({ users: { 'alice@example.test': 'pw' } });
 * await dovecot.deliver('alice@example.test', 'Subject: hi\r\n\r\nbody\r\n');
 * // connect to 127.0.0.1:dovecot.ports.pop3 (STLS) or .pop3s with tls.ca = dovecot.ca
 * await dovecot.stop();
 */
export async function startDovecot(options: StartDovecotOptions): Promise<DovecotInstance> {
  const binary = options.binary ?? DOVECOT_BINARY;
  if (!existsSync(binary)) {
    throw new Error(
      `\n\n*** Dovecot is not installed (${binary} is missing). ***\n*** Install it with: ${DOVECOT_INSTALL_HINT} ***\n*** (Debian/Ubuntu; the interop tests need the real server.) ***\n`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new Error('startDovecot must run as root: Dovecot drops privileges to its own users and `nobody`.');
  }
  const mail = mailOwner();
  const baseDir = await mkdtemp(join(tmpdir(), 'mailplug-dovecot-'));
  // Login processes chroot into base_dir and mail processes run as `nobody`: both must traverse it.
  await chmod(baseDir, 0o755);
  const paths = dovecotPaths(baseDir);
  const relayed: RelayedMessage[] = [];
  let sink: SMTPServer | undefined;
  let child: ChildProcess | undefined;
  const killOnExit = () => signalGroup(child, 'SIGKILL');
  try {
    await Promise.all([mkdir(paths.run), mkdir(paths.state), mkdir(join(baseDir, 'tls'), { mode: 0o700 })]);
    await mkdir(paths.mail);
    await chown(paths.mail, mail.uid, mail.gid);
    const tls = options.tls ?? (await selfSignedCertificate(baseDir));
    await writeFile(paths.cert, tls.certPem);
    await writeFile(paths.key, tls.keyPem, { mode: 0o600 });
    // Read by the auth process, which runs as Dovecot's internal user: test data, world-readable.
    await writeFile(paths.passwd, renderPasswdFile(options.users), { mode: 0o644 });
    if (options.oauth2) await writeFile(paths.oauth2, renderOAuth2Conf(options.oauth2), { mode: 0o644 });

    sink = startRelaySink(relayed);
    const relayPort = await listen(sink);
    const ports = await freePorts();
    await writeFile(
      paths.config,
      renderDovecotConf({
        baseDir,
        ports,
        mailUser: mail.user,
        mailGroup: mail.group,
        relayPort,
        ...(options.oauth2 ? { oauth2: options.oauth2 } : {}),
      }),
    );

    const output: Buffer[] = [];
    // Own process group, so that stop() can signal the master and every login/mail process at once.
    child = spawn(binary, ['-F', '-c', paths.config], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout?.on('data', (d: Buffer) => output.push(d));
    child.stderr?.on('data', (d: Buffer) => output.push(d));
    process.once('exit', killOnExit);
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    const ready = waitForPorts(Object.values(ports), options.startTimeoutMs ?? 15_000);
    const outcome = await Promise.race([
      ready.then(() => 'ready' as const),
      exited.then(() => 'exited' as const),
    ]);
    if (outcome === 'exited') {
      const log = await readFile(paths.log, 'utf8').catch(() => '');
      throw new Error(`Dovecot exited during start-up:\n${Buffer.concat(output).toString()}\n${log}`);
    }

    let stopped = false;
    const instance: DovecotInstance = {
      host: '127.0.0.1',
      ports,
      ca: tls.certPem,
      baseDir,
      logPath: paths.log,
      relayed,
      deliver: (mailbox, raw) => deliverToMaildir(paths.mail, mailbox, raw, mail),
      readLog: () => readFile(paths.log, 'utf8').catch(() => ''),
      async stop() {
        if (stopped) return;
        stopped = true;
        process.removeListener('exit', killOnExit);
        await stopProcess(child, exited);
        await closeSink(sink);
        await rm(baseDir, { recursive: true, force: true });
      },
    };
    return instance;
  } catch (error) {
    process.removeListener('exit', killOnExit);
    signalGroup(child, 'SIGKILL');
    await closeSink(sink);
    await rm(baseDir, { recursive: true, force: true });
    throw error;
  }
}

interface MailOwner {
  readonly user: string;
  readonly group: string;
  readonly uid: number;
  readonly gid: number;
}

/** Dovecot will not access mail as uid/gid 0; `nobody:nogroup` exists in every Debian image. */
function mailOwner(): MailOwner {
  return { user: 'nobody', group: 'nogroup', uid: 65534, gid: 65534 };
}

async function selfSignedCertificate(baseDir: string): Promise<{ certPem: string; keyPem: string }> {
  const dir = join(baseDir, 'tls');
  const keyPath = join(dir, 'generated-key.pem');
  const certPath = join(dir, 'generated-cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  return { certPem: await readFile(certPath, 'utf8'), keyPem: await readFile(keyPath, 'utf8') };
}

/** Bind five sockets to port 0 at once so that the ports are distinct, then release them. */
async function freePorts(): Promise<DovecotPorts> {
  const servers = await Promise.all(
    Array.from({ length: 5 }, async () => {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      return server;
    }),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  const [imap, imaps, pop3, pop3s, submission] = ports as [number, number, number, number, number];
  return { imap, imaps, pop3, pop3s, submission };
}

async function waitForPorts(ports: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      if (await canConnect(port)) break;
      if (Date.now() > deadline)
        throw new Error(`Dovecot did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function startRelaySink(relayed: RelayedMessage[]): SMTPServer {
  return new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        relayed.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        callback();
      });
    },
  });
}

function listen(server: SMTPServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as net.AddressInfo).port));
  });
}

function closeSink(sink: SMTPServer | undefined): Promise<void> {
  return new Promise((resolve) => (sink ? sink.close(() => resolve()) : resolve()));
}

function signalGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

async function stopProcess(child: ChildProcess | undefined, exited: Promise<unknown>): Promise<void> {
  if (!child) return;
  if (child.exitCode !== null || child.signalCode !== null) {
    signalGroup(child, 'SIGKILL');
    return;
  }
  signalGroup(child, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), 5_000);
  });
  if ((await Promise.race([exited, timedOut])) === 'timeout') {
    signalGroup(child, 'SIGKILL');
    await exited;
  }
  clearTimeout(timer);
  // Login and mail processes may outlive the master by a moment; make sure none keeps a listener.
  signalGroup(child, 'SIGKILL');
}

let deliveries = 0;

/** Maildir delivery: write into tmp/, then rename into new/ so Dovecot never sees a partial file. */
async function deliverToMaildir(
  mailRoot: string,
  mailbox: string,
  raw: string | Uint8Array,
  owner: MailOwner,
): Promise<string> {
  if (mailbox.includes('/') || mailbox.startsWith('.')) throw new Error(`Invalid mailbox name ${mailbox}`);
  const home = join(mailRoot, mailbox);
  for (const dir of [home, join(home, 'tmp'), join(home, 'new'), join(home, 'cur')]) {
    await mkdir(dir, { recursive: true });
    await chown(dir, owner.uid, owner.gid);
  }
  deliveries += 1;
  const name = `${Math.floor(Date.now() / 1000)}.M${deliveries}P${process.pid}R${randomBytes(4).toString('hex')}.mailplug`;
  const tmpPath = join(home, 'tmp', name);
  await writeFile(tmpPath, typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);
  await chown(tmpPath, owner.uid, owner.gid);
  await rename(tmpPath, join(home, 'new', name));
  return name;
}
