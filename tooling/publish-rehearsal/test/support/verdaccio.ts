import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface LocalRegistry {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** A publish token of the registry's only user. */
  readonly token: string;
  /** `.npmrc` lines that take `@mailplug/*` from this registry (and publish there). */
  readonly npmrc: string;
  stop(): Promise<void>;
}

interface ListeningApp {
  listen(port: number, host: string, callback: () => void): import('node:http').Server;
}

/**
 * Starts Verdaccio 5 in this process on a free loopback port, with its own config and storage in
 * `dir` and no uplinks: it serves only what is published to it, so nothing reaches the internet and
 * nothing published here goes anywhere else.
 */
export async function startLocalRegistry(dir: string): Promise<LocalRegistry> {
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: 1',
      'uplinks: {}',
      'packages:',
      "  '@mailplug/*':",
      '    access: $all',
      '    publish: $authenticated',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      'max_body_size: 100mb',
      'logs: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  );
  const { runServer } = createRequire(import.meta.url)('verdaccio') as {
    runServer(configPath: string): Promise<ListeningApp>;
  };
  const app = await runServer(config);
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const user = await fetch(`${url}-/user/org.couchdb.user:rehearsal`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'rehearsal', password: 'rehearsal-password' }),
    signal: AbortSignal.timeout(10_000),
  });
  const { token } = (await user.json()) as { token?: string };
  if (!user.ok || !token) throw new Error(`Verdaccio refused to create its user (HTTP ${user.status}).`);
  const hostPath = url.replace(/^http:/, '');
  return {
    url,
    token,
    npmrc: `@mailplug:registry=${url}\n${hostPath}:_authToken=${token}\n`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
