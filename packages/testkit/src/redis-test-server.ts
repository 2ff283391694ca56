/** A throwaway redis-server for tests of stores and queues that share state across instances. */
import { type ChildProcess, spawn } from 'node:child_process';
import { freeLoopbackPort } from './free-port.js';

export interface RedisTestServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts Debian's `redis-server` on a free loopback port, without persistence, and resolves once it
 * accepts connections (or rejects within `startTimeoutMs`, naming how to install it).
 *
 * @example
 * const redis = await startRedisTestServer();
 * const store = createRedisTokenStore({ url: redis.url });
 * await redis.stop();
 */
export async function startRedisTestServer(
  options: { startTimeoutMs?: number } = {},
): Promise<RedisTestServer> {
  const port = await freeLoopbackPort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  try {
    await ready(child, options.startTimeoutMs ?? 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

function ready(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start within ${timeoutMs} ms: ${out.slice(-500)}`)),
      timeoutMs,
    );
    const done = (error?: Error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) done();
    });
    child.once('error', (err) =>
      done(
        new Error(`redis-server could not start (${err.message}). Install it: apt-get install redis-server`),
      ),
    );
    child.once('exit', (code) => done(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`)));
  });
}
