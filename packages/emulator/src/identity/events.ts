/**
 * A bounded in-memory log of what happened at the identity endpoints and the send APIs, read by tests, by the mail
 * servers (to explain a refused token) and by the web page. Entries never hold a token or secret.
 */
export type IdentityEventKind =
  | 'sign-in'
  | 'consent-denied'
  | 'grant'
  | 'grant-refused'
  | 'injected-error'
  | 'revoked'
  | 'introspection'
  | 'device-code-approved'
  /** A message accepted by Graph sendMail or the Gmail API. */
  | 'api-send'
  /** A send API refused a request (token, permission, switch, message). */
  | 'api-refused';

export interface IdentityEvent {
  readonly at: number;
  readonly kind: IdentityEventKind;
  /** `oauth` = the generic OAuth 2.0 / OIDC server. */
  readonly flavour: 'microsoft' | 'google' | 'oauth';
  /** e.g. `authorization_code`, `refresh_token`, `client_credentials`, `device_code`, `jwt-bearer`. */
  readonly grant?: string | undefined;
  readonly clientId?: string | undefined;
  readonly user?: string | undefined;
  readonly scopes?: readonly string[] | undefined;
  /** OAuth error (`invalid_grant`) plus AADSTS number when there is one. */
  readonly error?: string | undefined;
  readonly errorCode?: number | undefined;
  readonly detail?: string | undefined;
}

export interface IdentityEvents {
  /** Newest last. */
  list(
    filter?: Partial<Pick<IdentityEvent, 'kind' | 'flavour' | 'clientId' | 'user'>>,
  ): readonly IdentityEvent[];
  record(event: Omit<IdentityEvent, 'at'>): void;
  clear(): void;
  /** Called for every new event; returns an unsubscribe function. */
  subscribe(listener: (event: IdentityEvent) => void): () => void;
}

export function createIdentityEvents(limit = 500): IdentityEvents {
  const entries: IdentityEvent[] = [];
  const listeners = new Set<(event: IdentityEvent) => void>();
  return {
    list(filter = {}) {
      return entries.filter((e) =>
        Object.entries(filter).every(([k, v]) => v === undefined || e[k as keyof IdentityEvent] === v),
      );
    },
    record(event) {
      const full = { at: Date.now(), ...event };
      entries.push(full);
      if (entries.length > limit) entries.splice(0, entries.length - limit);
      for (const l of listeners) l(full);
    },
    clear() {
      entries.length = 0;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
