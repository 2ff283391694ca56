/**
 * @mailplug/protocol-smtp — SMTP sending for Mailplug on nodemailer: STARTTLS / implicit TLS,
 * PLAIN / LOGIN / XOAUTH2, pooling with backpressure, reply classification and staged diagnostics.
 */
import type { ActivationContext, AdapterManifest, ProtocolContribution, SendProtocol } from '@mailplug/core';
import { mailplug as manifestJson } from '../package.json';
import { probeSmtp } from './probe.js';
import { connectSmtp, type SmtpConnectionLimits } from './send-connection.js';

export {
  classifySmtpError,
  type SmtpClassificationContext,
  SmtpErrorCode,
  type SmtpFailureSignal,
  smtpFailureSignal,
} from './classify.js';
export { probeSmtp } from './probe.js';
export type { SmtpConnectionLimits } from './send-connection.js';

// package.json's `mailplug` manifest is the single source of id, label and default ports.
const contribution = (manifestJson as unknown as AdapterManifest).protocols?.[0] as ProtocolContribution;

export interface SmtpProtocolOptions extends SmtpConnectionLimits {
  /** Register under another id. Default `smtp`. */
  readonly id?: string;
  readonly label?: string;
}

/**
 * Creates the SMTP send protocol.
 *
 * @example
 * const connection = await smtp.connect(
 *   { host: 'smtp.office365.com', port: 587, security: 'starttls' },
 *   authProviderSession, // any CredentialSource
 *   { pool: { maxConnections: 3 } },
 * );
 * const result = await connection.send({ to: 'bob@example.com', subject: 'Hi', text: 'Hello' });
 * await connection.close();
 */
export function createSmtpProtocol(options: SmtpProtocolOptions = {}): SendProtocol {
  return {
    specificationVersion: 'v1',
    id: options.id ?? contribution.id,
    label: options.label ?? contribution.label,
    direction: 'send',
    defaultPorts: contribution.defaultPorts,
    connect: (server, credentials, connectOptions) =>
      connectSmtp(server, credentials, connectOptions, options),
    probe: (server, credentials, probeOptions) => probeSmtp(server, credentials, probeOptions),
  };
}

/** The default instance, registered by `activate`. */
export const smtp: SendProtocol = createSmtpProtocol();

/** Called by the Mailplug registry on first use of the `smtp` protocol id. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerProtocol(smtp));
}
