/**
 * Who and what the emulated identity platforms know: test users, Microsoft app registrations,
 * Google OAuth clients and service accounts. Everything has a default so that `startEmulator()`
 * with no options gives a working tenant, a web app, a public app, a daemon and a Google client.
 */
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { stableGuid } from './jwt.js';

/** The tenant id Microsoft uses for personal (consumer) accounts. */
export const CONSUMERS_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
/** The emulator's default work/school tenant. */
export const DEFAULT_TENANT_ID = '0d3a1b5e-6f00-4e11-9a7c-5e0a11ce0001';

export interface TestUserInput {
  readonly email: string;
  readonly displayName?: string;
  /** For basic (password) mail login and for the ROPC-style checks of the mail servers. */
  readonly password?: string;
  /** Microsoft tenant of the user; defaults to the emulator tenant (consumers for personal accounts). */
  readonly tenantId?: string;
}

export interface TestUser {
  readonly email: string;
  readonly displayName: string;
  readonly password: string;
  readonly tenantId: string;
  /** Object id (Microsoft `oid`) and Google `sub`; stable for a given address. */
  readonly id: string;
}

export interface AppSecretInput {
  readonly value: string;
  /** ISO date or date-time; a secret past it answers AADSTS7000222. */
  readonly expiresAt?: string;
}

export interface AppCertificateInput {
  /** The certificate (PEM) as uploaded to the app registration. */
  readonly certPem?: string;
  /** Or a bare public key (PEM); then the thumbprint is not checked. */
  readonly publicKeyPem?: string;
}

export interface MicrosoftAppInput {
  readonly clientId: string;
  readonly displayName?: string;
  readonly tenantId?: string;
  /** Public clients (desktop, device code) have no secret and may use any loopback port. */
  readonly public?: boolean;
  readonly secrets?: readonly (AppSecretInput | string)[];
  readonly certificates?: readonly AppCertificateInput[];
  readonly redirectUris?: readonly string[];
  /** Delegated permissions consented for the app (short names like `SMTP.Send`); default: all mail scopes. */
  readonly delegatedPermissions?: readonly string[];
  /** Application permissions with admin consent, e.g. `SMTP.SendAsApp`. */
  readonly applicationPermissions?: readonly string[];
}

export interface MicrosoftApp {
  readonly clientId: string;
  readonly displayName: string;
  readonly tenantId: string;
  readonly public: boolean;
  readonly secrets: readonly { readonly value: string; readonly expiresAt?: number | undefined }[];
  readonly certificates: readonly { readonly publicKeyPem: string; readonly thumbprintSha256?: string }[];
  readonly redirectUris: readonly string[];
  readonly delegatedPermissions: readonly string[];
  readonly applicationPermissions: readonly string[];
}

export interface GoogleClientInput {
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly redirectUris?: readonly string[];
}

export interface GoogleServiceAccountInput {
  readonly clientEmail: string;
  readonly clientId?: string;
  /** PEM; generated when both keys are omitted. */
  readonly privateKeyPem?: string;
  readonly publicKeyPem?: string;
  readonly privateKeyId?: string;
  /** Scopes granted domain-wide delegation in the Workspace admin console. */
  readonly domainWideDelegation?: readonly string[];
}

export interface GoogleServiceAccount {
  readonly clientEmail: string;
  readonly clientId: string;
  readonly privateKeyPem?: string | undefined;
  readonly publicKeyPem: string;
  readonly privateKeyId: string;
  readonly domainWideDelegation: readonly string[];
}

export interface IdentityConfigInput {
  readonly users?: readonly TestUserInput[] | undefined;
  readonly microsoftApps?: readonly MicrosoftAppInput[] | undefined;
  readonly googleClients?: readonly GoogleClientInput[] | undefined;
  readonly googleServiceAccounts?: readonly GoogleServiceAccountInput[] | undefined;
  /** Extra tenant GUIDs that exist (the default tenant and the consumers tenant always do). */
  readonly tenants?: readonly string[] | undefined;
  /** Clients allowed to call `/introspect` (e.g. Dovecot). Any registered app may call it too. */
  readonly introspectionClients?:
    | readonly { readonly clientId: string; readonly clientSecret: string }[]
    | undefined;
  readonly lifetimes?: Partial<Lifetimes> | undefined;
  /** `'first-user'`, an email address, or false (show the sign-in page). */
  readonly autoApprove?: 'first-user' | string | false | undefined;
  /** Google rotates refresh tokens only when this is true (Microsoft always rotates). */
  readonly googleRotatesRefreshTokens?: boolean | undefined;
  /** Seconds between device-code polls that the client is told to wait. */
  readonly deviceCodeInterval?: number | undefined;
}

/** Token and code lifetimes in seconds. */
export interface Lifetimes {
  accessToken: number;
  refreshToken: number;
  authorizationCode: number;
  deviceCode: number;
}

export interface IdentityConfig {
  readonly users: TestUser[];
  readonly microsoftApps: MicrosoftApp[];
  readonly googleClients: Required<GoogleClientInput>[];
  readonly googleServiceAccounts: GoogleServiceAccount[];
  readonly tenants: Set<string>;
  readonly introspectionClients: { clientId: string; clientSecret: string }[];
  readonly lifetimes: Lifetimes;
  autoApprove: 'first-user' | string | false;
  googleRotatesRefreshTokens: boolean;
  deviceCodeInterval: number;
}

export const DEFAULT_IDS = Object.freeze({
  webAppClientId: '5a1e7c00-0000-4000-8000-00000000a001',
  webAppSecret: 'emulator-web-app-secret',
  publicAppClientId: '5a1e7c00-0000-4000-8000-00000000a002',
  daemonClientId: '5a1e7c00-0000-4000-8000-00000000a003',
  daemonSecret: 'emulator-daemon-secret',
  googleClientId: '000000000001-emulator.apps.googleusercontent.com',
  googleClientSecret: 'GOCSPX-emulator-secret',
  googleServiceAccount: 'mailer@emulator-project.iam.gserviceaccount.com',
  introspectionClientId: 'dovecot',
  introspectionSecret: 'dovecot-introspection-secret',
});

/** Exchange Online (SMTP/IMAP/POP) plus Microsoft Graph (sendMail) delegated permissions. */
const MAIL_DELEGATED = [
  'SMTP.Send',
  'IMAP.AccessAsUser.All',
  'POP.AccessAsUser.All',
  'User.Read',
  'Mail.Send',
  'Mail.Send.Shared',
];
/** Exchange Online application permissions plus Graph's `Mail.Send` application permission. */
const MAIL_APP = ['SMTP.SendAsApp', 'IMAP.AccessAsApp', 'POP.AccessAsApp', 'Mail.Send'];
const LOOPBACK_REDIRECTS = ['http://localhost/callback', 'http://127.0.0.1/callback'];

function defaultInput(): {
  readonly users: readonly TestUserInput[];
  readonly microsoftApps: readonly MicrosoftAppInput[];
  readonly googleClients: readonly GoogleClientInput[];
  readonly googleServiceAccounts: readonly GoogleServiceAccountInput[];
} {
  return {
    users: [
      { email: 'alice@contoso.test', displayName: 'Alice Example', password: 'alice-password' },
      { email: 'bob@contoso.test', displayName: 'Bob Example', password: 'bob-password' },
    ],
    microsoftApps: [
      {
        clientId: DEFAULT_IDS.webAppClientId,
        displayName: 'Mailplug web app',
        secrets: [DEFAULT_IDS.webAppSecret],
        redirectUris: LOOPBACK_REDIRECTS,
      },
      {
        clientId: DEFAULT_IDS.publicAppClientId,
        displayName: 'Mailplug desktop',
        public: true,
        redirectUris: LOOPBACK_REDIRECTS,
      },
      {
        clientId: DEFAULT_IDS.daemonClientId,
        displayName: 'Mailplug daemon',
        secrets: [DEFAULT_IDS.daemonSecret],
        applicationPermissions: MAIL_APP,
      },
    ],
    googleClients: [
      {
        clientId: DEFAULT_IDS.googleClientId,
        clientSecret: DEFAULT_IDS.googleClientSecret,
        redirectUris: LOOPBACK_REDIRECTS,
      },
    ],
    googleServiceAccounts: [
      { clientEmail: DEFAULT_IDS.googleServiceAccount, domainWideDelegation: ['https://mail.google.com/'] },
    ],
  };
}

function parseDate(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new TypeError(`Secret expiry "${value}" is not a date; use YYYY-MM-DD.`);
  return Math.floor(t / 1000);
}

export function normalizeUser(u: TestUserInput): TestUser {
  const email = u.email.toLowerCase();
  return {
    email,
    displayName: u.displayName ?? email.split('@')[0] ?? email,
    password: u.password ?? `${email.split('@')[0]}-password`,
    tenantId: u.tenantId ?? DEFAULT_TENANT_ID,
    id: stableGuid(`user:${email}`),
  };
}

export function normalizeMicrosoftApp(a: MicrosoftAppInput): MicrosoftApp {
  return {
    clientId: a.clientId,
    displayName: a.displayName ?? a.clientId,
    tenantId: a.tenantId ?? DEFAULT_TENANT_ID,
    public: a.public ?? false,
    secrets: (a.secrets ?? []).map((s) =>
      typeof s === 'string' ? { value: s } : { value: s.value, expiresAt: parseDate(s.expiresAt) },
    ),
    certificates: (a.certificates ?? []).map((c) => {
      if (c.certPem) {
        const cert = new X509Certificate(c.certPem);
        return {
          publicKeyPem: cert.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          thumbprintSha256: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
        };
      }
      if (!c.publicKeyPem)
        throw new TypeError(`App ${a.clientId}: a certificate needs certPem or publicKeyPem.`);
      return { publicKeyPem: c.publicKeyPem };
    }),
    redirectUris: a.redirectUris ?? [],
    delegatedPermissions: a.delegatedPermissions ?? MAIL_DELEGATED,
    applicationPermissions: a.applicationPermissions ?? [],
  };
}

export function normalizeServiceAccount(s: GoogleServiceAccountInput): GoogleServiceAccount {
  let { privateKeyPem, publicKeyPem } = s;
  if (!publicKeyPem) {
    if (privateKeyPem)
      throw new TypeError(`Service account ${s.clientEmail}: give publicKeyPem with privateKeyPem.`);
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }
  return {
    clientEmail: s.clientEmail,
    clientId:
      s.clientId ?? stableGuid(`sa:${s.clientEmail}`).replaceAll('-', '').replace(/\D/g, '').slice(0, 21),
    privateKeyPem,
    publicKeyPem,
    privateKeyId: s.privateKeyId ?? stableGuid(`kid:${s.clientEmail}:${publicKeyPem}`).replaceAll('-', ''),
    domainWideDelegation: s.domainWideDelegation ?? [],
  };
}

/** Fills defaults: lists that are given replace the default lists, others keep them. */
export function resolveIdentityConfig(input: IdentityConfigInput = {}): IdentityConfig {
  const d = defaultInput();
  const users = (input.users ?? d.users).map(normalizeUser);
  const microsoftApps = (input.microsoftApps ?? d.microsoftApps).map(normalizeMicrosoftApp);
  const tenants = new Set([DEFAULT_TENANT_ID, CONSUMERS_TENANT_ID, ...(input.tenants ?? [])]);
  for (const u of users) tenants.add(u.tenantId);
  for (const a of microsoftApps) tenants.add(a.tenantId);
  return {
    users,
    microsoftApps,
    googleClients: (input.googleClients ?? d.googleClients).map((c) => ({
      clientId: c.clientId,
      clientSecret: c.clientSecret ?? '',
      redirectUris: c.redirectUris ?? LOOPBACK_REDIRECTS,
    })),
    googleServiceAccounts: (input.googleServiceAccounts ?? d.googleServiceAccounts).map(
      normalizeServiceAccount,
    ),
    tenants,
    introspectionClients: [
      { clientId: DEFAULT_IDS.introspectionClientId, clientSecret: DEFAULT_IDS.introspectionSecret },
      ...(input.introspectionClients ?? []),
    ],
    lifetimes: {
      accessToken: 3600,
      refreshToken: 90 * 86400,
      authorizationCode: 600,
      deviceCode: 900,
      ...input.lifetimes,
    },
    autoApprove: input.autoApprove ?? false,
    googleRotatesRefreshTokens: input.googleRotatesRefreshTokens ?? false,
    deviceCodeInterval: input.deviceCodeInterval ?? 5,
  };
}

/** Reads a JSON configuration file with the shape of {@link IdentityConfigInput}. */
export async function loadIdentityConfigFile(path: string): Promise<IdentityConfigInput> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as IdentityConfigInput;
  } catch (cause) {
    throw new SyntaxError(`Emulator config ${path} is not valid JSON: ${(cause as Error).message}`);
  }
}
