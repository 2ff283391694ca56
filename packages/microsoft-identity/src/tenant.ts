/** Tenant and identity checks shared by the delegated and app-only providers. */
import type { ValidationIssue } from '@mailplug/core';
import { PERSONAL_ACCOUNT_TENANT_ID } from './clouds.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** Tenant values that do not name one directory. */
export const MULTI_TENANT_ALIASES = Object.freeze(['common', 'organizations', 'consumers']);

export type TenantKind = 'guid' | 'domain' | 'organizations' | 'common' | 'consumers' | 'invalid';

export function tenantKind(tenant: string): TenantKind {
  const t = tenant.trim().toLowerCase();
  if (t === 'organizations' || t === 'common' || t === 'consumers') return t;
  if (GUID.test(t)) return t === PERSONAL_ACCOUNT_TENANT_ID ? 'consumers' : 'guid';
  if (DOMAIN.test(t)) return 'domain';
  return 'invalid';
}

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/**
 * Checks a tenant setting. `allowMultiTenant` is true for delegated sign-in (where `organizations`
 * lets any work account sign in) and false for app-only (client credentials need one directory).
 */
export function validateTenant(
  tenant: unknown,
  options: { path: string; allowMultiTenant: boolean },
): ValidationIssue[] {
  if (typeof tenant !== 'string' || tenant === '') return [];
  const kind = tenantKind(tenant);
  if (kind === 'invalid') {
    return [
      {
        path: options.path,
        message: tenant.includes('@')
          ? 'The tenant looks like an email address.'
          : 'The tenant is neither a directory (tenant) ID nor a domain.',
        fix: "Enter the Directory (tenant) ID (a GUID from the app registration's Overview page) or the tenant's domain, e.g. contoso.onmicrosoft.com.",
      },
    ];
  }
  if (kind === 'consumers') {
    return [
      {
        path: options.path,
        message:
          "Personal Microsoft accounts (consumers) cannot send mail through Mailplug's Microsoft 365 providers.",
        fix: 'Enter the Directory (tenant) ID or domain of a work or school (Microsoft 365) tenant.',
      },
    ];
  }
  if (!options.allowMultiTenant && (kind === 'common' || kind === 'organizations')) {
    return [
      {
        path: options.path,
        message: `"${tenant}" is not a single tenant; app-only (client credentials) tokens are issued by one directory.`,
        fix: "Enter the Directory (tenant) ID (GUID) from the app registration's Overview page, or the tenant's domain.",
      },
    ];
  }
  return [];
}

/** Claims of an Entra ID token that identify the mailbox owner. */
export interface EntraIdentityClaims {
  readonly tid?: string;
  readonly oid?: string;
  readonly preferred_username?: string;
  readonly upn?: string;
  readonly email?: string;
  readonly name?: string;
}

/** The mailbox address the id token names (preferred_username, then upn, then email). */
export function mailboxFromClaims(
  claims: EntraIdentityClaims | undefined,
  fallbackUsername?: string,
): string | undefined {
  const candidate = claims?.preferred_username ?? claims?.upn ?? claims?.email ?? fallbackUsername;
  return candidate ? candidate.trim() : undefined;
}

export function isPersonalAccountTenant(tid: string | undefined): boolean {
  return tid?.toLowerCase() === PERSONAL_ACCOUNT_TENANT_ID;
}

export function sameMailbox(a: string | undefined, b: string | undefined): boolean {
  return !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();
}
