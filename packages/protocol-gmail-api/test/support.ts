import {
  createEmulatorAgent,
  DEFAULT_IDS,
  type Emulator,
  redirectGoogleRequests,
  startEmulator,
} from '@mailplug/emulator';
import { type RecordingCredentialSource, recordingCredentials } from '@mailplug/testkit';
import { JWT, OAuth2Client } from 'google-auth-library';
import { Agent, fetch } from 'undici';

export const ALICE = 'alice@contoso.test';
export const BOB = 'bob@contoso.test';
export const GMAIL_SEND = 'https://www.googleapis.com/auth/gmail.send';
export const MAIL_GOOGLE = 'https://mail.google.com/';
export const SENDER_SERVICE_ACCOUNT = 'notifier@emulator-project.iam.gserviceaccount.com';

export async function startGmailEmulator(): Promise<Emulator> {
  const emulator = await startEmulator({
    identity: { autoApprove: 'first-user' },
    mail: { tokenExpirySkewMs: 0 },
  });
  emulator.identity.addGoogleServiceAccount({
    clientEmail: SENDER_SERVICE_ACCOUNT,
    domainWideDelegation: [GMAIL_SEND],
  });
  return emulator;
}

/**
 * Credentials from a google-auth-library client, as a Google provider session hands them out:
 * `forget()` drops the cached access token so that `forceRefresh` gets a new one.
 */
function googleCredentials(
  client: OAuth2Client,
  user: string,
  scopes: () => string[],
  forget: () => void,
): RecordingCredentialSource {
  return recordingCredentials(async (request) => {
    if (request.forceRefresh) forget();
    const { token } = await client.getAccessToken();
    if (!token) throw new Error('no access token');
    return {
      kind: 'oauth2',
      user,
      accessToken: token,
      expiresAt: client.credentials.expiry_date ?? Date.now() + 3_600_000,
      scopes: scopes().filter(Boolean),
    };
  });
}

/** A user's sign-in with PKCE through google-auth-library's OAuth2Client, the emulator consenting. */
export async function userSource(
  emulator: Emulator,
  scopes: string[] = [GMAIL_SEND],
): Promise<RecordingCredentialSource> {
  const redirectUri = 'http://127.0.0.1/callback';
  const client = new OAuth2Client({
    clientId: DEFAULT_IDS.googleClientId,
    clientSecret: DEFAULT_IDS.googleClientSecret,
    redirectUri,
    endpoints: emulator.urls.googleEndpoints,
    transporterOptions: { agent: createEmulatorAgent(emulator.caCertPem) },
  });
  const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
  const url = client.generateAuthUrl({
    access_type: 'offline',
    prompt: 'consent',
    scope: scopes,
    ...(codeChallenge === undefined ? {} : { code_challenge: codeChallenge }),
    code_challenge_method: 'S256' as never,
    login_hint: ALICE,
  });
  const dispatcher = new Agent({ connect: { ca: emulator.caCertPem } });
  const answer = await fetch(url, { redirect: 'manual', dispatcher });
  await answer.text();
  await dispatcher.close();
  const code = new URL(answer.headers.get('location') ?? 'http://x/').searchParams.get('code');
  if (!code) throw new Error(`no authorization code (${answer.status})`);
  const { tokens } = await client.getToken({ code, codeVerifier });
  client.setCredentials(tokens);
  return googleCredentials(
    client,
    ALICE,
    () => (client.credentials.scope ?? scopes.join(' ')).split(' '),
    () => client.setCredentials({ ...client.credentials, access_token: null, expiry_date: 0 }),
  );
}

/** A Workspace service account acting as `subject` (domain-wide delegation), google-auth-library's JWT client. */
export function serviceAccountSource(
  emulator: Emulator,
  subject: string,
  scopes: string[] = [GMAIL_SEND],
): RecordingCredentialSource {
  const key = emulator.identity.serviceAccountKey(SENDER_SERVICE_ACCOUNT, emulator.urls.googleBase);
  const jwt = new JWT({
    ...(key.client_email === undefined ? {} : { email: key.client_email }),
    ...(key.private_key === undefined ? {} : { key: key.private_key }),
    scopes,
    subject,
    transporterOptions: { agent: createEmulatorAgent(emulator.caCertPem) },
  });
  redirectGoogleRequests(jwt, emulator.urls.googleBase);
  return googleCredentials(
    jwt,
    subject,
    () => scopes,
    () => {
      jwt.credentials = {};
    },
  );
}

export function gmailRequests(emulator: Emulator): number {
  return emulator.requests.filter((r) => r.path.startsWith('/gmail-api/')).length;
}
