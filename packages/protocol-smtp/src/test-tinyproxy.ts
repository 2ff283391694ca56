// Test helper (not part of the published entry): a real tinyproxy (Debian package `tinyproxy`) on
// 127.0.0.1, started in the foreground with its own config and log in a temp dir, stopped by pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TinyproxyOptions {
  /** Ports CONNECT may reach; default: any port. */
  readonly connectPorts?: readonly number[];
  /** Require proxy authentication (`BasicAuth user password`). */
  readonly basicAuth?: { readonly user: string; readonly password: string };
}

export interface Tinyproxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The `host:port` of every CONNECT request tinyproxy logged so far, in order. */
  connectRequests(): Promise<string[]>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startTinyproxy(options: TinyproxyOptions = {}): Promise<Tinyproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'mailplug-tinyproxy-'));
  const port = await freePort();
  const log = join(dir, 'tinyproxy.log');
  const config = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    `LogFile "${log}"`,
    'LogLevel Connect',
    'MaxClients 50',
    'Allow 127.0.0.1',
    ...(options.connectPorts ?? []).map((p) => `ConnectPort ${p}`),
    ...(options.basicAuth ? [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`] : []),
  ].join('\n');
  const configFile = join(dir, 'tinyproxy.conf');
  await writeFile(configFile, `${config}\n`);
  const child = spawn('tinyproxy', ['-d', '-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  // Ready when it accepts connections; a bounded number of tries, not a timer.
  for (let attempt = 0; ; attempt++) {
    const ready = await Promise.race([accepts(port), spawnError.then(() => false)]);
    if (ready) break;
    if (attempt >= 200 || child.exitCode !== null || child.signalCode !== null) {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`tinyproxy did not start (is the Debian package installed?): ${stderr.slice(0, 500)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async connectRequests() {
      const text = await readFile(log, 'utf8').catch(() => '');
      return [...text.matchAll(/: CONNECT (\S+) HTTP\//g)].map((m) => m[1] ?? '');
    },
    async stop() {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
      await exited(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
