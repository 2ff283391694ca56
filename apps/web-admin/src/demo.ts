/**
 * `pnpm demo:web`: the app against the in-process emulator (Google and Microsoft identity
 * platforms plus SMTP/POP3/IMAP on 127.0.0.1). The emulator only supplies pre-filled form values
 * and test users; the app's code path is the one that talks to the real platforms.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdminUser } from './admin-config.js';
import type { FormPresets } from './app-state.js';
import { type ApiGateway, startApiGateway } from './demo-gateway.js';
import { startWebAdmin, type WebAdmin, type WebAdminOptions } from './server.js';

type EmulatorModule = typeof import('@mailplug/emulator');
export type Emulator = Awaited<ReturnType<EmulatorModule['startEmulator']>>;
type IdentityInput = NonNullable<Parameters<EmulatorModule['startEmulator']>[0]>['identity'];

export interface DemoOptions {
  readonly port?: number;
  /** Extra emulator identity settings (lifetimes, users...). */
  readonly identity?: IdentityInput;
  /** Host users created at start (the CLI demo adds alice and a denied bob). */
  readonly users?: readonly AdminUser[];
  readonly adminToken?: string;
  readonly checkTimeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export interface Demo {
  readonly app: WebAdmin;
  readonly emulator: Emulator;
  readonly dataDir: string;
  /** Test secrets an admin pastes into the forms (emulator values, not real ones). */
  readonly testSecrets: Readonly<Record<'google' | 'microsoftWeb' | 'microsoftDaemon', string>>;
  stop(): Promise<void>;
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const { startEmulator, DEFAULT_IDS } = await import('@mailplug/emulator');
  const callbackPaths = ['http://127.0.0.1/oauth/callback', 'http://localhost/oauth/callback'];
  const emulator = await startEmulator({
    identity: {
      // The web app's callback is registered on the emulator's clients like on real ones.
      microsoftApps: [
        {
          clientId: DEFAULT_IDS.webAppClientId,
          displayName: 'Mailplug web admin',
          secrets: [DEFAULT_IDS.webAppSecret],
          redirectUris: callbackPaths,
        },
        {
          clientId: DEFAULT_IDS.publicAppClientId,
          displayName: 'Mailplug web admin (device code)',
          public: true,
          redirectUris: callbackPaths,
        },
        {
          clientId: DEFAULT_IDS.daemonClientId,
          displayName: 'Mailplug daemon',
          secrets: [DEFAULT_IDS.daemonSecret],
          // Graph's Mail.Send too, so the Microsoft Graph fallback route works for app-only accounts.
          applicationPermissions: ['SMTP.SendAsApp', 'IMAP.AccessAsApp', 'POP.AccessAsApp', 'Mail.Send'],
        },
      ],
      googleClients: [
        {
          clientId: DEFAULT_IDS.googleClientId,
          clientSecret: DEFAULT_IDS.googleClientSecret,
          redirectUris: callbackPaths,
        },
      ],
      autoApprove: false,
      deviceCodeInterval: 1,
      ...options.identity,
    },
  });
  let gateway: ApiGateway;
  try {
    gateway = await startApiGateway(emulator);
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'mailplug-web-admin-demo-'));
  const ca = emulator.caCertPem.trimEnd();
  const google = `${emulator.urls.http}/google`;
  const m365 = emulator.settings['m365-delegated'].settings;
  const appOnly = emulator.settings['m365-app-only'].settings;
  const presets: FormPresets = {
    outgoingServer: {
      host: '127.0.0.1',
      port: emulator.ports.smtp ?? 587,
      security: 'starttls',
      caFile: emulator.caCertPath,
    },
    incomingServer: {
      host: '127.0.0.1',
      port: emulator.ports.pop3s ?? 995,
      security: 'tls',
      caFile: emulator.caCertPath,
    },
    // Graph and the Gmail API through the demo gateway (the emulator serves them under a prefix).
    fallbackServers: {
      graph: { host: '127.0.0.1', port: gateway.port, security: 'tls', caFile: gateway.caFile },
      'gmail-api': { host: '127.0.0.1', port: gateway.port, security: 'tls', caFile: gateway.caFile },
    },
    providerSettings: {
      'gmail-oauth': {
        clientId: DEFAULT_IDS.googleClientId,
        authUrl: `${google}/o/oauth2/v2/auth`,
        tokenUrl: `${google}/token`,
        revokeUrl: `${google}/revoke`,
        tokenInfoUrl: `${google}/tokeninfo`,
        userInfoUrl: `${google}/v1/userinfo`,
        certsUrl: `${google}/oauth2/v3/certs`,
      },
      'm365-delegated': {
        tenant: String(m365.tenant),
        clientId: DEFAULT_IDS.webAppClientId,
        protocols: ['smtp'],
        authorityHost: emulator.urls.https,
        ca,
      },
      'm365-app-only': {
        tenant: String(appOnly.tenant),
        clientId: DEFAULT_IDS.daemonClientId,
        authorityHost: emulator.urls.https,
        ca,
      },
    },
  };
  let app: WebAdmin;
  try {
    const webOptions: WebAdminOptions = {
      dataDir,
      presets,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.adminToken ? { adminToken: options.adminToken } : {}),
      ...(options.checkTimeoutMs ? { checkTimeoutMs: options.checkTimeoutMs } : {}),
      ...(options.env ? { env: options.env } : {}),
    };
    app = await startWebAdmin(webOptions);
    if (options.users?.length) {
      const users = options.users;
      await app.host.config.update((c) => ({ ...c, users: [...c.users, ...users] }));
    }
  } catch (error) {
    await gateway.close();
    await emulator.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    app,
    emulator,
    dataDir,
    testSecrets: {
      google: DEFAULT_IDS.googleClientSecret,
      microsoftWeb: DEFAULT_IDS.webAppSecret,
      microsoftDaemon: DEFAULT_IDS.daemonSecret,
    },
    async stop() {
      await app.close();
      await gateway.close();
      await emulator.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function demoBanner(demo: Demo): string {
  const { app, emulator } = demo;
  const users = emulator.users.map((u) => `${u.email} (password ${u.password})`).join(', ');
  return [
    'Mailplug web admin — demo with the emulator (everything on 127.0.0.1, data in a temporary folder)',
    '',
    `  Open:          ${app.url}/login`,
    `  Admin token:   ${app.adminToken}`,
    '',
    `  Redirect URI:  ${app.redirectUri} (registered on the emulator's OAuth clients)`,
    `  Test users:    ${users}`,
    `  Test secrets:  Google client secret ${demo.testSecrets.google} · Microsoft web app secret ${demo.testSecrets.microsoftWeb} · Microsoft daemon secret ${demo.testSecrets.microsoftDaemon}`,
    `  Received mail: ${emulator.urls.web}`,
    `  Note: the Microsoft sign-in page is served over https with the emulator's local CA (${emulator.caCertPath}); your browser warns about it once.`,
    '',
    'Press Ctrl+C to stop.',
  ].join('\n');
}
