import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { StoredValue } from '../spec/v1/stores.js';
import { openPayload, SealedPayloadError, sealPayload } from './sealed-payload.js';
import { DEFAULT_TOKEN_KEY_ENV, resolveTokenStoreKey } from './store-key.js';

export interface EncryptedCodecOptions {
  /** 32-byte key as base64 or hex text, or raw bytes. */
  readonly key?: string | Uint8Array;
  /** File holding the key. */
  readonly keyFile?: string;
  /** Environment variable holding the key. Default `MAILPLUG_TOKEN_KEY`. */
  readonly keyEnv?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Turns stored values into text a shared store keeps, and back. */
export interface StoredValueCodec {
  encode(value: StoredValue): string;
  decode(text: string): StoredValue;
}

/**
 * An AES-256-GCM codec (the same sealed format as the encrypted file store, base64 text) for
 * TokenStores that keep values somewhere the host does not want plaintext tokens, such as Redis.
 * Fails at creation with TOKEN_STORE_KEY_MISSING / TOKEN_STORE_KEY_INVALID like the file store.
 *
 * @example
 * const tokenStore = createRedisTokenStore({ url, codec: createEncryptedCodec() }); // MAILPLUG_TOKEN_KEY
 */
export function createEncryptedCodec(options: EncryptedCodecOptions = {}): StoredValueCodec {
  const keyEnv = options.keyEnv ?? DEFAULT_TOKEN_KEY_ENV;
  const key = resolveTokenStoreKey({
    key: options.key,
    keyFile: options.keyFile,
    keyEnv,
    env: options.env ?? process.env,
    storePath: 'the shared token store',
  });
  return {
    encode: (value) => sealPayload(key, JSON.stringify(value)).toString('base64'),
    decode(text) {
      try {
        return JSON.parse(openPayload(key, Buffer.from(text, 'base64'))) as StoredValue;
      } catch (error) {
        throw mailplugError(
          CoreErrorCode.TokenStoreUnreadable,
          'admin',
          `A stored token value cannot be read: ${error instanceof SealedPayloadError ? error.message : 'it is not valid JSON'}.`,
          `Give every instance the same key (${keyEnv} or the keyFile option), or delete the entry so the account signs in again.`,
          { details: { keyEnv } },
        );
      }
    },
  };
}
