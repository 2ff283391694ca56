import { createAuthorizer } from './auth.js';
import { runImapSession } from './imap/session.js';
import { runPop3Session } from './pop3.js';
import { createMailScript, type MailScript } from './script.js';
import { startSmtpServer } from './smtp.js';
import { createSmtpAuthSwitch, type SmtpAuthSwitch } from './smtp-auth-switch.js';
import { createMailStore, type MailStore } from './store.js';
import {
  type RunningTcpServer,
  secureContextFrom,
  startTcpServer,
  type TcpServerOptions,
} from './tcp-server.js';
import type { MailServerPorts, MailServersOptions } from './types.js';

export { GOOGLE_MAIL_SCOPE } from './auth.js';
export { type MailScript, MICROSOFT_REPLIES, type ScriptedReply, type ScriptStage } from './script.js';
export {
  SMTP_AUTH_DISABLED_REPLIES,
  type SmtpAuthSwitch,
  type SmtpAuthTarget,
} from './smtp-auth-switch.js';
export {
  createMailStore,
  type DeliverOptions,
  type MailFolder,
  type MailStore,
  type MailStoreEvent,
  type StoredMessage,
} from './store.js';
export type {
  MailProtocolName,
  MailServerPorts,
  MailServersOptions,
  TokenInfo,
  ValidateToken,
} from './types.js';

export interface MailServers {
  /** Actual ports (ephemeral ones resolved). */
  ports: MailServerPorts;
  store: MailStore;
  script: MailScript;
  /** Exchange's "Authenticated SMTP" switch per mailbox or tenant (off → `535 5.7.139`). */
  smtpAuth: SmtpAuthSwitch;
  /** Stops all six listeners and drops open connections. */
  close(): Promise<void>;
}

/**
 * Starts SMTP (STARTTLS + implicit TLS), POP3 (STLS + implicit TLS) and IMAP (STARTTLS +
 * implicit TLS) servers sharing one mail store and one reply script.
 *
 * @example
 * const ca = await createLocalCa();
 * const mail = await startMailServers({
 *   tls: ca.issueServerCert(['localhost']),
 *   validateToken: async (token) => introspect(token),
 *   passwordUsers: { 'ada@example.test': 'secret' },
 * });
 * // nodemailer: { host: '127.0.0.1', port: mail.ports.smtp, requireTLS: true, tls: { ca: ca.caCertPem } }
 * await mail.close();
 */
export async function startMailServers(options: MailServersOptions): Promise<MailServers> {
  const host = options.host ?? '127.0.0.1';
  const wanted = options.ports ?? {};
  const store = options.store ?? createMailStore();
  const script = createMailScript();
  const smtpAuth = createSmtpAuthSwitch();
  const authorizer = createAuthorizer(options);
  const tlsContext = secureContextFrom(options.tls);
  const popLocks = new Set<string>();
  const started: RunningTcpServer[] = [];

  const listen = async <T extends RunningTcpServer>(start: () => Promise<T>): Promise<T> => {
    const server = await start();
    started.push(server);
    return server;
  };
  const serve = (secure: boolean, port: number | undefined, onConnection: TcpServerOptions['onConnection']) =>
    listen(() => startTcpServer({ host, port: port ?? 0, secure, tlsContext, onConnection }));
  const pop3 = (secure: boolean, port: number | undefined) =>
    serve(secure, port, (connection) =>
      runPop3Session(connection, { authorizer, script, store, tlsContext, locks: popLocks }),
    );
  const imap = (secure: boolean, port: number | undefined) =>
    serve(secure, port, (connection) =>
      runImapSession(connection, { authorizer, script, store, tlsContext }),
    );
  const smtpContext = { options, authorizer, script, store, smtpAuth };

  try {
    const smtp = await listen(() => startSmtpServer(smtpContext, false, host, wanted.smtp ?? 0));
    const smtps = await listen(() => startSmtpServer(smtpContext, true, host, wanted.smtps ?? 0));
    const pop3Plain = await pop3(false, wanted.pop3);
    const pop3Secure = await pop3(true, wanted.pop3s);
    const imapPlain = await imap(false, wanted.imap);
    const imapSecure = await imap(true, wanted.imaps);
    return {
      ports: {
        smtp: smtp.port,
        smtps: smtps.port,
        pop3: pop3Plain.port,
        pop3s: pop3Secure.port,
        imap: imapPlain.port,
        imaps: imapSecure.port,
      },
      store,
      script,
      smtpAuth,
      close: async () => {
        await Promise.all(started.map((server) => server.close()));
      },
    };
  } catch (error) {
    // A port already in use: release what did start before reporting.
    await Promise.all(started.map((server) => server.close()));
    throw error;
  }
}
