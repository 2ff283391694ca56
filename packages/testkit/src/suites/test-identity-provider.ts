/**
 * The in-memory identity provider behind the suite's own OAuth test subject (not exported): it
 * checks client secrets, PKCE codes and refresh tokens, and can revoke, go down and rotate — each
 * failure injected as a fault the suite removes, like the emulator's.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FaultHandle, ProviderEnvironment } from './auth/auth-options.js';

/** The identity provider's side, in memory. */
export interface FakeIdentityProvider extends ProviderEnvironment {
  readonly clientSecret: string;
  mode: 'ok' | 'revoked' | 'unavailable';
  revocationWorks: boolean;
  rotate: boolean;
  refreshAttempts: number;
  /** Token endpoint: exchange a code or refresh token. */
  token(request: {
    clientSecret: string | undefined;
    code?: string;
    verifier?: string;
    refreshToken?: string;
  }): Promise<{
    accessToken: string;
    refreshToken: string;
    expiresIn: number;
  }>;
  revoke(refreshToken: string): Promise<void>;
  /** A device code whose approval (by `approveDeviceCode`) yields the tokens, as polling would. */
  startDeviceCode(): {
    userCode: string;
    approved: Promise<{ accessToken: string; refreshToken: string; expiresIn: number }>;
  };
}

export const token = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;
const CLIENT_ID = '0a1b2c3d-4e5f-4a7b-9c0d-112233445566';

export function createFakeIdentityProvider(options: { rotate?: boolean } = {}): FakeIdentityProvider {
  const clientSecret = token('cs-');
  const codes = new Map<string, string>();
  const live = new Set<string>();
  const devices = new Map<string, () => void>();
  const faults: { kind: 'revoked' | 'unavailable' | 'revocation'; hits: number; removed: boolean }[] = [];
  const activeFault = (kind: 'revoked' | 'unavailable' | 'revocation') =>
    faults.find((f) => f.kind === kind && !f.removed);
  const addFault = (kind: 'revoked' | 'unavailable' | 'revocation'): FaultHandle => {
    const fault = { kind, hits: 0, removed: false };
    faults.push(fault);
    return {
      get hits() {
        return fault.hits;
      },
      remove: () => {
        fault.removed = true;
      },
    };
  };
  const issue = () => {
    const refreshToken = token('rt-');
    live.add(refreshToken);
    return { accessToken: token('at-'), refreshToken, expiresIn: 3600 };
  };
  const idp: FakeIdentityProvider = {
    clientSecret,
    mode: 'ok',
    revocationWorks: true,
    rotate: options.rotate ?? true,
    refreshAttempts: 0,
    settings: {
      clientId: CLIENT_ID,
      clientSecret: { secretRef: 'suite-client-secret' },
      authorizeUrl: 'https://idp.example.com/authorize',
      redirectUri: 'http://127.0.0.1:8080/callback',
    },
    secrets: { 'suite-client-secret': clientSecret },
    get rotatesRefreshTokens() {
      return idp.rotate;
    },
    async consent(start, decision) {
      const url = new URL(start.url);
      if (decision === 'deny')
        return { state: start.state, error: 'access_denied', error_description: 'The user declined.' };
      const code = token('code-');
      codes.set(code, url.searchParams.get('code_challenge') ?? '');
      return { state: start.state, code };
    },
    approveDeviceCode(prompt) {
      devices.get(prompt.userCode)?.();
    },
    failTokenRequests: (failure) => addFault(failure),
    failRevocation: () => addFault('revocation'),
    async token(request) {
      if (request.refreshToken !== undefined) {
        idp.refreshAttempts++;
        const revoked = activeFault('revoked');
        const unavailable = activeFault('unavailable');
        if (unavailable) {
          unavailable.hits++;
          throw Object.assign(new Error('Service Unavailable'), { status: 503 });
        }
        if (revoked) {
          revoked.hits++;
          throw { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' };
        }
      }
      if (request.clientSecret !== clientSecret) {
        throw { error: 'invalid_client', error_description: 'The client secret is not valid.' };
      }
      if (request.code !== undefined) {
        const challenge = codes.get(request.code);
        codes.delete(request.code);
        const computed = createHash('sha256')
          .update(request.verifier ?? '')
          .digest('base64url');
        if (challenge === undefined || challenge !== computed) {
          throw { error: 'invalid_grant', error_description: 'The code is not valid.' };
        }
        return issue();
      }
      const old = request.refreshToken ?? '';
      if (!live.has(old))
        throw { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' };
      if (!idp.rotate) return { accessToken: token('at-'), refreshToken: old, expiresIn: 3600 };
      live.delete(old);
      return issue();
    },
    async revoke(refreshToken) {
      const fault = activeFault('revocation');
      if (fault) {
        fault.hits++;
        throw Object.assign(new Error('Service Unavailable'), { status: 503 });
      }
      live.delete(refreshToken);
    },
    startDeviceCode() {
      const userCode = randomBytes(4).toString('hex').toUpperCase();
      const approved = new Promise<ReturnType<typeof issue>>((resolve) =>
        devices.set(userCode, () => resolve(issue())),
      );
      return { userCode, approved };
    },
  };
  return idp;
}
