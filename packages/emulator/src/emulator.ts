/**
 * Composition: one local CA; the identity handler, the HTTP send APIs (Graph, Gmail), the generic
 * OAuth server and the web page on HTTPS and loopback HTTP; the mail servers (SMTP/IMAP/POP3)
 * validating tokens through the identity half. One fault-injection table and one mail store are
 * shared by all of them.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSendApis, type GmailApiControls, type GraphApiControls } from './api/index.js';
import { buildEmulatorUrls, type EmulatorUrls, endpointSummary } from './emulator-urls.js';
import {
  createInjections,
  type GoogleInjection,
  type InjectionHandle,
  type MicrosoftInjection,
  type OAuthInjection,
} from './faults/injections.js';
import { buildAccountSettings, type EmulatorAccountSettings } from './identity/account-settings.js';
import { createMsalNetworkClient, type MsalNetworkModule } from './identity/clients.js';
import {
  type IdentityConfigInput,
  loadIdentityConfigFile,
  type MicrosoftApp,
  type TestUser,
} from './identity/config.js';
import type { IdentityEvents } from './identity/events.js';
import { createIdentityProvider, type IdentityProvider } from './identity/provider.js';
import {
  createMailStore,
  type MailServers,
  type MailServersOptions,
  type MailStore,
  startMailServers,
} from './mail/index.js';
import type { GenericOAuthOptions } from './oauth/config.js';
import { createGenericOAuthServer, type GenericOAuthServer } from './oauth/server.js';
import { createLocalCa } from './tls/index.js';
import { handleWeb } from './web/page.js';

export interface EmulatorOptions {
  /** Users, apps, clients, service accounts, lifetimes (merged over `configFile`). */
  readonly identity?: IdentityConfigInput | undefined;
  /** JSON file with the shape of `identity`. */
  readonly configFile?: string | undefined;
  /** HTTPS port (default 0 = ephemeral). */
  readonly port?: number | undefined;
  /** Plain HTTP port on loopback (default 0). */
  readonly httpPort?: number | undefined;
  /**
   * Where the CA certificate is written (default: a fresh temp directory, removed by `stop()`;
   * a directory given here is left in place).
   */
  readonly caDir?: string | undefined;
  /**
   * Start SMTP/IMAP/POP3 servers (default true). `appMailboxPermissions` and `canActAs` also
   * govern Graph sendMail and the Gmail API, which run with `mail: false` too.
   */
  readonly mail?:
    | boolean
    | Pick<MailServersOptions, 'ports' | 'appMailboxPermissions' | 'canActAs' | 'tokenExpirySkewMs'>
    | undefined;
  /** The generic OAuth 2.0 / OIDC server for third-party providers: clients, rotation, quirks, lifetimes. */
  readonly oauth?: GenericOAuthOptions | undefined;
}

/** `emulator.inject`: fault rules per flavour; each returns a handle with `hits` and `remove()`. */
export interface EmulatorInjections {
  /** Microsoft token/authorize/devicecode/introspect endpoints and Graph `sendMail`. */
  microsoft(spec: MicrosoftInjection): InjectionHandle;
  /** Google token (user and service-account grants), revoke, tokeninfo, userinfo and Gmail `messages.send`. */
  google(spec: GoogleInjection): InjectionHandle;
  /** The generic OAuth server's authorize, token, revoke, introspect and userinfo endpoints. */
  oauth(spec: OAuthInjection): InjectionHandle;
  /** Removes every rule of every flavour. */
  clear(): void;
}

export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string (queries may carry tokens). */
  readonly path: string;
  readonly secure: boolean;
  readonly remoteAddress: string;
  readonly at: number;
}

export interface Emulator {
  readonly urls: EmulatorUrls;
  readonly caCertPath: string;
  readonly caCertPem: string;
  readonly ports: {
    https: number;
    http: number;
    smtp?: number;
    smtps?: number;
    imap?: number;
    imaps?: number;
    pop3?: number;
    pop3s?: number;
  };
  readonly settings: Record<
    'gmail-oauth' | 'm365-delegated' | 'm365-app-only' | 'basic',
    EmulatorAccountSettings
  >;
  readonly users: readonly TestUser[];
  readonly apps: readonly MicrosoftApp[];
  readonly inject: EmulatorInjections;
  readonly events: IdentityEvents;
  readonly identity: IdentityProvider;
  /** The mail store: SMTP, Graph sendMail and the Gmail API deliver into it; IMAP/POP3 read it. */
  readonly mail: MailStore;
  /** SMTP/IMAP/POP3 (undefined with `mail: false`); `mailServers.smtpAuth` turns SMTP AUTH off. */
  readonly mailServers?: MailServers | undefined;
  /** Graph switches: `setRestApiEnabled(mailbox, false)` → `MailboxNotEnabledForRESTAPI`. */
  readonly graph: GraphApiControls;
  /** Gmail API switches: `setMailServiceEnabled(mailbox, false)` → `failedPrecondition`. */
  readonly gmail: GmailApiControls;
  /** The generic OAuth server: quirks, rotation, clients, token validation. */
  readonly oauth: GenericOAuthServer;
  /** Every request the identity/web servers received, in order. */
  readonly requests: readonly RecordedRequest[];
  /** An msal-node `system.networkClient` that trusts the emulator CA and refuses non-loopback hosts. */
  readonly msalNetworkClient: MsalNetworkModule;
  stop(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Starts the emulator: Microsoft and Google identity endpoints on HTTPS (local CA) and loopback
 * HTTP, the web page, and SMTP/IMAP/POP3 servers. Everything binds to 127.0.0.1.
 *
 * @example
 * const emulator = await startEmulator({ identity: { autoApprove: 'first-user' } });
 * const app = new ConfidentialClientApplication({
 *   auth: { clientId, clientSecret, authority: emulator.urls.microsoftAuthority(), knownAuthorities: [emulator.urls.microsoftKnownAuthority] },
 *   system: { networkClient: emulator.msalNetworkClient },
 * });
 * await emulator.stop();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const fromFile = options.configFile ? await loadIdentityConfigFile(options.configFile) : {};
  const injections = createInjections();
  const identity = createIdentityProvider({ ...fromFile, ...options.identity }, { injections });
  const mailOptions = typeof options.mail === 'object' ? options.mail : {};
  const appMailboxPermissions = mailOptions.appMailboxPermissions ?? (() => ['*']);
  const canActAs = mailOptions.canActAs ?? (() => false);
  const store = createMailStore();
  const findUser = (idOrAddress: string | undefined) =>
    identity.state.findUser(idOrAddress) ?? identity.config.users.find((u) => u.id === idOrAddress);
  const sendApis = createSendApis({
    validateToken: identity.validateAccessToken,
    store,
    injections,
    events: identity.events,
    findUser,
    appMailboxPermissions,
    canActAs,
    nowMs: () => identity.state.now() * 1000,
  });
  const oauth = createGenericOAuthServer(options.oauth ?? {}, {
    key: identity.state.key,
    injections,
    events: identity.events,
    users: () => identity.config.users,
    autoApprovedUser: (hint) => identity.state.autoApprovedUser(hint),
    findUser: (email) => identity.state.findUser(email),
    now: () => identity.state.now(),
  });
  const ca = await createLocalCa({ dir: options.caDir, commonName: 'Mailplug emulator CA' });
  const serverCert = ca.issueServerCert(['localhost', '127.0.0.1']);
  const requests: RecordedRequest[] = [];
  const host = '127.0.0.1';
  let mailServers: MailServers | undefined;
  let urls: EmulatorUrls | undefined;

  const handler = (secure: boolean) => async (req: IncomingMessage, res: ServerResponse) => {
    requests.push({
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0] ?? '/',
      secure,
      remoteAddress: req.socket.remoteAddress ?? '',
      at: Date.now(),
    });
    const origin = `${secure ? 'https' : 'http'}://${req.headers.host ?? host}`;
    try {
      if (await identity.handle(req, res, origin)) return;
      const url = new URL(req.url ?? '/', origin);
      if (await sendApis.handle(req, res, url)) return;
      if (await oauth.handle(req, res, url, origin)) return;
      const web = handleWeb(req, res, {
        events: identity.events,
        messages: mailServers?.store,
        caCertPem: ca.caCertPem,
        requestCount: () => requests.length,
        endpoints: () => endpointSummary(urls, mailServers),
      });
      if (!web) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: 'not_found',
            error_description: `Nothing at ${req.method} ${req.url?.split('?')[0]}.`,
          }),
        );
      }
    } catch (error) {
      // A bug must still answer like a server (500), never crash the emulator or hang the client.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'server_error', error_description: (error as Error).message }));
    }
  };

  const httpsServer = createHttpsServer({ key: serverCert.keyPem, cert: serverCert.certPem }, handler(true));
  const httpServer = createHttpServer(handler(false));
  const started: Server[] = [];
  try {
    const httpsPort = await listen(httpsServer, options.port ?? 0, host);
    started.push(httpsServer);
    const httpPort = await listen(httpServer, options.httpPort ?? 0, host);
    started.push(httpServer);
    if (options.mail !== false) {
      mailServers = await startMailServers({
        tls: serverCert,
        validateToken: identity.validateAccessToken,
        passwordUsers: Object.fromEntries(identity.config.users.map((u) => [u.email, u.password])),
        tenantOf: (mailbox) => identity.state.findUser(mailbox)?.tenantId,
        store,
        ...mailOptions,
        appMailboxPermissions,
        canActAs,
      });
    }
    urls = buildEmulatorUrls(host, httpsPort, httpPort);
    const mailPorts = mailServers?.ports;
    return {
      urls,
      caCertPath: ca.caCertPath,
      caCertPem: ca.caCertPem,
      ports: { https: httpsPort, http: httpPort, ...mailPorts },
      settings: buildAccountSettings({
        config: identity.config,
        httpsOrigin: urls.https,
        googleBase: urls.googleBase,
        caCertPem: ca.caCertPem,
        mailPorts,
      }),
      users: identity.config.users,
      apps: identity.config.microsoftApps,
      inject: {
        microsoft: (spec) => injections.add('microsoft', spec),
        google: (spec) => injections.add('google', spec),
        oauth: (spec) => injections.add('oauth', spec),
        clear: () => injections.clear(),
      },
      events: identity.events,
      identity,
      mail: store,
      mailServers,
      graph: sendApis.graph,
      gmail: sendApis.gmail,
      oauth,
      requests,
      msalNetworkClient: createMsalNetworkClient(ca.caCertPem),
      async stop() {
        await Promise.all([...started.map(close), mailServers?.close()]);
        await ca.dispose();
      },
    };
  } catch (error) {
    await Promise.all([...started.map(close), mailServers?.close()]);
    await ca.dispose();
    throw error;
  }
}
