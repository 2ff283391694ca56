import { readFileSync } from 'node:fs';
import { CoreErrorCode, mailplugError } from '../errors/codes.js';

export const DEFAULT_TOKEN_KEY_ENV = 'MAILPLUG_TOKEN_KEY';
const GENERATE = 'generate one with `openssl rand -base64 32`';

export interface TokenKeySources {
  readonly key?: string | Uint8Array | undefined;
  readonly keyFile?: string | undefined;
  readonly keyEnv: string;
  readonly env: NodeJS.ProcessEnv;
  /** The store file, named in messages so the admin knows which store is affected. */
  readonly storePath: string;
}

/**
 * Resolves the 32-byte AES key from the `key` option, else `keyFile`, else the environment
 * variable. Errors name every source and how to generate a key, never the key text itself.
 */
export function resolveTokenStoreKey(sources: TokenKeySources): Buffer {
  const { key, keyFile, keyEnv, env, storePath } = sources;
  if (key !== undefined) {
    if (typeof key !== 'string') {
      if (key.byteLength === 32) return Buffer.from(key);
      throw invalidKey('the key option', storePath, keyEnv);
    }
    return parseKeyText(key, 'the key option', storePath, keyEnv);
  }
  if (keyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(keyFile, 'utf8');
    } catch (error) {
      throw mailplugError(
        CoreErrorCode.TokenStoreKeyMissing,
        'admin',
        `The token store key file ${keyFile} for ${storePath} cannot be read.`,
        `Create ${keyFile} (mode 0600) containing a 32-byte key in base64 or hex — ${GENERATE} — or set ${keyEnv} instead of the keyFile option.`,
        { cause: error, details: { keyFile, keyEnv, storePath } },
      );
    }
    return parseKeyText(text, `the key file ${keyFile}`, storePath, keyEnv);
  }
  const fromEnv = env[keyEnv];
  if (fromEnv === undefined || fromEnv.trim() === '') {
    throw mailplugError(
      CoreErrorCode.TokenStoreKeyMissing,
      'admin',
      `No encryption key is configured for the token store ${storePath}.`,
      `Set the ${keyEnv} environment variable (or the keyFile option) to a 32-byte key in base64 or hex; ${GENERATE}.`,
      { details: { keyEnv, storePath } },
    );
  }
  return parseKeyText(fromEnv, `the ${keyEnv} environment variable`, storePath, keyEnv);
}

function parseKeyText(raw: string, source: string, storePath: string, keyEnv: string): Buffer {
  const text = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  // Standard or URL-safe base64 of 32 bytes is 43 characters plus one optional '=' pad.
  if (/^[A-Za-z0-9+/]{43}=?$/.test(text) || /^[A-Za-z0-9_-]{43}=?$/.test(text)) {
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length === 32) return bytes;
  }
  throw invalidKey(source, storePath, keyEnv);
}

function invalidKey(source: string, storePath: string, keyEnv: string) {
  return mailplugError(
    CoreErrorCode.TokenStoreKeyInvalid,
    'admin',
    `The token store key from ${source} for ${storePath} is not 32 bytes in base64 or hex.`,
    `Replace it (via ${keyEnv} or the keyFile option) with a 32-byte key in base64 or hex; ${GENERATE}.`,
    { details: { source, keyEnv, storePath } },
  );
}
