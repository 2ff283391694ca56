/**
 * A throwaway HTTP proxy for tests of proxied traffic: Debian's `tinyproxy`, in the foreground with
 * its own configuration and log in a temp dir, on a free loopback port, stopped by its pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from './free-port.js';

export interface TinyproxyOptions {
  /** Ports CONNECT may reach; default any port. */
  readonly connectPorts?: readonly number[];
  /** Require proxy authentication (`BasicAuth user password`). */
  readonly basicAuth?: { readonly user: string; readonly password: string };
  /** How long to wait for the proxy to accept connections. Default 10 000 ms. */
  readonly startTimeoutMs?: number;
}

export interface TinyproxyTestServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The `host:port` of every CONNECT tinyproxy logged so far, in order. */
  connectRequests(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Starts Debian's `tinyproxy` on a free loopback port and resolves once it accepts connections (or
 * rejects, naming how to install it). `connectRequests()` reads its log: the proof a request went
 * through the proxy, and its absence the proof that `NO_PROXY` bypassed it.
 *
 * @example
 * const proxy = await startTinyproxyTestServer();
 * await fetchTokenThrough(proxy.url);
 * expect(await proxy.connectRequests()).toContain(`127.0.0.1:${port}`);
 * await proxy.stop();
 */
export async function startTinyproxyTestServer(options: TinyproxyOptions = {}): Promise<TinyproxyTestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'mailplug-tinyproxy-'));
  const port = await freeLoopbackPort();
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
  const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGTERM');
    }
    if (!spawnError) await exited;
    await rm(dir, { recursive: true, force: true });
  };
  // Ready when it accepts connections: polled, bounded by startTimeoutMs.
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  while (!(await accepts(port))) {
    if (spawnError || child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(
        `tinyproxy did not start (${spawnError?.message ?? (stderr.slice(0, 300) || 'no output')}). Install it: apt-get install tinyproxy`,
      );
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
    stop,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
