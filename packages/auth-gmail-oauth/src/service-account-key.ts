/** Reading a Google service account JSON key without ever echoing it. */
import { type MailplugError, mailplugError, registerSecret } from '@mailplug/core';
import { GmailErrorCode } from './errors.js';

/** The fields of a Google service account key that this provider uses. */
export interface ServiceAccountKey {
  readonly clientEmail: string;
  readonly privateKey: string;
  readonly clientId?: string;
  readonly privateKeyId?: string;
}

function keyInvalid(field: string, problem: string): MailplugError {
  return mailplugError(
    GmailErrorCode.ServiceAccountKeyInvalid,
    'admin',
    `The service account key ${problem}.`,
    `Download a new JSON key (Google Cloud console → IAM & Admin → Service accounts → Keys → Add key → JSON) and store the whole file in the secret store; the "${field}" field must be present.`,
    { details: { field } },
  );
}

/**
 * Parses a service account JSON key, naming the missing or malformed field. The JSON parser's
 * own message is never passed on: it quotes the input, which holds the private key.
 */
export function parseServiceAccountKey(text: string): ServiceAccountKey {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw keyInvalid('(whole file)', 'is not valid JSON (paste the complete .json file, not the key alone)');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw keyInvalid('(whole file)', 'is not a JSON object');
  const k = json as Record<string, unknown>;
  if (k.type !== undefined && k.type !== 'service_account') {
    throw keyInvalid(
      'type',
      `is of type "${String(k.type)}", not "service_account" (an OAuth client file was probably stored)`,
    );
  }
  if (typeof k.client_email !== 'string' || !k.client_email.includes('@')) {
    throw keyInvalid('client_email', 'has no valid "client_email"');
  }
  if (typeof k.private_key !== 'string' || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(k.private_key)) {
    throw keyInvalid('private_key', 'has no PEM "private_key"');
  }
  registerSecret(k.private_key);
  return {
    clientEmail: k.client_email,
    privateKey: k.private_key,
    ...(typeof k.client_id === 'string' ? { clientId: k.client_id } : {}),
    ...(typeof k.private_key_id === 'string' ? { privateKeyId: k.private_key_id } : {}),
  };
}
