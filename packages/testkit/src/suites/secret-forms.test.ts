import { inspect } from 'node:util';
import { mailplugError } from '@mailplug/core';
import { describe, expect, it } from 'vitest';
import { errorSurfaces, findLeak, secretForms } from './secret-forms.js';

const secret = { what: 'the planted secret', value: 'pl4nted/Secret+value=with?chars' };

describe('secretForms', () => {
  it('covers raw, base64, base64url, hex, URL-encoded and the first 12 characters', () => {
    expect(Object.fromEntries(secretForms(secret.value))).toEqual({
      raw: secret.value,
      base64: Buffer.from(secret.value).toString('base64'),
      base64url: Buffer.from(secret.value).toString('base64url'),
      hex: Buffer.from(secret.value).toString('hex'),
      'URL-encoded': encodeURIComponent(secret.value),
      'first 12 characters': 'pl4nted/Secr',
    });
  });

  it("leaves out a JWT's first characters, which every token of its issuer shares", () => {
    expect(secretForms('eyJhbGciOiJSUzI1NiJ9.payload.signature').map(([form]) => form)).not.toContain(
      'first 12 characters',
    );
  });
});

describe('findLeak', () => {
  const leaked = (text: string) => findLeak([secret], [['the message', text]]);

  it.each(secretForms(secret.value))('finds the %s form', (form, text) => {
    expect(leaked(`refresh failed for ${text}`)).toBe(`the planted secret appears (${form}) in the message.`);
  });

  it('passes clean text', () => {
    expect(leaked('refresh failed for [REDACTED]')).toBeUndefined();
  });
});

describe('errorSurfaces', () => {
  it('covers message, stack, hint, details, JSON and util.inspect, down the cause chain', () => {
    const inner = Object.assign(new Error('inner text'), { cause: { message: 'innermost text' } });
    const error = mailplugError('X_CODE', 'admin', 'outer text', 'the hint text', {
      cause: inner,
      details: { field: 'detail text' },
    });
    const surfaces = new Map(errorSurfaces(error));
    expect(surfaces.get('message')).toBe('outer text');
    expect(surfaces.get('hint')).toBe('the hint text');
    expect(surfaces.get('details')).toContain('detail text');
    expect(surfaces.get('stack')).toContain('outer text');
    expect(surfaces.get('cause 1 message')).toBe('inner text');
    expect(surfaces.get('JSON')).toContain('X_CODE');
    expect(surfaces.get('util.inspect')).toBe(inspect(error, { depth: 10 }));
  });

  it('survives errors that cannot be printed', () => {
    const hostile = Object.create(null) as object;
    expect(() => errorSurfaces(hostile)).not.toThrow();
    expect(errorSurfaces('a string error')).toContainEqual(['text', 'a string error']);
  });
});
