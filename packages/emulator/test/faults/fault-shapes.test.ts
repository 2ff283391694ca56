/**
 * Every fault shape, on every endpoint that can be told to misbehave, as it arrives on the wire:
 * read with a raw client that has its own deadline, never through a library that might retry.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_IDS,
  DEFAULT_OAUTH_IDS,
  DEFAULT_TENANT_ID,
  type Emulator,
  type InjectionHandle,
  startEmulator,
} from '../../src/index.js';
import { bearer, response, type WireResult, wire } from '../wire.js';

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ mail: false });
});

afterAll(async () => {
  await emulator.stop();
});

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

interface Endpoint {
  readonly name: string;
  /** Adds a rule for this endpoint only. */
  inject(shape: Record<string, unknown>): InjectionHandle;
  send(timeoutMs?: number): Promise<WireResult>;
  /** What the endpoint's own JSON 429 looks like. */
  readonly throttled: Record<string, unknown>;
}

const msToken = (fields: Record<string, string>, timeoutMs?: number) =>
  wire(`${emulator.urls.http}/${DEFAULT_TENANT_ID}/oauth2/v2.0/token`, { ...form(fields), timeoutMs });
const googleToken = (fields: Record<string, string>, timeoutMs?: number) =>
  wire(`${emulator.urls.http}/google/token`, { ...form(fields), timeoutMs });
const AAD_THROTTLED = { error: 'temporarily_unavailable', error_codes: [50196] };
const GOOGLE_THROTTLED = { error: 'rate_limit_exceeded' };

const ENDPOINTS: Endpoint[] = [
  {
    name: 'Google token endpoint (user refresh)',
    inject: (shape) =>
      emulator.inject.google({ endpoint: 'token', grant: 'refresh_token', ...shape } as never),
    send: (t) =>
      googleToken(
        {
          grant_type: 'refresh_token',
          client_id: DEFAULT_IDS.googleClientId,
          client_secret: DEFAULT_IDS.googleClientSecret,
          refresh_token: '1//unknown',
        },
        t,
      ),
    throttled: GOOGLE_THROTTLED,
  },
  {
    name: 'Google service-account token endpoint (JWT bearer)',
    inject: (shape) => emulator.inject.google({ endpoint: 'token', grant: 'jwt-bearer', ...shape } as never),
    send: (t) =>
      googleToken({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: 'not.a.jwt' }, t),
    throttled: GOOGLE_THROTTLED,
  },
  {
    name: 'Microsoft v2 token endpoint (delegated)',
    inject: (shape) =>
      emulator.inject.microsoft({
        endpoint: 'token',
        grant: ['authorization_code', 'refresh_token', 'device_code'],
        ...shape,
      } as never),
    send: (t) =>
      msToken(
        { grant_type: 'refresh_token', client_id: DEFAULT_IDS.publicAppClientId, refresh_token: 'unknown' },
        t,
      ),
    throttled: AAD_THROTTLED,
  },
  {
    name: 'Microsoft v2 token endpoint (client credentials)',
    inject: (shape) =>
      emulator.inject.microsoft({ endpoint: 'token', grant: 'client_credentials', ...shape } as never),
    send: (t) =>
      msToken(
        {
          grant_type: 'client_credentials',
          client_id: DEFAULT_IDS.daemonClientId,
          client_secret: 'wrong',
          scope: 'https://outlook.office365.com/.default',
        },
        t,
      ),
    throttled: AAD_THROTTLED,
  },
  {
    name: 'Graph sendMail',
    inject: (shape) => emulator.inject.microsoft({ endpoint: 'sendMail', ...shape } as never),
    send: (t) =>
      wire(`${emulator.urls.http}/graph/v1.0/users/alice@contoso.test/sendMail`, {
        method: 'POST',
        headers: { ...bearer('not-a-token'), 'content-type': 'text/plain' },
        body: 'aGk=',
        timeoutMs: t,
      }),
    throttled: { error: { code: 'ApplicationThrottled', message: expect.any(String) } },
  },
  {
    name: 'Gmail messages.send',
    inject: (shape) => emulator.inject.google({ endpoint: 'messages.send', ...shape } as never),
    send: (t) =>
      wire(`${emulator.urls.http}/gmail-api/gmail/v1/users/me/messages/send`, {
        method: 'POST',
        headers: { ...bearer('ya29.unknown'), 'content-type': 'application/json' },
        body: JSON.stringify({ raw: 'aGk' }),
        timeoutMs: t,
      }),
    throttled: {
      error: expect.objectContaining({
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        errors: [expect.objectContaining({ reason: 'rateLimitExceeded' })],
      }),
    },
  },
  {
    name: 'generic OAuth token endpoint',
    inject: (shape) => emulator.inject.oauth({ endpoint: 'token', ...shape } as never),
    send: (t) =>
      wire(emulator.urls.oauth.token.replace(emulator.urls.https, emulator.urls.http), {
        ...form({
          grant_type: 'client_credentials',
          client_id: DEFAULT_OAUTH_IDS.clientId,
          client_secret: 'wrong',
        }),
        timeoutMs: t,
      }),
    throttled: { error: 'temporarily_unavailable' },
  },
];

describe.each(ENDPOINTS)('$name', (endpoint) => {
  it('429 with Retry-After: the provider’s own JSON error and the header in seconds', async () => {
    const rule = endpoint.inject({ status: 429, retryAfterSeconds: 7 });
    const res = response(await endpoint.send());
    expect(rule.hits).toBe(1);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toMatchObject(endpoint.throttled);
  });

  it('429 without Retry-After', async () => {
    endpoint.inject({ status: 429 });
    const res = response(await endpoint.send());
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.json()).toMatchObject(endpoint.throttled);
  });

  it('503 with a text/plain body', async () => {
    endpoint.inject({ status: 503, body: 'text' });
    const res = response(await endpoint.send());
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('Service Unavailable\n');
  });

  it('502 with an HTML body, as a proxy sends it', async () => {
    endpoint.inject({ status: 502, body: 'html', retryAfterSeconds: 2 });
    const res = response(await endpoint.send());
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toBe('text/html');
    expect(res.headers['retry-after']).toBe('2');
    expect(res.body).toContain('<title>502 Bad Gateway</title>');
    expect(() => res.json()).toThrow();
  });

  it('connection reset: the socket is dropped without any response', async () => {
    const rule = endpoint.inject({ reset: true });
    expect(await endpoint.send()).toEqual({ kind: 'error', code: 'ECONNRESET' });
    expect(rule.hits).toBe(1);
  });

  it('times: n fails n requests; Infinity fails until remove(); then the endpoint answers itself', async () => {
    const twice = endpoint.inject({ status: 503, body: 'text', times: 2 });
    expect(response(await endpoint.send()).status).toBe(503);
    expect(response(await endpoint.send()).status).toBe(503);
    const own = response(await endpoint.send());
    expect(own.status).not.toBe(503);
    expect(own.headers['content-type']).toMatch(/^application\/json/);
    expect(twice.hits).toBe(2);

    const always = endpoint.inject({ status: 502, body: 'html', times: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 3; i++) expect(response(await endpoint.send()).status).toBe(502);
    always.remove();
    expect(response(await endpoint.send()).status).not.toBe(502);
    expect(always.hits).toBe(3);
  });
});

describe('black hole', () => {
  it('accepts the request on every endpoint and never answers within the client’s 1 s deadline', async () => {
    const rules = ENDPOINTS.map((e) => e.inject({ blackHole: true }));
    const results = await Promise.all(ENDPOINTS.map((e) => e.send(1000)));
    expect(results).toEqual(ENDPOINTS.map(() => ({ kind: 'no-answer' })));
    expect(rules.map((r) => r.hits)).toEqual(ENDPOINTS.map(() => 1));
  });

  it('the held socket is closed by the emulator when it stops', async () => {
    const other = await startEmulator({ mail: false });
    other.inject.microsoft({ endpoint: 'sendMail', blackHole: true });
    let socket: Socket | undefined;
    const pending = wire(`${other.urls.graphBase}/v1.0/me/sendMail`, {
      method: 'POST',
      ca: other.caCertPem,
      headers: { 'content-type': 'text/plain' },
      body: 'aGk=',
      timeoutMs: 30_000,
      onSocket: (s) => {
        socket = s;
      },
    });
    await expect.poll(() => other.events.list({ kind: 'injected-error' }).length).toBe(1);
    const closed = new Promise<void>((resolve) => socket?.once('close', () => resolve()));
    await other.stop();
    await closed;
    expect(await pending).toMatchObject({ kind: 'error' });
    expect(socket?.destroyed).toBe(true);
  });
});

describe('narrowing', () => {
  it('a rule for one grant leaves the other grants of the same endpoint alone', async () => {
    const jwtOnly = emulator.inject.google({
      endpoint: 'token',
      grant: 'jwt-bearer',
      status: 503,
      body: 'text',
    });
    const [user, sa] = [ENDPOINTS[0], ENDPOINTS[1]] as [Endpoint, Endpoint];
    expect(response(await user.send()).status).toBe(400);
    expect(response(await sa.send()).status).toBe(503);
    const appOnly = emulator.inject.microsoft({
      endpoint: 'token',
      grant: 'client_credentials',
      reset: true,
    });
    const [delegated, clientCredentials] = [ENDPOINTS[2], ENDPOINTS[3]] as [Endpoint, Endpoint];
    expect(response(await delegated.send()).status).toBe(400);
    expect(await clientCredentials.send()).toEqual({ kind: 'error', code: 'ECONNRESET' });
    expect([jwtOnly.hits, appOnly.hits]).toEqual([1, 1]);
  });

  it('over HTTPS a reset drops the TLS connection too, and inject.clear() removes every rule', async () => {
    emulator.inject.microsoft({ endpoint: 'sendMail', reset: true, times: Number.POSITIVE_INFINITY });
    emulator.inject.oauth({ endpoint: 'token', status: 503, body: 'text', times: Number.POSITIVE_INFINITY });
    const send = () =>
      wire(`${emulator.urls.graphBase}/v1.0/users/alice@contoso.test/sendMail`, {
        method: 'POST',
        ca: emulator.caCertPem,
        headers: { ...bearer('not-a-token'), 'content-type': 'text/plain' },
        body: 'aGk=',
      });
    expect(await send()).toEqual({ kind: 'error', code: 'ECONNRESET' });
    emulator.inject.clear();
    const own = response(await send());
    expect(own.status).toBe(401);
    expect(own.json()).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
    expect(response(await (ENDPOINTS[6] as Endpoint).send()).status).toBe(401);
  });

  it('every injected fault is recorded as an event naming the endpoint and the shape', () => {
    const details = emulator.events.list({ kind: 'injected-error' }).map((e) => e.detail);
    expect(details).toEqual(
      expect.arrayContaining([
        'sendMail: connection reset',
        'messages.send: HTTP 503 text',
        'token: black hole',
        'token: HTTP 429',
      ]),
    );
  });
});
