/**
 * The mutable state both identity flavours share: signing key, clock, pending sign-ins,
 * authorization codes, refresh tokens, device codes and Google's opaque access tokens.
 */
import { randomBytes } from 'node:crypto';
import { createInjections, type Injections } from '../faults/injections.js';
import type { GoogleServiceAccount, IdentityConfig, MicrosoftApp, TestUser } from './config.js';
import { CONSUMERS_TENANT_ID } from './config.js';
import { createIdentityEvents, type IdentityEvents } from './events.js';
import { createSigningKey, type SigningKey } from './jwt.js';

export type Flavour = 'microsoft' | 'google';

/** A sign-in waiting for the consent page (or auto-approval). */
export interface PendingAuthorization {
  readonly id: string;
  readonly flavour: Flavour;
  readonly clientId: string;
  readonly clientName: string;
  readonly tenant: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly state?: string | undefined;
  readonly nonce?: string | undefined;
  readonly codeChallenge?: string | undefined;
  readonly loginHint?: string | undefined;
  readonly offline: boolean;
  /** Google only: scopes the user may untick. */
  readonly granular: boolean;
}

export interface CodeRecord {
  readonly flavour: Flavour;
  readonly clientId: string;
  readonly tenant: string;
  readonly redirectUri: string;
  readonly user: TestUser;
  readonly scopes: readonly string[];
  readonly nonce?: string | undefined;
  readonly codeChallenge?: string | undefined;
  readonly offline: boolean;
  readonly expiresAt: number;
  redeemed: boolean;
}

export interface RefreshRecord {
  readonly flavour: Flavour;
  readonly clientId: string;
  readonly tenant: string;
  readonly user: TestUser;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  /** Rotated (Microsoft), revoked (Google) or expired by a test. */
  invalid?: 'rotated' | 'revoked' | 'expired';
}

export interface DeviceCodeRecord {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly clientId: string;
  readonly tenant: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  status: 'pending' | 'approved' | 'denied' | 'redeemed';
  user?: TestUser;
}

/** Google access tokens are opaque (`ya29.`), so the emulator remembers what they stand for. */
export interface OpaqueTokenRecord {
  readonly clientId: string;
  readonly user?: TestUser | undefined;
  readonly serviceAccount?: GoogleServiceAccount | undefined;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  revoked?: boolean;
}

export interface IdentityState {
  readonly config: IdentityConfig;
  readonly key: SigningKey;
  readonly events: IdentityEvents;
  readonly injections: Injections;
  readonly pending: Map<string, PendingAuthorization>;
  readonly codes: Map<string, CodeRecord>;
  readonly refreshTokens: Map<string, RefreshRecord>;
  readonly deviceCodes: Map<string, DeviceCodeRecord>;
  readonly googleTokens: Map<string, OpaqueTokenRecord>;
  /** Seconds since the epoch, shifted by {@link IdentityState.advanceClock}. */
  now(): number;
  advanceClock(seconds: number): void;
  findUser(email: string | undefined): TestUser | undefined;
  findMicrosoftApp(clientId: string | undefined): MicrosoftApp | undefined;
  /** Resolves aliases; `undefined` when the tenant does not exist (AADSTS90002). */
  resolveTenant(tenant: string): string | undefined;
  /** The user the consent page would choose automatically, or undefined when a person must pick. */
  autoApprovedUser(loginHint?: string): TestUser | undefined;
  randomToken(prefix?: string, bytes?: number): string;
}

export const TENANT_ALIASES = ['common', 'organizations', 'consumers'] as const;

export function createIdentityState(
  config: IdentityConfig,
  injections: Injections = createInjections(),
): IdentityState {
  let offset = 0;
  const state: IdentityState = {
    config,
    key: createSigningKey(),
    events: createIdentityEvents(),
    injections,
    pending: new Map(),
    codes: new Map(),
    refreshTokens: new Map(),
    deviceCodes: new Map(),
    googleTokens: new Map(),
    now: () => Math.floor(Date.now() / 1000) + offset,
    advanceClock(seconds) {
      offset += seconds;
    },
    findUser(email) {
      if (!email) return undefined;
      const e = email.toLowerCase();
      return config.users.find((u) => u.email === e);
    },
    findMicrosoftApp(clientId) {
      return clientId ? config.microsoftApps.find((a) => a.clientId === clientId) : undefined;
    },
    resolveTenant(tenant) {
      const t = tenant.toLowerCase();
      if ((TENANT_ALIASES as readonly string[]).includes(t)) return t;
      if (config.tenants.has(t)) return t;
      return undefined;
    },
    autoApprovedUser(loginHint) {
      const mode = config.autoApprove;
      if (!mode) return undefined;
      if (mode === 'first-user') return state.findUser(loginHint) ?? config.users[0];
      return state.findUser(mode);
    },
    randomToken(prefix = '', bytes = 32) {
      return `${prefix}${randomBytes(bytes).toString('base64url')}`;
    },
  };
  return state;
}

/** The tenant id that goes into a user's token for a sign-in at `tenant` (an alias or GUID). */
export function tokenTenantFor(user: TestUser, tenant: string): string {
  if (tenant === 'consumers') return CONSUMERS_TENANT_ID;
  if (tenant === 'common' || tenant === 'organizations') return user.tenantId;
  return tenant;
}
