/**
 * Redaction is built into every error and log line. Two layers:
 * 1. values the library knows are secret (every secret read from a SecretStore, every token the
 *    TokenManager handles) are replaced wherever they appear;
 * 2. shapes that are always secret (bearer tokens, JWTs, SASL XOAUTH2 blobs, `password=` pairs)
 *    are masked even when the value was never registered.
 */
const MAX_KNOWN = 10_000;
const known = new Set<string>();

/** Remember a value that must never be shown. Short values are ignored (they would mask ordinary words). */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 6) return;
  if (known.has(value)) {
    // Refresh recency so long-lived secrets are not evicted.
    known.delete(value);
  }
  known.add(value);
  if (known.size > MAX_KNOWN) {
    const oldest = known.values().next().value;
    if (oldest !== undefined) known.delete(oldest);
  }
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
  // key=value and "key": "value" pairs whose key names a secret.
  [
    /((?:password|passwd|pass|secret|client_secret|clientSecret|refresh_token|refreshToken|access_token|accessToken|assertion|client_assertion|code_verifier|apiKey|api_key|private_key|privateKey)["']?\s*[:=]\s*["']?)([^"'\s&,}]{3,})/gi,
    (_m, key) => `${key}${REDACTED}`,
  ],
];

/** Returns `text` with every known secret and every secret-shaped substring masked. */
export function redact(text: string): string {
  let out = text;
  for (const secret of known) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replace] of RULES) {
    out = out.replace(pattern, replace as (match: string, ...rest: unknown[]) => string);
  }
  return out;
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
