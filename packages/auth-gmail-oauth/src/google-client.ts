/**
 * google-auth-library clients for one `gmail-oauth` account: the OAuth2Client pointed at the
 * configured endpoints (extra CA, expected issuers, gaxios retries off).
 */
import { type AuthSessionInit, resolveSecret, type TokenTransportOptions } from '@mailplug/core';
import { OAuth2Client } from 'google-auth-library';
import { expectedIssuers, type GmailOAuthSettings } from './gmail-settings.js';
import { type GoogleEndpoints, resolveEndpoints } from './provider-data.js';
import { transporterOptionsFor, tuneTransporter } from './transport.js';

export interface GoogleClients {
  readonly endpoints: GoogleEndpoints;
  /** Issuers an ID token may name. */
  readonly issuers: readonly string[];
  /** A fresh client (the secret is resolved each time, so a rotated secret is picked up). */
  oauthClient(redirectUri?: string): Promise<OAuth2Client>;
}

export function createGoogleClients(
  settings: GmailOAuthSettings,
  secrets: AuthSessionInit['secrets'],
  transport: TokenTransportOptions = {},
): GoogleClients {
  const endpoints = resolveEndpoints(settings);
  const issuers = expectedIssuers(settings);
  const transporterOptions = transporterOptionsFor(settings.ca, transport);
  return {
    endpoints,
    issuers,
    async oauthClient(redirectUri) {
      const clientSecret = await resolveSecret(secrets, settings.clientSecret, 'the Google client secret');
      const client = new OAuth2Client({
        transporterOptions,
        clientId: settings.clientId,
        clientSecret,
        ...(redirectUri ? { redirectUri } : {}),
        issuers: [...issuers],
        endpoints: {
          oauth2AuthBaseUrl: endpoints.authUrl,
          oauth2TokenUrl: endpoints.tokenUrl,
          oauth2RevokeUrl: endpoints.revokeUrl,
          tokenInfoUrl: endpoints.tokenInfoUrl,
          oauth2FederatedSignonPemCertsUrl: endpoints.certsUrl,
        },
      });
      tuneTransporter(client);
      return client;
    },
  };
}
