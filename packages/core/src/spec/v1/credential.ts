/** The protocol a credential is requested for. First-party ids are listed; others are allowed. */
export type ProtocolId = 'smtp' | 'imap' | 'pop3' | (string & {});

/** A username + password, for servers that still accept basic authentication. */
export interface PasswordCredential {
  readonly kind: 'password';
  readonly user: string;
  readonly password: string;
}

/** An OAuth 2.0 bearer token for SASL XOAUTH2 / OAUTHBEARER. */
export interface OAuth2Credential {
  readonly kind: 'oauth2';
  /** The mailbox to authenticate as (`user=` in XOAUTH2); a shared mailbox address where applicable. */
  readonly user: string;
  readonly accessToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly scopes: readonly string[];
}

/** What protocols receive from an auth provider. Protocols never see anything else. */
export type MailCredential = PasswordCredential | OAuth2Credential;

export interface CredentialRequest {
  readonly protocol: ProtocolId;
  /** Skip any cache and obtain a new token (used once after a server rejects a token). */
  readonly forceRefresh?: boolean;
  readonly signal?: AbortSignal;
}

/** Anything that can hand out credentials silently: an {@link AuthSession} session is one. */
export interface CredentialSource {
  getCredential(request: CredentialRequest): Promise<MailCredential>;
}
