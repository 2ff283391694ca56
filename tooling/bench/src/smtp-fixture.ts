import { type SmtpTestServer, startSmtpTestServer } from '@mailplug/testkit';
import type { OAuthSetup, SmtpTarget } from './smtp-job.js';
import { requestAccessToken, startTokenEndpoint, type TokenEndpoint } from './token-endpoint.js';

/** The shared loopback world of the send figures: a token endpoint and an XOAUTH2-only SMTP server. */
export interface SmtpBenchFixture {
  readonly endpoint: TokenEndpoint;
  readonly server: SmtpTestServer;
  readonly target: SmtpTarget;
  /** OAuth settings without an access token (each side must ask the endpoint). */
  readonly coldOAuth: OAuthSetup;
  /** OAuth settings carrying one access token fetched up front (both sides get the same token). */
  warmOAuth(): Promise<OAuthSetup>;
  close(): Promise<void>;
}

/**
 * Starts the testkit's SMTP server (STARTTLS, XOAUTH2 only) whose token validator accepts exactly
 * the access tokens the local token endpoint issued for the bench mailbox.
 */
export async function startSmtpBenchFixture(): Promise<SmtpBenchFixture> {
  const endpoint = await startTokenEndpoint();
  const server = await startSmtpTestServer({
    security: 'starttls',
    authMethods: ['XOAUTH2'],
    validateToken: (user, token) => user === endpoint.client.user && endpoint.isIssued(token),
  });
  const coldOAuth: OAuthSetup = {
    user: endpoint.client.user,
    tokenUrl: endpoint.url,
    clientId: endpoint.client.clientId,
    clientSecret: endpoint.client.clientSecret,
    refreshToken: endpoint.client.refreshToken,
  };
  return {
    endpoint,
    server,
    target: { host: server.host, port: server.port, ca: server.ca },
    coldOAuth,
    async warmOAuth() {
      const { accessToken } = await requestAccessToken(endpoint.url, endpoint.client);
      return { ...coldOAuth, accessToken };
    },
    async close() {
      await server.close();
      await endpoint.close();
    },
  };
}
