/**
 * The demo's HTTPS-API parts: a Microsoft 365 app-only account whose SMTP AUTH is switched off
 * keeps delivering through Microsoft Graph (its fallback route), and a Gmail account on the Gmail
 * API alone, signed in with `gmail.send` only. Both read back what arrived from the emulator's store.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gmailAccountArgs } from './demo-outbox.js';
import type { DemoRunner, Emulator } from './demo-runner.js';
import { addAccountArgs } from './demo-support.js';

/** How long the gateway waits for the emulator's answer. */
const GATEWAY_TIMEOUT_MS = 30_000;

export interface ApiGateway {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A loopback gateway in front of one of the emulator's HTTPS APIs: the emulator serves Graph under
 * `/graph` and the Gmail API under `/gmail-api`, while the console's protocol instances (discovered
 * from its package.json) call the real paths (`/v1.0/…`, `/gmail/v1/…`). The gateway adds the
 * prefix and forwards over TLS trusting the emulator's CA — the "local gateway" case the protocols'
 * `security: 'none'` + `allowInsecureAuth` (loopback only) exists for.
 */
export async function startApiGateway(emulator: Emulator, prefix: string): Promise<ApiGateway> {
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const upstream = httpsRequest(
      {
        host: '127.0.0.1',
        port: emulator.ports.https,
        method: req.method,
        path: `${prefix}${req.url ?? '/'}`,
        headers: { ...req.headers, host: `127.0.0.1:${emulator.ports.https}` },
        ca: emulator.caCertPem,
        timeout: GATEWAY_TIMEOUT_MS,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('The emulator did not answer in time.')));
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('gateway: the emulator is unreachable');
    });
    req.pipe(upstream);
  };
  const server = createServer(forward);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ApiRoutePartOptions {
  readonly emulator: Emulator;
  readonly sender: string;
  readonly recipient: string;
  readonly browser: boolean;
  /** Environment variable holding the client secret. */
  readonly secretEnv: string;
  /** Prints a line of the demo's narrative. */
  readonly say: (text: string) => void;
}

/** Sends one message and checks the route that delivered it; then shows what arrived. */
async function sendOverRoute(
  runner: DemoRunner,
  account: string,
  route: string,
  message: { subject: string; text: string; actingUser?: string },
  recipient: string,
): Promise<void> {
  const argv = [
    'send',
    account,
    ...(message.actingUser ? ['--as', message.actingUser] : []),
    ...['--to', recipient, '--subject', message.subject, '--text', message.text],
  ];
  const sent = await runner.step(`Send (route: ${route})`, argv, {
    verify: (output) =>
      output.includes(`route: ${route}`) ? undefined : `the send did not go over ${route}`,
  });
  if (sent) runner.received(message.subject);
}

/** Part 7: SMTP AUTH off for the tenant → Test connection names the Graph route → send over Graph. */
export async function runGraphFallbackPart(runner: DemoRunner, options: ApiRoutePartOptions): Promise<void> {
  const { emulator, sender } = options;
  const preset = emulator.settings['m365-app-only'].settings;
  const tenant = String(preset.tenant);
  const gateway = await startApiGateway(emulator, '/graph');
  try {
    const account = addAccountArgs(
      'notifications-graph',
      {
        host: '127.0.0.1',
        port: String(emulator.ports.smtp),
        security: 'starttls',
        'ca-file': emulator.caCertPath,
        provider: 'm365-app-only',
        from: sender,
        'display-name': 'Contoso Notifications',
        scope: 'system',
        fallback: 'graph',
        'fallback-host': '127.0.0.1',
        'fallback-port': String(gateway.port),
        'fallback-security': 'none',
        'allow-insecure-auth': '',
      },
      {
        tenant,
        clientId: String(preset.clientId),
        mailbox: sender,
        authorityHost: emulator.urls.https,
        ca: emulator.caCertPath,
      },
      { clientSecret: options.secretEnv },
    );
    await runner.step('Add the system account (SMTP first, Microsoft Graph as its fallback)', account);
    emulator.mailServers?.smtpAuth.setEnabled({ tenant }, false);
    options.say(`\n  ▸ The tenant's admin switches SMTP AUTH off (emulator: tenant ${tenant})`);
    await runner.step('Test connection (every route)', ['test', 'notifications-graph'], {
      verify: (output) =>
        /switched off for this mailbox; sending through Microsoft Graph/i.test(output)
          ? undefined
          : 'the probe summary does not name the Graph route',
    });
    await sendOverRoute(
      runner,
      'notifications-graph',
      'graph',
      { subject: 'Demo 7: Microsoft Graph fallback', text: 'SMTP AUTH is off; this went through Graph.' },
      options.recipient,
    );
  } finally {
    emulator.mailServers?.smtpAuth.reset();
    await gateway.close();
  }
}

/** Part 8: a Gmail account on the Gmail API only, signed in with `gmail.send` alone. */
export async function runGmailApiPart(runner: DemoRunner, options: ApiRoutePartOptions): Promise<void> {
  const { emulator, browser } = options;
  const gateway = await startApiGateway(emulator, '/gmail-api');
  try {
    const account = [
      ...gmailAccountArgs(
        emulator,
        'gmail-send',
        {
          protocol: 'gmail-api',
          host: '127.0.0.1',
          port: String(gateway.port),
          security: 'none',
          'allow-insecure-auth': '',
          from: options.sender,
          scope: 'user',
          owner: 'alice',
        },
        options.secretEnv,
      ),
      ...['--setting', 'protocols=gmail-api'],
    ];
    await runner.step('Add the Gmail account (protocols: gmail-api only)', account);
    const signInTitle = browser
      ? 'Sign in with Google, granting gmail.send (open the printed URL)'
      : 'Sign in with Google, granting gmail.send (headless auto-approve)';
    if (!(await runner.step(signInTitle, ['sign-in', 'gmail-send', '--timeout', browser ? '600' : '60'])))
      return;
    // Test connection rather than Check Authorization: the gmail-oauth session's checkAuthorization
    // asks for an SMTP credential, which an account on gmail-api alone does not have.
    await runner.step('Test connection (the token carries gmail.send)', ['test', 'gmail-send'], {
      verify: (output) =>
        !output.includes('gmail.send')
          ? 'the probe does not name gmail.send'
          : output.includes('https://mail.google.com/')
            ? 'the restricted full mail scope was granted'
            : undefined,
    });
    await sendOverRoute(
      runner,
      'gmail-send',
      'gmail-api',
      {
        subject: 'Demo 8: Gmail API',
        text: 'Sent through the Gmail API with the gmail.send scope.',
        actingUser: 'alice',
      },
      options.recipient,
    );
  } finally {
    await gateway.close();
  }
}
