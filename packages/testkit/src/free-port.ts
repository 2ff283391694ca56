/** Internal to testkit's process-backed test servers (redis-server, tinyproxy). */
import { createServer } from 'node:net';

/**
 * A loopback port nobody listens on right now, for a child process that must be told its port
 * (it cannot report an ephemeral one back).
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
