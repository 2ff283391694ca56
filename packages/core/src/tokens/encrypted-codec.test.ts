import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isMailplugError } from '../spec/v1/mailplug-error.js';
import { createEncryptedCodec } from './encrypted-codec.js';

const key = randomBytes(32).toString('base64');

describe('createEncryptedCodec', () => {
  it('round-trips values and never shows the plaintext in the encoded text', () => {
    const codec = createEncryptedCodec({ key });
    const value = { refreshToken: 'rt-plaintext-refresh-token', scopes: ['https://mail.google.com/'] };
    const text = codec.encode(value);
    expect(text).not.toContain('rt-plaintext-refresh-token');
    expect(Buffer.from(text, 'base64').toString('latin1')).not.toContain('rt-plaintext-refresh-token');
    expect(codec.decode(text)).toEqual(value);
    // A fresh IV per value: the same value never encodes to the same text.
    expect(codec.encode(value)).not.toBe(text);
  });

  it('a different key or tampered text is an admin error, not a crash or plaintext', () => {
    const text = createEncryptedCodec({ key }).encode({ accessToken: 'at-secret-value' });
    const other = createEncryptedCodec({ key: randomBytes(32).toString('hex') });
    for (const bad of [text, `${text.slice(0, -4)}AAAA`, 'not-base64-at-all']) {
      const err = (() => {
        try {
          other.decode(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(isMailplugError(err) && [err.code, err.action]).toEqual(['TOKEN_STORE_UNREADABLE', 'admin']);
      expect(JSON.stringify(err)).not.toContain('at-secret-value');
    }
  });

  it('names the environment variable when no key is configured', () => {
    const err = (() => {
      try {
        createEncryptedCodec({ env: {} });
      } catch (e) {
        return e;
      }
    })();
    expect(isMailplugError(err) && err.code).toBe('TOKEN_STORE_KEY_MISSING');
    expect(isMailplugError(err) && `${err.message} ${err.hint}`).toContain('MAILPLUG_TOKEN_KEY');
  });
});
