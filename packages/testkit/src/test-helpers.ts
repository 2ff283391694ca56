/** Small helpers that protocol and store tests in several packages need alike. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CredentialRequest,
  type CredentialSource,
  isMailplugError,
  type MailCredential,
  type MailplugError,
} from '@mailplug/core';

/** A CredentialSource that remembers every request (to prove, e.g., a fresh credential per connect). */
export interface RecordingCredentialSource extends CredentialSource {
  readonly requests: readonly CredentialRequest[];
}

/**
 * A CredentialSource that records every request and answers with `next(request)`, e.g. tokens a
 * real OAuth client obtained from the emulator.
 *
 * @example
 * const credentials = recordingCredentials(async (r) => ({ kind: 'oauth2', ...(await tokenFor(r)) }));
 * expect(credentials.requests.map((r) => r.protocol)).toEqual(['graph']);
 */
export function recordingCredentials(
  next: (request: CredentialRequest) => MailCredential | Promise<MailCredential>,
): RecordingCredentialSource {
  const requests: CredentialRequest[] = [];
  return {
    requests,
    async getCredential(request) {
      requests.push(request);
      return next(request);
    },
  };
}

/**
 * Hands out a password credential.
 *
 * @example
 * const credentials = passwordCredentials('ann@example.test', 'correct horse');
 * await protocol.connect(server.settings, credentials);
 * expect(credentials.requests).toHaveLength(1);
 */
export function passwordCredentials(user: string, password: string): RecordingCredentialSource {
  return recordingCredentials(() => ({ kind: 'password', user, password }));
}

/**
 * Hands out an OAuth 2.0 credential; `token` may be a function of the request (e.g. a new one on
 * `forceRefresh`). Expires an hour from the request.
 *
 * @example
 * const credentials = tokenCredentials('ann@example.test', (r) => (r.forceRefresh ? 'fresh' : 'stale'));
 */
export function tokenCredentials(
  user: string,
  token: string | ((request: CredentialRequest) => string | Promise<string>),
  scopes: readonly string[] = [],
): RecordingCredentialSource {
  return recordingCredentials(async (request) => ({
    kind: 'oauth2',
    user,
    accessToken: typeof token === 'string' ? token : await token(request),
    expiresAt: Date.now() + 3_600_000,
    scopes,
  }));
}

/**
 * The `MailplugError` that `promise` rejects with; fails when it resolves or rejects with anything
 * else.
 *
 * @example
 * const error = await mailplugRejection(connection.send(message));
 * expect(error).toMatchObject({ code: 'GRAPH_THROTTLED', action: 'retry' });
 */
export async function mailplugRejection(promise: Promise<unknown>): Promise<MailplugError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMailplugError(error)) throw new Error(`expected a MailplugError, got ${String(error)}`);
  return error;
}

/** The runner's `afterAll` / `afterEach` (vitest, jest, node:test `after`). */
export type CleanupHook = (fn: () => Promise<void>) => unknown;

/**
 * Returns a function that makes a fresh temporary directory named after `prefix`; every directory
 * it made is removed by the `after` hook you pass (your runner's `afterAll` or `afterEach`).
 *
 * @example
 * const tempDir = temporaryDirectories(afterAll, 'mailplug-store-');
 * const dir = await tempDir();
 */
export function temporaryDirectories(after: CleanupHook, prefix = 'mailplug-test-'): () => Promise<string> {
  const dirs: string[] = [];
  after(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}

/**
 * Wraps `start` so that everything it starts is closed by the hook you pass (your runner's
 * `afterEach`, or `afterAll` to share them across a file).
 *
 * @example
 * const startPeer = closedBy(afterEach, startScriptedPeer);
 * const peer = await startPeer({ greeting: false });
 */
export function closedBy<Args extends unknown[], Started extends { close(): Promise<void> }>(
  after: CleanupHook,
  start: (...args: Args) => Promise<Started>,
): (...args: Args) => Promise<Started> {
  const running: Started[] = [];
  after(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });
  return async (...args) => {
    const started = await start(...args);
    running.push(started);
    return started;
  };
}

/** Who may be asked to act on a MailplugError. */
export const ERROR_ACTIONS: readonly string[] = ['user', 'admin', 'retry', 'developer'];

/**
 * Throws unless `error` is a MailplugError a host can show: a known action, a stable
 * UPPER_SNAKE code and a hint that says something. For classifier fuzz tests.
 */
export function assertClassifiedError(error: unknown): asserts error is MailplugError {
  if (!isMailplugError(error)) throw new Error(`not a MailplugError: ${String(error)}`);
  if (!ERROR_ACTIONS.includes(error.action)) throw new Error(`unknown action "${error.action}"`);
  if (!/^[A-Z][A-Z0-9_]+$/.test(error.code)) throw new Error(`code "${error.code}" is not UPPER_SNAKE`);
  if (error.hint.length <= 10) throw new Error(`hint "${error.hint}" names no fix`);
}

/** Statuses an HTTP send API, a proxy or a gateway answers with that classifiers must place. */
export const HTTP_ERROR_STATUSES: readonly number[] = [
  400, 401, 403, 404, 407, 408, 413, 429, 500, 502, 503, 504,
];

/** Bodies proxies and gateways send instead of the API's JSON: empty, HTML, cut off, not an object. */
export const GATEWAY_ERROR_BODIES: readonly string[] = [
  '',
  'null',
  '<html><body>502 Bad Gateway</body></html>',
  '{"error":',
  '{"error":null}',
  '[]',
];

/** An HTTP answer as `@mailplug/http-send` hands it to a classifier (`status`, `text`, `headers.get`). */
export function httpAnswer(
  status: number,
  text: string,
  retryAfter: string | null = null,
): { status: number; text: string; headers: { get(name: string): string | null } } {
  return {
    status,
    text,
    headers: { get: (name) => (name.toLowerCase() === 'retry-after' ? retryAfter : null) },
  };
}
