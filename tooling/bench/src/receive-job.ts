/** What the parent sends a receive-side child process, and what the child answers. */

export type ReceiveSide = 'mailplug-pop3' | 'node-pop3' | 'mailplug-imap' | 'imapflow-each' | 'imapflow-bulk';

export interface ReceiveChildRequest {
  readonly side: ReceiveSide;
  readonly host: string;
  /** Implicit-TLS port (pop3s / imaps): node-pop3 has no STLS, so every side uses implicit TLS. */
  readonly port: number;
  readonly ca: string;
  readonly user: string;
  readonly password: string;
  /** Messages in the mailbox; a pass that fetches a different number is reported as a problem. */
  readonly expected: number;
}

export interface ReceiveChildResult {
  readonly side: ReceiveSide;
  /** The timed pass (after one untimed warm-up pass): connect, log in, list, fetch all, log out. */
  readonly elapsedMs: number;
  /** CPU time (user + system) of the client process during the timed pass. */
  readonly cpuMicros: number;
  readonly fetched: number;
  readonly bytes: number;
}
