/**
 * What a send protocol over an HTTP API tells this package about itself: the credential protocol
 * id, its error codes, and the words its messages use for the API, so an admin reads "Sent Items"
 * for Graph and "the Sent folder" for Gmail. Data, read by the flows in this package.
 */
export interface HttpSendApi {
  /** The protocol id credentials are requested for (`graph`, `gmail-api`). */
  readonly protocol: string;
  /** The API at the start of a sentence: `Microsoft Graph`, `The Gmail API`. */
  readonly name: string;
  /** The API in "the … send", "a closed … connection": `Graph`, `Gmail API`. */
  readonly shortName: string;
  /** Who may hold a message whose answer never came: `Graph`, `Gmail`. */
  readonly receiver: string;
  /** Where the sender looks whether it went out: `Sent Items`, `the Sent folder`. */
  readonly sentFolder: string;
  /** Whose network path to check after a timeout: `Graph`, `Google`. */
  readonly networkPath: string;
  /** What the proxy must allow CONNECT to: `the Graph host`, `gmail.googleapis.com`. */
  readonly proxyTarget: string;
  /** The host and port an admin should see in the account: `gmail.googleapis.com, 443`. */
  readonly expectedServer: string;
  /** The fix when the account signs in with a password, which HTTP APIs do not take. */
  readonly passwordHint: string;
  readonly codes: HttpSendErrorCodes;
}

/** The protocol's own error codes for what every HTTP send API can meet. */
export interface HttpSendErrorCodes {
  readonly timeout: string;
  readonly tlsFailed: string;
  readonly proxyFailed: string;
  readonly connectionFailed: string;
  readonly connectionClosed: string;
  readonly credentialUnsupported: string;
  readonly recipientsRejected: string;
  /** A probe step that failed without a classified error. */
  readonly failed: string;
}
