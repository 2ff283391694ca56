import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IDS, type Emulator, startEmulator } from '../../src/index.js';
import { httpsRequest } from './helpers.js';

let emulator: Emulator;

async function httpPost(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(form), headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function delegatedToken(email: string): Promise<string> {
  const tokenUrl = `${emulator.urls.microsoftAuthority()}/oauth2/v2.0`;
  const scope = 'https://outlook.office.com/SMTP.Send offline_access';
  const dc = (
    await httpsRequest(emulator.caCertPem, `${tokenUrl}/devicecode`, 'POST', {
      client_id: DEFAULT_IDS.publicAppClientId,
      scope,
    })
  ).json();
  const pending = await httpsRequest(emulator.caCertPem, `${tokenUrl}/token`, 'POST', {
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    client_id: DEFAULT_IDS.publicAppClientId,
    device_code: String(dc.device_code),
  });
  expect(pending.json()).toMatchObject({ error: 'authorization_pending', error_codes: [70016] });
  emulator.identity.approveDeviceCode(String(dc.user_code), email);
  const done = await httpsRequest(emulator.caCertPem, `${tokenUrl}/token`, 'POST', {
    grant_type: 'device_code',
    client_id: DEFAULT_IDS.publicAppClientId,
    device_code: String(dc.device_code),
  });
  return String(done.json().access_token);
}

beforeAll(async () => {
  emulator = await startEmulator();
});

afterAll(async () => {
  await emulator.stop();
});

describe('startEmulator() with no options', () => {
  it('returns endpoints, CA path, ports and ready-made settings for each provider', () => {
    expect(emulator.caCertPath).toMatch(/\.pem$/);
    expect(emulator.ports.https).toBeGreaterThan(0);
    expect(emulator.ports.smtp).toBeGreaterThan(0);
    expect(Object.keys(emulator.settings).sort()).toEqual([
      'basic',
      'gmail-oauth',
      'm365-app-only',
      'm365-delegated',
    ]);
    expect(emulator.settings['m365-app-only'].settings).toMatchObject({
      clientId: DEFAULT_IDS.daemonClientId,
      clientSecret: { secretRef: 'emulator-m365-daemon-secret' },
    });
    expect(emulator.settings['m365-app-only'].secrets['emulator-m365-daemon-secret']).toBe(
      DEFAULT_IDS.daemonSecret,
    );
    expect(emulator.settings.basic.servers?.smtp).toMatchObject({
      host: '127.0.0.1',
      port: emulator.ports.smtp,
      security: 'starttls',
    });
  });

  it('RFC 7662 introspection (Dovecot-style basic auth) reports user, scope, audience; refuses bad client auth', async () => {
    const token = await delegatedToken('bob@contoso.test');
    const basic = `Basic ${Buffer.from(`${DEFAULT_IDS.introspectionClientId}:${DEFAULT_IDS.introspectionSecret}`).toString('base64')}`;
    const ok = await httpPost(emulator.urls.introspection, { token }, { authorization: basic });
    expect(ok.body).toMatchObject({
      active: true,
      username: 'bob@contoso.test',
      scope: 'SMTP.Send',
      aud: 'https://outlook.office.com',
      client_id: DEFAULT_IDS.publicAppClientId,
    });
    expect(ok.body.exp).toBeTypeOf('number');
    const viaForm = await httpPost(emulator.urls.introspection, {
      token: 'garbage',
      client_id: DEFAULT_IDS.introspectionClientId,
      client_secret: DEFAULT_IDS.introspectionSecret,
    });
    expect(viaForm.body).toEqual({ active: false });
    const denied = await httpPost(emulator.urls.introspection, {
      token,
      client_id: 'dovecot',
      client_secret: 'wrong',
    });
    expect(denied.status).toBe(401);
  });

  it('mail servers accept an emulator token over XOAUTH2 and the web page lists the message and events', async () => {
    const token = await delegatedToken('alice@contoso.test');
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: emulator.ports.smtp,
      requireTLS: true,
      tls: { ca: emulator.caCertPem },
      auth: { type: 'OAuth2', user: 'alice@contoso.test', accessToken: token },
    });
    await transport.sendMail({
      from: 'alice@contoso.test',
      to: 'bob@contoso.test',
      subject: 'Hello from the emulator',
      text: 'hi',
    });
    transport.close();
    expect(emulator.mail?.list('bob@contoso.test').map((m) => m.subject)).toContain(
      'Hello from the emulator',
    );
    const page = await fetch(emulator.urls.web).then((r) => r.text());
    expect(page).toContain('Hello from the emulator');
    expect(page).toContain('device-code-approved');
    expect(page).not.toContain(token);
    expect(page).not.toContain(DEFAULT_IDS.daemonSecret);
    const events = (await fetch(`${emulator.urls.http}/api/events`).then((r) => r.json())) as {
      kind: string;
    }[];
    expect(events.some((e) => e.kind === 'grant')).toBe(true);
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it('a slow response is injectable (delay) and still succeeds', async () => {
    const handle = emulator.inject.microsoft({
      delayMs: 50,
      endpoint: 'token',
      clientId: DEFAULT_IDS.daemonClientId,
    });
    const res = await httpsRequest(
      emulator.caCertPem,
      `${emulator.urls.microsoftAuthority()}/oauth2/v2.0/token`,
      'POST',
      {
        grant_type: 'client_credentials',
        client_id: DEFAULT_IDS.daemonClientId,
        client_secret: DEFAULT_IDS.daemonSecret,
        scope: 'https://outlook.office365.com/.default',
      },
    );
    expect(handle.hits).toBe(1);
    expect(res.status).toBe(200);
  });

  it('stop() frees every port', async () => {
    const other = await startEmulator({ mail: true });
    const ports = Object.values(other.ports);
    await other.stop();
    for (const port of ports) {
      await new Promise<void>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
      });
    }
    expect(ports.length).toBe(8);
  });

  it('stop() removes the temp directory it wrote the CA to, and leaves a given caDir alone', async () => {
    const other = await startEmulator({ mail: false });
    const caDir = dirname(other.caCertPath);
    expect(caDir.startsWith(join(tmpdir(), 'mailplug-emulator-ca-'))).toBe(true);
    expect(await readFile(other.caCertPath, 'utf8')).toBe(other.caCertPem);
    await other.stop();
    await expect(access(caDir)).rejects.toMatchObject({ code: 'ENOENT' });

    const given = await mkdtemp(join(tmpdir(), 'emulator-given-ca-'));
    try {
      const withDir = await startEmulator({ mail: false, caDir: given });
      expect(withDir.caCertPath).toBe(join(given, 'ca.pem'));
      await withDir.stop();
      expect(await readFile(join(given, 'ca.pem'), 'utf8')).toBe(withDir.caCertPem);
    } finally {
      await rm(given, { recursive: true, force: true });
    }
  });
});
