import type { ConnectOptions, OAuth2Credential, ProbeOptions, SendResult } from '@mailplug/core';
import { mailplugRejection, passwordCredentials, tokenCredentials } from '@mailplug/testkit';
import { describe, expect, it } from 'vitest';
import { answerErrors } from '../src/http-answer.js';
import { type HttpProbeInit, probeHttpSend } from '../src/probe.js';
import { noRecipients, openHttpSendConnection, postRefreshingOnce } from '../src/send-connection.js';
import type { HttpResponse, HttpTransport } from '../src/transport.js';
import { TEST_API } from './test-api.js';

/** A transport that only counts how it was closed: the connection lifecycle never posts itself. */
function countingTransport() {
  const calls = { close: 0, destroy: 0 };
  const transport: HttpTransport = {
    origin: 'https://api.example.test',
    timeoutMs: 1_000,
    request: () => Promise.reject(new Error('not used')),
    close: async () => void calls.close++,
    destroy: async () => void calls.destroy++,
  };
  return { transport, calls };
}

const answer = (status: number): HttpResponse => ({ status, headers: { get: () => null }, text: '' });
const token = (accessToken: string): OAuth2Credential => ({
  kind: 'oauth2',
  user: 'ann@example.test',
  accessToken,
  expiresAt: Date.now() + 3_600_000,
  scopes: [],
});
const message = { to: 'bob@example.test', subject: 'Hi', text: 'Hello' };
const accepted: SendResult = { messageId: '<1@example.test>', accepted: ['bob@example.test'], rejected: [] };

describe('openHttpSendConnection', () => {
  it('checks the credential kind once up front: a password is refused with the API’s hint, sockets dropped', async () => {
    const { transport, calls } = countingTransport();
    const credentials = passwordCredentials('ann@example.test', 'planted-Pa55-http');
    const error = await mailplugRejection(
      openHttpSendConnection({
        api: TEST_API,
        transport,
        credentials,
        options: {},
        send: async () => accepted,
      }),
    );
    expect(error).toMatchObject({
      code: 'TEST_CREDENTIAL_UNSUPPORTED',
      action: 'admin',
      hint: TEST_API.passwordHint,
    });
    expect(error.message).toBe(
      'The Test API needs an OAuth 2.0 access token; the account signs in with a password.',
    );
    expect(credentials.requests).toEqual([{ protocol: 'test-api' }]);
    expect(calls.destroy).toBe(1);
  });

  it('a send cancelled before it starts makes no request; close() waits for the send in flight', async () => {
    const { transport, calls } = countingTransport();
    let finish: (() => void) | undefined;
    const sends: AbortSignal[] = [];
    const connection = await openHttpSendConnection({
      api: TEST_API,
      transport,
      credentials: tokenCredentials('ann@example.test', 'planted-token-1'),
      options: {},
      send: (_message, cancelled) => {
        if (cancelled) sends.push(cancelled);
        return new Promise((resolve) => (finish = () => resolve(accepted)));
      },
    });
    const cancelled = await mailplugRejection(
      connection.send(message, { signal: AbortSignal.abort('stop') }),
    );
    expect(cancelled).toMatchObject({ code: 'SEND_CANCELLED', details: { mayHaveBeenDelivered: false } });
    expect(cancelled.message).toBe(
      'The Test API send was cancelled by the caller before the request was made.',
    );

    const controller = new AbortController();
    const inFlight = connection.send(message, { signal: controller.signal });
    const closing = connection.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.close).toBe(0);
    finish?.();
    await expect(inFlight).resolves.toEqual(accepted);
    await closing;
    expect(calls.close).toBe(1);
    expect(sends).toHaveLength(1);

    const closed = await mailplugRejection(connection.send(message));
    expect(closed).toMatchObject({ code: 'TEST_CONNECTION_CLOSED', action: 'developer' });
    expect(closed.message).toBe('send() was called on a closed Test API connection.');
  });
});

describe('postRefreshingOnce', () => {
  it('a 401 replaces the credential once and posts again; a second 401 is the answer', async () => {
    const used: string[] = [];
    let refreshes = 0;
    const result = await postRefreshingOnce(
      token('stale'),
      async (credential) => {
        used.push(credential.accessToken);
        return answer(401);
      },
      async () => token(`fresh-${++refreshes}`),
    );
    expect(used).toEqual(['stale', 'fresh-1']);
    expect(result.response.status).toBe(401);
    expect(result.credential.accessToken).toBe('fresh-1');
  });

  it('no refresh when the answer is not 401, or when a new token cannot help', async () => {
    let refreshes = 0;
    const refresh = async () => {
      refreshes++;
      return token('fresh');
    };
    expect((await postRefreshingOnce(token('a'), async () => answer(403), refresh)).response.status).toBe(
      403,
    );
    const wrongResource = await postRefreshingOnce(
      token('b'),
      async () => answer(401),
      refresh,
      () => false,
    );
    expect(wrongResource.credential.accessToken).toBe('b');
    expect(refreshes).toBe(0);
  });
});

describe('errors every HTTP send API shares', () => {
  it('noRecipients names every entry as given', () => {
    const error = noRecipients({ to: ['bob', { address: 'cy' }], bcc: 'dee@', subject: 'x' }, TEST_API);
    expect(error).toMatchObject({ code: 'TEST_RECIPIENTS_REJECTED', action: 'user' });
    expect(error.message).toBe('The message has no usable recipient address (bob, cy, dee@).');
  });

  it('answerErrors adds the details to every error and the wait only to those the caller may retry', () => {
    const make = answerErrors<'X_THROTTLED' | 'X_DENIED'>(
      { status: 429, mailbox: 'ann@example.test' },
      5_000,
    );
    const throttled = make('X_THROTTLED', 'retry', 'Throttled.', 'Send later.', { limit: 4 });
    expect(throttled).toMatchObject({ retryAfterMs: 5_000, details: { status: 429, limit: 4 } });
    expect(make('X_DENIED', 'admin', 'Denied.', 'Grant it.').retryAfterMs).toBeUndefined();
  });
});

describe('probeHttpSend', () => {
  const probe = (
    checks: HttpProbeInit<{ transport: HttpTransport }>['checks'],
    options: ProbeOptions,
    connect: HttpProbeInit<{ transport: HttpTransport }>['connect'] = async () => {
      throw new Error('not used');
    },
  ) => {
    const { transport, calls } = countingTransport();
    const report = probeHttpSend({
      api: TEST_API,
      labels: { credential: 'Access token', auth: 'API accepts the token' },
      credentials: tokenCredentials('ann@example.test', 'planted-token-probe'),
      options,
      open: () => ({ transport }),
      checks,
      connect,
    });
    return { report, calls };
  };

  it('the first failing step fails with its classified error, later steps are skipped, onStep sees each', async () => {
    const seen: string[] = [];
    const { report: pending, calls } = probe(
      [
        {
          id: 'auth',
          run: async () => {
            throw new TypeError('socket hang up');
          },
        },
        { id: 'token', run: async () => ({ detail: 'never runs' }) },
      ],
      { onStep: (step) => seen.push(`${step.id}:${step.status}`) },
    );
    const report = await pending;
    expect(report.ok).toBe(false);
    expect(seen).toEqual(['credential:ok', 'auth:failed', 'token:skipped', 'send:skipped']);
    expect(report.steps[0]).toMatchObject({
      label: 'Access token',
      detail: expect.stringContaining('OAuth 2.0 token for ann@example.test, expires '),
      data: { mailbox: 'ann@example.test' },
    });
    expect(report.steps[1]).toMatchObject({
      label: 'API accepts the token',
      error: { code: 'TEST_FAILED', action: 'retry' },
      detail: 'The probe failed: socket hang up',
    });
    expect(JSON.stringify(report)).not.toContain('planted-token-probe');
    expect(calls.close).toBe(1);
  });

  it('checks get the endpoint, the credential and the signal; a test message is sent and its connection closed', async () => {
    const signal = new AbortController().signal;
    const connected: ConnectOptions[] = [];
    let closed = 0;
    const { report: pending } = probe(
      [
        {
          id: 'auth',
          run: async (endpoint, credential, given) => ({
            detail: `${endpoint.transport.origin} ${credential.accessToken.length} ${given === signal}`,
          }),
        },
      ],
      { signal, testMessage: message },
      async (options) => {
        connected.push(options);
        return {
          direction: 'send',
          send: async () => ({ ...accepted, response: '202 Accepted' }),
          close: async () => void closed++,
          dispose: () => undefined,
        };
      },
    );
    const report = await pending;
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => s.detail)).toEqual([
      expect.stringContaining('OAuth 2.0 token'),
      'https://api.example.test 19 true',
      'Accepted for bob@example.test — 202 Accepted',
    ]);
    expect(connected).toEqual([{ signal }]);
    expect(closed).toBe(1);
  });

  it('without a test message the send step is skipped', async () => {
    const report = await probe([], {}).report;
    expect(report.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['credential:ok', 'send:skipped']);
  });
});
