import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { ServerSettings } from '../spec/v1/protocol.js';

/**
 * Every protocol refuses to put a password or token on a plaintext connection unless the account
 * explicitly allows it (core's account validation permits that only for loopback OAuth servers).
 * Call it before asking the CredentialSource for anything.
 *
 * @example
 * assertCredentialTransport(server, { tls: 993, starttls: 143 });
 */
export function assertCredentialTransport(
  server: Pick<ServerSettings, 'host' | 'port' | 'security' | 'allowInsecureAuth'>,
  securePorts: { readonly tls: number; readonly starttls: number },
): void {
  if (server.security !== 'none' || server.allowInsecureAuth) return;
  throw mailplugError(
    CoreErrorCode.InsecureAuthRefused,
    'admin',
    `Refusing to send credentials to ${server.host}:${server.port} over an unencrypted connection (security "none").`,
    `Set security to "tls" (port ${securePorts.tls}) or "starttls" (port ${securePorts.starttls}); allowInsecureAuth is only for trusted loopback servers.`,
    { details: { host: server.host, port: server.port } },
  );
}
