/**
 * What the generic OAuth server's endpoints share: its token state, the emulator parts it borrows
 * (signing key, users, clock, events, fault injection) and the issuer of the current request.
 */
import type { Injections } from '../faults/injections.js';
import type { TestUser } from '../identity/config.js';
import type { IdentityEvent, IdentityEventKind, IdentityEvents } from '../identity/events.js';
import type { SigningKey } from '../identity/jwt.js';
import type { OAuthState } from './token-endpoint.js';

export interface GenericOAuthDeps {
  readonly key: SigningKey;
  readonly injections: Injections;
  readonly events: IdentityEvents;
  readonly users: () => readonly TestUser[];
  /** Same rule as the identity half: a user picked without a page, or undefined. */
  readonly autoApprovedUser: (loginHint?: string) => TestUser | undefined;
  readonly findUser: (email: string | undefined) => TestUser | undefined;
  readonly now: () => number;
}

export interface OAuthContext {
  readonly state: OAuthState;
  readonly deps: GenericOAuthDeps;
  /** `<origin>/oauth` of the request being served. */
  issuer(): string;
  record(kind: IdentityEventKind, fields: Omit<IdentityEvent, 'at' | 'kind' | 'flavour'>): void;
}

/** A token and whether it is usable now (not revoked, not a rotated refresh token, not expired). */
export function lookupToken(state: OAuthState, token: string) {
  const rec = state.tokens.get(token);
  const active = !!rec && !rec.revoked && !rec.used && rec.expiresAt > state.now();
  return { rec, active };
}
