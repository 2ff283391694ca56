import {
  type ActivationContext,
  CoreErrorCode,
  mailplugError,
  readAdapterManifest,
  type SendProtocol,
} from '@mailplug/core';
import packageJson from '../package.json';
import { connectGraph, type GraphConnectionSettings } from './graph-connection.js';
import { createMailboxSlots } from './mailbox-slots.js';
import { probeGraph } from './probe.js';

// package.json's `mailplug` manifest is the single source of id, label and default ports.
const contribution = readAdapterManifest(packageJson).protocol('graph');

/** Graph's documented limit of concurrent requests per app and mailbox. */
export const DEFAULT_MAX_CONCURRENT_REQUESTS_PER_MAILBOX = 4;

export interface GraphProtocolOptions extends GraphConnectionSettings {
  /** Register under another id. Default `graph`. */
  readonly id?: string;
  /** The label hosts show. Default: the manifest's. */
  readonly label?: string;
  /**
   * Requests in flight per mailbox across every connection of this instance; more wait their turn.
   * Default 4 (Graph's limit per app and mailbox; a fifth is answered 429).
   */
  readonly maxConcurrentRequestsPerMailbox?: number;
  /**
   * Keep a copy in the mailbox's Sent Items. Graph's MIME sendMail (the form that keeps the message
   * identical to the SMTP route) always saves one, so only `true` (the default) is accepted.
   */
  readonly saveToSentItems?: boolean;
}

/**
 * Creates the Microsoft Graph sendMail protocol.
 *
 * @example
 * const graphViaProxy = createGraphProtocol({ proxy: 'http://proxy.corp.example:3128' });
 * const connection = await graphViaProxy.connect(
 *   { host: 'graph.microsoft.com', port: 443, security: 'tls', timeoutMs: 120_000 },
 *   session, // any CredentialSource handing out Graph tokens for protocol 'graph'
 * );
 * const result = await connection.send({ to: 'bob@example.com', subject: 'Hi', text: 'Hello' }, { signal });
 * await connection.close();
 */
export function createGraphProtocol(options: GraphProtocolOptions = {}): SendProtocol {
  const { id, label, maxConcurrentRequestsPerMailbox, saveToSentItems, ...settings } = options;
  if (saveToSentItems === false) {
    throw mailplugError(
      CoreErrorCode.ConfigInvalid,
      'developer',
      'saveToSentItems: false is not available: Graph saves every message sent as MIME in Sent Items.',
      'Remove saveToSentItems (Mailplug sends MIME so the message is identical to the SMTP route; the JSON form that could skip Sent Items would rewrite headers and Message-ID).',
      { details: { option: 'saveToSentItems' } },
    );
  }
  const limit = maxConcurrentRequestsPerMailbox ?? DEFAULT_MAX_CONCURRENT_REQUESTS_PER_MAILBOX;
  if (!Number.isInteger(limit) || limit < 1) {
    throw mailplugError(
      CoreErrorCode.ConfigInvalid,
      'developer',
      `maxConcurrentRequestsPerMailbox must be a whole number of at least 1 (got ${String(limit)}).`,
      'Leave it unset for Graph’s limit of 4, or give a smaller whole number.',
    );
  }
  const context = { settings, slots: createMailboxSlots(limit) };
  return {
    specificationVersion: 'v1',
    id: id ?? contribution.id,
    label: label ?? contribution.label,
    direction: 'send',
    defaultPorts: contribution.defaultPorts,
    connect: (server, credentials, connectOptions = {}) =>
      connectGraph(server, credentials, connectOptions, context),
    probe: (server, credentials, probeOptions = {}) => probeGraph(server, credentials, probeOptions, context),
  };
}

/** The default instance, registered by `activate`. */
export const graph: SendProtocol = createGraphProtocol();

/** Called by the Mailplug registry on first use of the `graph` protocol id. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerProtocol(graph));
}
