import { type ActivationContext, readAdapterManifest, type SendProtocol } from '@mailplug/core';
import packageJson from '../package.json';
import { connectGmailApi, type GmailConnectionSettings } from './gmail-connection.js';
import { probeGmailApi } from './probe.js';

// package.json's `mailplug` manifest is the single source of id, label and default ports.
const contribution = readAdapterManifest(packageJson).protocol('gmail-api');

export interface GmailApiProtocolOptions extends GmailConnectionSettings {
  /** Register under another id. Default `gmail-api`. */
  readonly id?: string;
  /** The label hosts show. Default: the manifest's. */
  readonly label?: string;
}

/**
 * Creates the Gmail API send protocol (`users.messages.send`).
 *
 * @example
 * const gmailApi = createGmailApiProtocol({ proxy: 'http://proxy.corp.example:3128' });
 * const connection = await gmailApi.connect(
 *   { host: 'gmail.googleapis.com', port: 443, security: 'tls', timeoutMs: 120_000 },
 *   session, // any CredentialSource handing out gmail.send tokens for protocol 'gmail-api'
 * );
 * const result = await connection.send({ to: 'bob@example.com', subject: 'Hi', text: 'Hello' }, { signal });
 * await connection.close();
 */
export function createGmailApiProtocol(options: GmailApiProtocolOptions = {}): SendProtocol {
  const { id, label, ...settings } = options;
  return {
    specificationVersion: 'v1',
    id: id ?? contribution.id,
    label: label ?? contribution.label,
    direction: 'send',
    defaultPorts: contribution.defaultPorts,
    connect: (server, credentials, connectOptions = {}) =>
      connectGmailApi(server, credentials, connectOptions, settings),
    probe: (server, credentials, probeOptions = {}) =>
      probeGmailApi(server, credentials, probeOptions, settings),
  };
}

/** The default instance, registered by `activate`. */
export const gmailApi: SendProtocol = createGmailApiProtocol();

/** Called by the Mailplug registry on first use of the `gmail-api` protocol id. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerProtocol(gmailApi));
}
