/**
 * SASL XOAUTH2 for nodemailer as a `customAuth` handler, so that a long access token never makes
 * the AUTH command line longer than SMTP allows.
 *
 * nodemailer's built-in XOAUTH2 always sends the initial response on the AUTH line. A Microsoft
 * access token is a 1.3–2.5 KB JWT, so that line passes the 512-octet command limit of RFC 5321
 * §4.5.3.1.4, and strict servers (Dovecot 2.3 submission: `500 5.5.2 Line too long`) refuse it.
 * RFC 4954 §4 says a client MUST NOT use the initial-response parameter then: it sends
 * `AUTH XOAUTH2`, waits for `334`, and sends the response on a line of its own. Short tokens
 * (Google's) keep the one-line form, which saves a round trip.
 *
 * Everything else mirrors the built-in mechanism: the token comes from nodemailer's per-connection
 * OAuth2 helper (whose `provisionCallback` asks the CredentialSource), a `334` error challenge is
 * answered with an empty line and the login is tried exactly once more with a renewed token, and
 * failures carry the server's reply so that `classifySmtpError` maps them the same way.
 */

/** RFC 5321 §4.5.3.1.4: a command line, including the command word and CRLF, is at most 512 octets. */
export const SMTP_COMMAND_LINE_LIMIT = 512;

/** The XOAUTH2 command this handler sends, as seen on the wire (the response is base64, ASCII). */
export function xoauth2CommandLine(initialResponse: string): string {
  return `AUTH XOAUTH2 ${initialResponse}`;
}

/** Whether `AUTH XOAUTH2 <initialResponse>` plus CRLF fits the SMTP command line limit. */
export function fitsOnAuthLine(initialResponse: string): boolean {
  return Buffer.byteLength(xoauth2CommandLine(initialResponse), 'latin1') + 2 <= SMTP_COMMAND_LINE_LIMIT;
}

/** The part of nodemailer's OAuth2 helper (`nodemailer/lib/xoauth2`) the handler uses. */
interface OAuth2TokenSource {
  getToken(renew: boolean, callback: (error: Error | null, accessToken?: string) => void): void;
  buildXOAuth2Token(accessToken: string): string;
}

/** The parsed server reply nodemailer hands a custom handler. */
interface CommandReply {
  readonly status: number;
  readonly response: string;
}

/** The part of nodemailer's custom auth context the handler uses (both nodemailer 10's and @types'). */
export interface XOAuth2AuthContext {
  readonly auth: { readonly oauth2?: unknown };
  sendCommand(command: string): Promise<CommandReply>;
}

function tokenSource(context: XOAuth2AuthContext): OAuth2TokenSource {
  const oauth2 = context.auth.oauth2 as Partial<OAuth2TokenSource> | undefined;
  if (typeof oauth2?.getToken !== 'function' || typeof oauth2.buildXOAuth2Token !== 'function') {
    // Only registered for OAuth credentials; reaching this is a wiring bug, not a server problem.
    throw new Error('XOAUTH2 was selected without an OAuth2 token source');
  }
  return oauth2 as OAuth2TokenSource;
}

function getToken(oauth2: OAuth2TokenSource, renew: boolean): Promise<string> {
  return new Promise((resolve, reject) =>
    oauth2.getToken(renew, (error, accessToken) =>
      error || !accessToken ? reject(error ?? new Error('No access token')) : resolve(accessToken),
    ),
  );
}

/**
 * nodemailer formats a rejection with the last server reply (code, response, command `AUTH XOAUTH2`),
 * exactly like its built-in "Invalid login".
 */
const invalidLogin = () => new Error('Invalid login');
const isSuccess = (reply: CommandReply) => reply.status >= 200 && reply.status < 300;

/** Sends the initial response on the AUTH line when it fits, otherwise after the server's `334`. */
async function sendInitialResponse(
  context: XOAuth2AuthContext,
  initialResponse: string,
): Promise<CommandReply> {
  if (fitsOnAuthLine(initialResponse)) return context.sendCommand(xoauth2CommandLine(initialResponse));
  const challenge = await context.sendCommand('AUTH XOAUTH2');
  if (challenge.status !== 334) throw invalidLogin();
  return context.sendCommand(initialResponse);
}

/**
 * The `customAuth.XOAUTH2` handler. Resolves when the server accepted the token; rejects with the
 * token source's error, or with "Invalid login" carrying the server's last reply.
 *
 * @example
 * nodemailer.createTransport({
 *   host, port,
 *   auth: { type: 'OAuth2', user, provisionCallback },
 *   customAuth: { XOAUTH2: authenticateXOAuth2 },
 * });
 */
export async function authenticateXOAuth2(context: XOAuth2AuthContext): Promise<void> {
  const oauth2 = tokenSource(context);
  for (const renew of [false, true]) {
    const accessToken = await getToken(oauth2, renew);
    const reply = await sendInitialResponse(context, oauth2.buildXOAuth2Token(accessToken));
    if (isSuccess(reply)) return;
    if (reply.status !== 334) throw invalidLogin();
    // A 334 carries the base64 JSON error; the client ends the exchange with an empty line and the
    // server then answers 535. The first time, a renewed token gets one more try.
    const final = await context.sendCommand('');
    if (renew) {
      if (isSuccess(final)) return;
      throw invalidLogin();
    }
  }
}
