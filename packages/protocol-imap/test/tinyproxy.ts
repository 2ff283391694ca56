// Test helper: a real tinyproxy (Debian package) on 127.0.0.1 with its own config and log in a temp
// dir, run in the foreground and stopped by pid. (protocol-smtp's tests carry the same helper; it
// belongs in @mailplug/testkit once that package takes process-backed servers.)
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tinyproxy {
  readonly url: string;
  /** The `host:port` of every CONNECT request logged so far. */
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

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

export async function startTinyproxy(): Promise<Tinyproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'mailplug-tinyproxy-'));
  const port = await freePort();
  const log = join(dir, 'tinyproxy.log');
  const configFile = join(dir, 'tinyproxy.conf');
  await writeFile(
    configFile,
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 30',
      `LogFile "${log}"`,
      'LogLevel Connect',
      'Allow 127.0.0.1',
      '',
    ].join('\n'),
  );
  const child = spawn('tinyproxy', ['-d', '-c', configFile], { stdio: 'ignore' });
  const failed = new Promise<boolean>((resolve) => child.once('error', () => resolve(false)));
  for (let attempt = 0; !(await Promise.race([accepts(port), failed])); attempt++) {
    if (attempt >= 200 || child.exitCode !== null) {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error('tinyproxy did not start (is the Debian package installed?)');
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url: `http://127.0.0.1:${port}`,
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
