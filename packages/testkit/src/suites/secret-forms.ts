/**
 * Looking for secrets where admins and logs see text: every form a secret takes when code
 * "just prints" it (raw, base64, base64url, hex, URL-encoded, or cut to its first characters),
 * on every surface an error has (message, hint, stack, JSON, util.inspect, its cause chain).
 */
import { inspect } from 'node:util';
import { isMailplugError } from '@mailplug/core';

/** A secret in play during a check, with a name the failure message can use. */
export interface KnownSecret {
  /** e.g. `the planted value of secret "clientSecret"`, `the refresh token in the token store`. */
  readonly what: string;
  readonly value: string;
}

/** Length of the prefix looked for: a log line that prints "the first few characters" of a token. */
export const SECRET_PREFIX_LENGTH = 12;

/** The encodings of `value` that leak it as surely as the value itself. */
export function secretForms(value: string): [form: string, text: string][] {
  const bytes = Buffer.from(value, 'utf8');
  const forms: [string, string][] = [
    ['raw', value],
    ['base64', bytes.toString('base64')],
    ['base64url', bytes.toString('base64url')],
    ['hex', bytes.toString('hex')],
  ];
  const encoded = encodeURIComponent(value);
  if (encoded !== value) forms.push(['URL-encoded', encoded]);
  // A JWT's first characters are its header, shared by every token of that issuer: not secret.
  if (!value.startsWith('eyJ'))
    forms.push([`first ${SECRET_PREFIX_LENGTH} characters`, value.slice(0, SECRET_PREFIX_LENGTH)]);
  return forms;
}

/** Every text an error shows: its own surfaces and those of each cause. */
export function errorSurfaces(error: unknown): [surface: string, text: string][] {
  const surfaces: [string, string][] = [];
  const safe = (name: string, produce: () => unknown) => {
    try {
      const text = produce();
      surfaces.push([name, typeof text === 'string' ? text : String(text)]);
    } catch {
      // A surface that cannot be produced shows nothing.
    }
  };
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; current !== null && current !== undefined && depth < 8 && !seen.has(current); depth++) {
    seen.add(current);
    const where = depth === 0 ? '' : `cause ${depth} `;
    if (typeof current === 'object') {
      const e = current as { message?: unknown; stack?: unknown; hint?: unknown; details?: unknown };
      safe(`${where}message`, () => e.message ?? '');
      safe(`${where}stack`, () => e.stack ?? '');
      if (isMailplugError(current)) {
        safe(`${where}hint`, () => e.hint);
        safe(`${where}toString()`, () => String(current));
        safe(`${where}details`, () => JSON.stringify(e.details ?? {}));
      }
      current = (current as { cause?: unknown }).cause;
    } else {
      safe(`${where}text`, () => String(current));
      current = undefined;
    }
  }
  safe('JSON', () => JSON.stringify(error));
  safe('util.inspect', () => inspect(error, { depth: 10 }));
  return surfaces;
}

/** The first leak found, described for a failure message; undefined when every surface is clean. */
export function findLeak(
  secrets: readonly KnownSecret[],
  texts: readonly [where: string, text: string][],
): string | undefined {
  for (const secret of secrets) {
    for (const [form, needle] of secretForms(secret.value)) {
      if (needle.length < 6) continue;
      for (const [where, text] of texts) {
        if (text.includes(needle)) return `${secret.what} appears (${form}) in ${where}.`;
      }
    }
  }
  return undefined;
}
