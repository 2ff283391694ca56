import type { CredentialSource, ProtocolId } from './credential.js';
import type { DiagnosticReport, ProbeOptions } from './diagnostics.js';
import type { Disposable } from './disposable.js';
import type { FetchOptions, MessageSummary, OutgoingMessage, SendResult } from './message.js';

/** `starttls` = upgrade required; `tls` = implicit TLS; `none` = plaintext. Port is independent. */
export type Security = 'starttls' | 'tls' | 'none';

export interface TlsOptions {
  /** Extra CA certificate(s), PEM, for private servers and the emulator. */
  readonly ca?: string | readonly string[];
  /** Server name for SNI and certificate checks when it differs from `host`. */
  readonly servername?: string;
  /** Certificate validation is on by default; turning it off is for diagnostics only. */
  readonly rejectUnauthorized?: boolean;
}

export interface ServerSettings {
  readonly host: string;
  readonly port: number;
  readonly security: Security;
  /** Connection, greeting and socket timeout in milliseconds (host admin guides use 120 s). */
  readonly timeoutMs?: number;
  readonly tls?: TlsOptions;
  /**
   * Permit credentials over `security: none`. Core only allows this for OAuth when the host is
   * loopback; protocols must still refuse to send a password or token in clear text otherwise.
   */
  readonly allowInsecureAuth?: boolean;
}

export interface SendPoolOptions {
  readonly maxConnections?: number;
  readonly maxMessagesPerConnection?: number;
  /** Messages per second across the pool. */
  readonly rateLimitPerSecond?: number;
}

export interface ConnectOptions {
  /** Client name sent in EHLO / ID. */
  readonly clientName?: string;
  readonly pool?: SendPoolOptions | false;
  readonly signal?: AbortSignal;
}

/** Per-send options a host passes through the mailer. */
export interface SendOptions {
  /**
   * Aborted when the caller gives up or the mailer's deadline passes. A protocol stops what it is
   * doing and rejects; it must not start DATA (or an HTTP send) after the signal fired.
   */
  readonly signal?: AbortSignal;
}

export interface SendConnection extends Disposable {
  readonly direction: 'send';
  send(message: OutgoingMessage, options?: SendOptions): Promise<SendResult>;
  close(): Promise<void>;
}

export interface ReceiveConnection extends Disposable {
  readonly direction: 'receive';
  /** Messages currently on the server with stable ids (IMAP UID / POP3 UIDL). */
  list(): Promise<readonly MessageSummary[]>;
  /** The raw RFC 5322 message. */
  fetch(id: string, options?: FetchOptions): Promise<Uint8Array>;
  /** Remove from the server (POP3: committed on clean close). */
  delete(id: string): Promise<void>;
  /** Mark as processed without deleting (IMAP `\Seen`); POP3 connections may not support it. */
  markProcessed?(id: string): Promise<void>;
  close(): Promise<void>;
}

export interface DeprecationNotice {
  readonly since: string;
  readonly message: string;
}

interface MailProtocolBase {
  readonly specificationVersion: 'v1';
  readonly id: ProtocolId;
  readonly label: string;
  readonly deprecated?: DeprecationNotice;
  readonly defaultPorts: Readonly<Record<Security, number>>;
  /** Staged "Test connection" diagnostics. Never throws for a server problem; reports it as a step. */
  probe(
    server: ServerSettings,
    credentials: CredentialSource,
    options?: ProbeOptions,
  ): Promise<DiagnosticReport>;
}

export interface SendProtocol extends MailProtocolBase {
  readonly direction: 'send';
  connect(
    server: ServerSettings,
    credentials: CredentialSource,
    options?: ConnectOptions,
  ): Promise<SendConnection>;
}

export interface ReceiveProtocol extends MailProtocolBase {
  readonly direction: 'receive';
  connect(
    server: ServerSettings,
    credentials: CredentialSource,
    options?: ConnectOptions,
  ): Promise<ReceiveConnection>;
}

export type MailProtocol = SendProtocol | ReceiveProtocol;
