export interface Address {
  readonly address: string;
  readonly name?: string;
}

export type AddressInput = string | Address;

export interface Attachment {
  readonly filename: string;
  readonly content: string | Uint8Array;
  readonly contentType?: string;
}

export interface OutgoingMessage {
  readonly from?: AddressInput;
  readonly to: AddressInput | readonly AddressInput[];
  readonly cc?: AddressInput | readonly AddressInput[];
  readonly bcc?: AddressInput | readonly AddressInput[];
  readonly replyTo?: AddressInput;
  readonly subject: string;
  readonly text?: string;
  readonly html?: string;
  readonly attachments?: readonly Attachment[];
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The Message-ID to send with (`<unique@domain>`), kept the same on every attempt of one message
   * so a recipient who gets a duplicate sees the same id. Protocols generate one when absent.
   */
  readonly messageId?: string;
}

export interface RecipientRejection {
  readonly address: string;
  /** SMTP reply code, e.g. 550. */
  readonly code?: number;
  /** Enhanced status code, e.g. `5.1.1`. */
  readonly status?: string;
  readonly message: string;
}

export interface SendResult {
  readonly messageId: string;
  readonly accepted: readonly string[];
  readonly rejected: readonly RecipientRejection[];
  /** The server's final reply line. */
  readonly response?: string;
  /** The protocol id of the route that delivered (set by the mailer when the account has a fallback). */
  readonly route?: string;
}

/** A message on a receive server, identified stably (IMAP UID / POP3 UIDL). */
export interface MessageSummary {
  readonly id: string;
  readonly size: number;
}

export interface FetchOptions {
  /** Refuse messages larger than this many bytes (default: 25 MiB). */
  readonly maxBytes?: number;
}
