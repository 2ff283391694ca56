import {
  type CredentialSource,
  type DiagnosticReport,
  MailplugError,
  type OAuth2Credential,
  type ProbeOptions,
  type ServerSettings,
} from '@mailplug/core';
import { type ProbeStepOutcome, probeHttpSend } from '@mailplug/http-send';
import { graphScopes } from './graph-clouds.js';
import {
  connectGraph,
  createGraphEndpoint,
  GRAPH_API,
  type GraphConnectionContext,
  type GraphEndpoint,
  requestContext,
} from './graph-connection.js';
import { classifyGraphResponse, GraphErrorCode, readGraphError } from './graph-errors.js';
import { isGraphAudience, tokenFacts } from './token-facts.js';

const LABELS: Record<string, string> = {
  credential: 'Access token',
  token: 'Token audience and permissions',
  auth: 'Graph accepts the token for the mailbox',
  send: 'Send test message',
};

/** The body of the authorization check: not base64, so Graph can never turn it into a message. */
const NOT_A_MESSAGE = '*mailplug authorization check: not a message*';

/**
 * Graph answers the malformed body with 400 only after it accepted the token, the permission and
 * the mailbox (authorization is checked before the body is read).
 */
const BODY_REFUSALS = new Set([
  'ErrorMimeContentInvalidBase64String',
  'BadRequest',
  'ErrorInvalidRequest',
  'RequestBodyRead',
]);

/**
 * "Test connection" for Microsoft Graph sendMail. Proves, step by step: a token is handed out for
 * the `graph` protocol; it is for Graph and carries Mail.Send (read from the token, no request);
 * Graph is reachable through TLS and any proxy and accepts that token for the mailbox — it passed
 * Graph's authentication, permission, application access policy and mailbox checks, which Graph
 * runs before it reads the body — without sending anything; with `testMessage`, a real send.
 * It does not prove Send As for another From address or that recipients resolve.
 */
export function probeGraph(
  server: ServerSettings,
  credentials: CredentialSource,
  options: ProbeOptions,
  context: GraphConnectionContext,
): Promise<DiagnosticReport> {
  return probeHttpSend<GraphEndpoint>({
    api: GRAPH_API,
    labels: LABELS,
    credentials,
    options,
    open: () => createGraphEndpoint(server, context.settings),
    checks: [
      { id: 'token', run: checkToken },
      { id: 'auth', run: checkAuthorization },
    ],
    connect: (connectOptions) => connectGraph(server, credentials, connectOptions, context),
  });
}

/** The token is for Graph (of the account's cloud) and carries Mail.Send: read from the token, no request. */
async function checkToken(endpoint: GraphEndpoint, credential: OAuth2Credential): Promise<ProbeStepOutcome> {
  const facts = tokenFacts(credential);
  const cloud = endpoint.cloud;
  const data = {
    audience: facts.audience,
    permissions: facts.permissions,
    appOnly: facts.appOnly,
    cloud: cloud.id,
  };
  if (facts.audience === undefined)
    return { detail: 'The token is not readable here; Graph checks it in the next step.', data };
  const ctx = requestContext(credential, cloud);
  const scopes = graphScopes(cloud);
  if (!isGraphAudience(facts.audience, cloud)) {
    throw new MailplugError({
      code: GraphErrorCode.WrongAudience,
      action: 'developer',
      message: `The access token is for ${facts.audience}, not for Microsoft Graph (${cloud.resource}).`,
      hint: `Request a separate token for Graph with the scope ${facts.appOnly ? scopes.appOnly : scopes.delegated} (the Outlook token used for SMTP/IMAP/POP does not work for Graph).`,
      details: data,
    });
  }
  const canSend = facts.permissions.some((p) => p === 'Mail.Send' || p === 'Mail.Send.Shared');
  if (!canSend) {
    throw new MailplugError({
      code: GraphErrorCode.AccessDenied,
      action: 'admin',
      message: `The Graph token for ${ctx.mailbox} does not carry Mail.Send (it has: ${facts.permissions.join(', ') || 'no permissions'}).`,
      hint: facts.appOnly
        ? 'In the Azure portal open the app registration → API permissions → Add a permission → Microsoft Graph → Application permissions → Mail.Send, then press "Grant admin consent".'
        : `In the Azure portal add the delegated Microsoft Graph permission Mail.Send, grant admin consent, and sign in again so the token includes ${scopes.delegated}.`,
      details: data,
    });
  }
  return {
    detail: `${facts.appOnly ? 'App-only' : 'Delegated'} token for ${facts.audience} with ${facts.permissions.filter((p) => p.startsWith('Mail.')).join(', ')}`,
    data,
  };
}

/**
 * Graph accepts the token for the mailbox: a sendMail whose body is not a message passes Graph's
 * authentication, permission, policy and mailbox checks, and is then refused without sending.
 */
async function checkAuthorization(
  endpoint: GraphEndpoint,
  credential: OAuth2Credential,
  signal: AbortSignal | undefined,
): Promise<ProbeStepOutcome> {
  const response = await endpoint.postSendMail(credential, NOT_A_MESSAGE, signal);
  const graphCode = readGraphError(response).code ?? '';
  if (response.status === 400 && BODY_REFUSALS.has(graphCode)) {
    return {
      detail: `Graph accepted the token for ${credential.user} and refused the deliberately malformed message (${graphCode}); nothing was sent.`,
      data: { status: response.status, graphCode, url: endpoint.sendMailUrl(credential.user) },
    };
  }
  if (response.status >= 200 && response.status < 300) {
    throw new MailplugError({
      code: GraphErrorCode.Failed,
      action: 'admin',
      message: `${endpoint.transport.origin} accepted a malformed sendMail request (${response.status}); it does not behave like Microsoft Graph.`,
      hint: 'Check the server host of the account: graph.microsoft.com (or the Graph host of your national cloud), port 443.',
    });
  }
  throw classifyGraphResponse(response, requestContext(credential, endpoint.cloud));
}
