import { isMailplugError, type MailplugError, registerSecret } from '@mailplug/core';
import { propertyRun } from '@mailplug/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyImapError, type ImapClassificationContext } from '../src/errors.js';

const ACTIONS = ['user', 'admin', 'retry', 'developer'];
const CONTEXT: ImapClassificationContext = { host: 'imap.example.com', port: 993, command: 'FETCH' };

/** What imapflow puts on an error after a tagged NO/BAD or a failed sign-in, built from server text. */
const serverError = fc
  .record(
    {
      secret: fc.stringMatching(/^[A-Za-z0-9._~-]{12,40}$/),
      text: fc.string({ maxLength: 120 }),
      code: fc.oneof(
        fc.constantFrom('ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'NoConnection', 'EPROXY'),
        fc.string({ maxLength: 12 }),
      ),
      authenticationFailed: fc.boolean(),
      serverResponseCode: fc.oneof(
        fc.constantFrom(
          'AUTHENTICATIONFAILED',
          'UNAVAILABLE',
          'INUSE',
          'LIMIT',
          'EXPIRED',
          'ALERT',
          'PRIVACYREQUIRED',
        ),
        fc.string({ maxLength: 16 }),
      ),
      tlsFailed: fc.boolean(),
      oauthStatus: fc.option(fc.constantFrom('400', '401', 'invalid_token'), { nil: undefined }),
    },
    { requiredKeys: ['secret', 'text'] },
  )
  .map(({ secret, text, oauthStatus, ...rest }) => ({
    secret,
    error: Object.assign(new Error(`Command failed: ${text} ${secret}`), {
      ...rest,
      response: `A1 NO ${text} ${secret}`,
      ...(oauthStatus ? { oauthError: { status: oauthStatus, schemes: 'bearer', scope: secret } } : {}),
    }),
  }));

function expectWellFormed(err: MailplugError, secret: string): void {
  expect(isMailplugError(err)).toBe(true);
  expect(ACTIONS).toContain(err.action);
  expect(err.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
  expect(err.hint.length).toBeGreaterThan(10);
  for (const shown of [err.message, err.hint, JSON.stringify(err), err.stack ?? '']) {
    expect(shown).not.toContain(secret);
  }
}

describe('classifyImapError on arbitrary server responses', () => {
  const run = propertyRun<[{ secret: string; error: Error }]>({
    seed: 0x1a4,
    numRuns: 300,
    examples: [
      [
        {
          secret: 'Pl4nted-Imap-Password-1',
          error: Object.assign(new Error('Authentication failed Pl4nted-Imap-Password-1'), {
            authenticationFailed: true,
            serverResponseCode: 'AUTHENTICATIONFAILED',
            response: 'A1 NO [AUTHENTICATIONFAILED] Invalid credentials Pl4nted-Imap-Password-1',
          }),
        },
      ],
    ],
  });

  it(`never throws, always gives a MailplugError with a valid action and never shows the secret (${run.label})`, () => {
    fc.assert(
      fc.property(serverError, ({ secret, error }) => {
        registerSecret(secret);
        for (const credentialKind of ['password', 'oauth2'] as const) {
          expectWellFormed(classifyImapError(error, { ...CONTEXT, credentialKind }), secret);
        }
      }),
      run.params,
    );
  });

  const shapes = propertyRun<[unknown]>({
    seed: 0x1a5,
    numRuns: 300,
    examples: [
      [undefined],
      [null],
      [{ serverResponseCode: '' }],
      [{ serverResponseCode: 7 }],
      [Object.assign(Object.create(null), { code: 'ECONNRESET' })],
    ],
  });
  it(`accepts any thrown value: fields of any type, null-prototype objects, primitives (${shapes.label})`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything({ withNullPrototype: true }),
          fc.record(
            {
              code: fc.oneof(fc.string(), fc.anything()),
              message: fc.oneof(fc.string(), fc.anything()),
              authenticationFailed: fc.anything(),
              serverResponseCode: fc.oneof(fc.string(), fc.anything()),
              oauthError: fc.anything({ withNullPrototype: true }),
              tlsFailed: fc.anything(),
            },
            { requiredKeys: [], noNullPrototype: false },
          ),
        ),
        (thrown) => {
          const err = classifyImapError(thrown, CONTEXT);
          expect(isMailplugError(err)).toBe(true);
          expect(ACTIONS).toContain(err.action);
          expect(() => JSON.stringify(err)).not.toThrow();
        },
      ),
      shapes.params,
    );
  });

  it('a temporary authentication failure is retry, a refused password a user fix (examples)', () => {
    const busy = classifyImapError(
      Object.assign(new Error('Authentication failed'), {
        authenticationFailed: true,
        serverResponseCode: 'UNAVAILABLE',
      }),
      CONTEXT,
    );
    expect(busy.action).toBe('retry');
    const refused = classifyImapError(
      Object.assign(new Error('Authentication failed'), {
        authenticationFailed: true,
        serverResponseCode: 'AUTHENTICATIONFAILED',
      }),
      { ...CONTEXT, credentialKind: 'password' },
    );
    expect(refused.action).toBe('user');
  });
});
