import { type ActivationContext, readAdapterManifest, type SendProtocol } from '@mailplug/core';
import packageJson from '../package.json';
import { probeSmtp } from './probe.js';
import { connectSmtp, type SmtpConnectionSettings } from './send-connection.js';

// package.json's `mailplug` manifest is the single source of id, label and default ports.
const contribution = readAdapterManifest(packageJson).protocol('smtp');

export interface SmtpProtocolOptions extends SmtpConnectionSettings {
  /** Register under another id. Default `smtp`. */
  readonly id?: string;
  /** The label hosts show. Default: the manifest's. */
  readonly label?: string;
}

/**
 * Creates the SMTP send protocol.
 *
 * @example
 * const smtpViaProxy = createSmtpProtocol({ proxy: 'http://proxy.corp.example:3128', noProxy: 'relay.corp.example' });
 * const connection = await smtpViaProxy.connect(
 *   { host: 'smtp.office365.com', port: 587, security: 'starttls', timeoutMs: 120_000 },
 *   session, // any CredentialSource
 *   { pool: { maxConnections: 3 } },
 * );
 * const result = await connection.send({ to: 'bob@example.com', subject: 'Hi', text: 'Hello' }, { signal });
 * await connection.close();
 */
export function createSmtpProtocol(options: SmtpProtocolOptions = {}): SendProtocol {
  const { id, label, ...settings } = options;
  return {
    specificationVersion: 'v1',
    id: id ?? contribution.id,
    label: label ?? contribution.label,
    direction: 'send',
    defaultPorts: contribution.defaultPorts,
    connect: (server, credentials, connectOptions) =>
      connectSmtp(server, credentials, connectOptions, settings),
    probe: (server, credentials, probeOptions) => probeSmtp(server, credentials, probeOptions, settings),
  };
}

/** The default instance, registered by `activate`. */
export const smtp: SendProtocol = createSmtpProtocol();

/** Called by the Mailplug registry on first use of the `smtp` protocol id. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerProtocol(smtp));
}
