import { processWide } from './process-wide.js';

/**
 * Redaction is built into every error and log line. Two layers:
 * 1. values the library knows are secret (every secret read from a SecretStore, every token the
 *    TokenManager handles) are replaced wherever they appear;
 * 2. shapes that are always secret (bearer tokens, JWTs, SASL XOAUTH2 blobs, `password=` pairs)
 *    are masked even when the value was never registered.
 */
const MAX_KNOWN = 10_000;
/** Shortest secret registered; shorter ones are masked only as whole words (see `shortKnown`). */
const MIN_SECRET_LENGTH = 4;
/** Secrets below this length are matched as whole words only, so "pass1" cannot mask "passenger". */
const WORD_MATCH_BELOW = 8;
/** A token cut short in a log line still identifies it: its first characters are masked too. */
const PREFIX_LENGTH = 12;

/**
 * Process-wide, on `globalThis` under a registered symbol: two copies of core in one process (a
 * CommonJS host and an ESM adapter, or two installed versions) share one registry, so a secret an
 * adapter registers is masked by the host's logger.
 */
interface RedactionState {
  /** Every form a secret travels in (raw, base64, base64url, hex, URL-encoded, prefix). */
  readonly known: Set<string>;
  readonly shortKnown: Set<string>;
  /** The raw secrets, for decoding checks of base64 blobs that embed them (SASL PLAIN, Basic). */
  readonly raw: Set<string>;
}
const state: RedactionState = processWide('redaction.v1', () => ({
  known: new Set<string>(),
  shortKnown: new Set<string>(),
  raw: new Set<string>(),
}));

function remember(set: Set<string>, value: string): void {
  // Refresh recency so long-lived secrets are not evicted.
  if (set.has(value)) set.delete(value);
  set.add(value);
  if (set.size > MAX_KNOWN) {
    const oldest = set.values().next().value;
    if (oldest !== undefined) set.delete(oldest);
  }
}

/** The encodings a secret travels in on the wire and in echoed requests. */
function encodings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const base64 = bytes.toString('base64');
  return [
    value,
    base64,
    base64.replace(/=+$/, ''),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
  ];
}

/**
 * Remember a value that must never be shown, in every encoding it may travel in. Values under 4
 * characters are ignored; under 8 they are masked only as whole words.
 */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  remember(state.raw, value);
  if (value.length < WORD_MATCH_BELOW) {
    remember(state.shortKnown, value);
    for (const encoded of encodings(value).slice(1))
      if (encoded.length >= WORD_MATCH_BELOW) remember(state.known, encoded);
    return;
  }
  for (const encoded of new Set(encodings(value))) remember(state.known, encoded);
  if (value.length > PREFIX_LENGTH + 8) remember(state.known, value.slice(0, PREFIX_LENGTH));
}

export const REDACTED = '[REDACTED]';

type Rule = readonly [RegExp, (match: string, ...groups: string[]) => string];
const mask = () => REDACTED;

const RULES: readonly Rule[] = [
  // PEM private keys.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, mask],
  // JSON Web Tokens (three base64url segments starting with a JSON header).
  [/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, mask],
  // Google access and refresh tokens.
  [/\bya29\.[A-Za-z0-9._-]{8,}/g, mask],
  [/\b1\/\/[A-Za-z0-9_-]{10,}/g, mask],
  // Authorization headers and XOAUTH2 payloads (`auth=Bearer x`).
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, (_m, word) => `${word} ${REDACTED}`],
  // Base64 of "user=" — the start of a SASL XOAUTH2 initial response.
  [/dXNlcj[A-Za-z0-9+/=]{16,}/g, mask],
  // HTTP Basic credentials.
  [/\b(Basic)\s+[A-Za-z0-9+/=]{8,}/gi, (_m, word) => `${word} ${REDACTED}`],
  // SASL lines a server may echo: `AUTH PLAIN <b64>`, `AUTH LOGIN <b64>`, `AUTH XOAUTH2 <b64>`.
  [
    /\b(AUTH\s+(?:PLAIN|LOGIN|XOAUTH2|OAUTHBEARER))\s+[A-Za-z0-9+/=]{4,}/gi,
    (_m, cmd) => `${cmd} ${REDACTED}`,
  ],
  // An OAuth authorization code in an echoed query or form body.
  [/([?&]code=)[^&\s"']+/g, (_m, key) => `${key}${REDACTED}`],
  // key=value and "key": "value" pairs whose key names a secret.
  [
    /((?:password|passwd|pass|secret|client_secret|clientSecret|refresh_token|refreshToken|access_token|accessToken|assertion|client_assertion|code_verifier|apiKey|api_key|private_key|privateKey)["']?\s*[:=]\s*["']?)([^"'\s&,}]{3,})/gi,
    (_m, key) => `${key}${REDACTED}`,
  ],
];

/** Returns `text` with every known secret and every secret-shaped substring masked. */
export function redact(text: string): string {
  let out = text;
  for (const secret of state.known) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const secret of state.shortKnown) {
    if (out.includes(secret)) out = out.replace(wordPattern(secret), REDACTED);
  }
  if (state.raw.size > 0) out = out.replace(BASE64_RUN, (run) => (decodesToSecret(run) ? REDACTED : run));
  for (const [pattern, replace] of RULES) {
    out = out.replace(pattern, replace as (match: string, ...rest: unknown[]) => string);
  }
  return out;
}

/** Base64 runs long enough to carry a SASL blob (`\0user\0password`, `user:password`). */
const BASE64_RUN = /[A-Za-z0-9+/_-]{8,}={0,2}/g;

/** Whether a base64 run decodes to text that contains a registered secret. */
function decodesToSecret(run: string): boolean {
  let decoded: string;
  try {
    decoded = Buffer.from(run.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
  } catch {
    return false;
  }
  for (const secret of state.raw) if (decoded.includes(secret)) return true;
  return false;
}

function wordPattern(secret: string): RegExp {
  return new RegExp(`(?<![A-Za-z0-9])${secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9])`, 'g');
}

/** Deep-redacts a JSON-like value (strings anywhere; values of secret-named keys entirely). */
export function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] =
        SECRET_KEY.test(k) && v != null && typeof v !== 'object' ? REDACTED : redactValue(v, depth + 1);
    }
    return out;
  }
  return value;
}

// Any key that names a password, secret, token, assertion, private key or PKCE verifier.
// `secretRef` holds the *name* of a secret in the host's store, which admins need to see.
const SECRET_KEY =
  /(password|passwd|^pass$|secret(?!_?ref$)|token$|assertion|private_?key|code_?verifier|api_?key)/i;
