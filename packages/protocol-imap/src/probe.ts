import { promises as dns } from 'node:dns';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type {
  CredentialSource,
  DiagnosticReport,
  DiagnosticStep,
  DiagnosticStepId,
  ProbeOptions,
  ServerSettings,
} from '@mailplug/core';
import { DEFAULT_TIMEOUT_MS } from './client-options.js';
import { classifyImapError, isTlsFailure } from './errors.js';
import { type ImapSessionOptions, type ImapStage, openImapSession } from './session.js';

const LABELS: Record<string, string> = {
  dns: 'Resolve host',
  tcp: 'Connect',
  tls: 'TLS handshake',
  greeting: 'Server greeting',
  capabilities: 'Capabilities',
  starttls: 'Upgrade to TLS (STARTTLS)',
  credential: 'Obtain credential',
  auth: 'Sign in',
  mailbox: 'Open mailbox',
};

/**
 * Staged "Test connection": dns, tcp, tls | starttls, greeting, capabilities, credential, auth,
 * mailbox. Never throws for a server problem: the failing stage carries the classified error and
 * the stages after it are reported as skipped.
 */
export async function probeImap(
  server: ServerSettings,
  credentials: CredentialSource,
  sessionOptions: Omit<ImapSessionOptions, 'onStage' | 'signal'>,
  options: ProbeOptions = {},
): Promise<DiagnosticReport> {
  const steps: DiagnosticStep[] = [];
  let started = performance.now();
  const order: ImapStage[] | DiagnosticStepId[] = [
    'dns',
    'tcp',
    ...(server.security === 'tls' ? ['tls'] : []),
    'greeting',
    'capabilities',
    ...(server.security === 'starttls' ? ['starttls'] : []),
    'credential',
    'auth',
    'mailbox',
  ];
  const push = (
    id: DiagnosticStepId,
    status: DiagnosticStep['status'],
    extra: Partial<DiagnosticStep> = {},
  ) => {
    const step: DiagnosticStep = {
      id,
      label: LABELS[id] ?? id,
      status,
      durationMs: status === 'skipped' ? 0 : Math.max(0, performance.now() - started),
      ...extra,
    };
    steps.push(step);
    started = performance.now();
    try {
      options.onStep?.(step);
    } catch {
      // A host's rendering callback must not break the probe.
    }
  };
  const fail = (id: DiagnosticStepId, error: unknown) => {
    const classified = classifyImapError(error, { host: server.host, port: server.port });
    push(id, 'failed', { detail: classified.message, error: classified.toJSON() });
    for (const rest of order.slice(order.indexOf(id) + 1)) push(rest, 'skipped');
    return { ok: false, steps };
  };

  if (sessionOptions.proxy) {
    // The proxy resolves the host and opens the TCP connection; both are part of the session below.
    const via = `through the proxy ${proxyEndpoint(sessionOptions.proxy)}`;
    push('dns', 'skipped', { detail: `Resolved ${via}` });
    push('tcp', 'skipped', { detail: `Connected ${via}` });
  } else {
    let address = server.host;
    try {
      if (!net.isIP(server.host)) address = (await dns.lookup(server.host)).address;
      push('dns', 'ok', { detail: address, data: { address } });
    } catch (error) {
      return fail('dns', error);
    }
    try {
      await tcpReachable(address, server.port, Math.min(server.timeoutMs ?? DEFAULT_TIMEOUT_MS, 20_000));
      push('tcp', 'ok', { detail: `${address}:${server.port}` });
    } catch (error) {
      return fail('tcp', error);
    }
  }
  try {
    const connection = await openImapSession(server, credentials, {
      ...sessionOptions,
      ...(options.signal ? { signal: options.signal } : {}),
      onStage(stage, data) {
        push(
          stage,
          'ok',
          data ? { data, ...(typeof data.protocol === 'string' ? { detail: data.protocol } : {}) } : {},
        );
      },
    });
    await connection.close();
    return { ok: true, steps };
  } catch (error) {
    const done = new Set(steps.map((s) => s.id));
    const tlsStage = server.security === 'starttls' ? 'starttls' : 'tls';
    const failed =
      isTlsFailure(error) && !done.has(tlsStage) && order.includes(tlsStage)
        ? tlsStage
        : (order.find((s) => !done.has(s)) ?? 'auth');
    return fail(failed, error);
  }
}

function tcpReachable(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(Object.assign(new Error('Connection timed out'), { code: 'ETIMEDOUT' })),
    );
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/** `host:port` of a proxy URL, without credentials. */
function proxyEndpoint(proxy: string): string {
  try {
    return new URL(proxy).host;
  } catch {
    return 'configured';
  }
}
