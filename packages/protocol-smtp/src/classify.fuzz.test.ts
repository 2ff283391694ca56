import { isMailplugError, type MailplugError, registerSecret } from '@mailplug/core';
import { propertyRun } from '@mailplug/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifySmtpError, type SmtpClassificationContext } from './classify.js';

const ACTIONS = ['user', 'admin', 'retry', 'developer'];

/** Secret-looking text the server might echo back (a password or token the library registered). */
const secretArb = fc.stringMatching(/^[A-Za-z0-9._~-]{12,40}$/);

const replyText = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc
    .array(
      fc.constantFrom(
        '5.7.8',
        '5.7.3',
        '4.7.0',
        '5.7.139',
        '5.1.1',
        '4.4.2',
        'Authentication unsuccessful',
        'SmtpClientAuthentication is disabled',
        'basic authentication is disabled',
        'Username and Password not accepted',
        'Too many connections',
        '\r\n',
        ' ',
        '-',
      ),
      { maxLength: 8 },
    )
    .map((parts) => parts.join(' ')),
);

interface Case {
  readonly secret: string;
  readonly encodeSecret: boolean;
  readonly replyCode: number | undefined;
  readonly text: string;
  readonly errorCode: string | undefined;
  readonly command: string | undefined;
  readonly context: SmtpClassificationContext;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  secret: secretArb,
  encodeSecret: fc.boolean(),
  replyCode: fc.option(fc.oneof(fc.integer({ min: 200, max: 599 }), fc.integer()), { nil: undefined }),
  text: replyText,
  errorCode: fc.option(
    fc.oneof(
      fc.constantFrom(
        'EAUTH',
        'EENVELOPE',
        'EMESSAGE',
        'ETIMEDOUT',
        'ECONNECTION',
        'ESOCKET',
        'EPROXY',
        'ETLS',
      ),
      fc.string({ maxLength: 12 }),
    ),
    { nil: undefined },
  ),
  command: fc.option(fc.constantFrom('AUTH XOAUTH2', 'AUTH PLAIN', 'MAIL FROM', 'RCPT TO', 'DATA', 'CONN'), {
    nil: undefined,
  }),
  context: fc.record(
    {
      credentialKind: fc.constantFrom('password' as const, 'oauth2' as const),
      host: fc.constant('smtp.example.com'),
      port: fc.constant(587),
    },
    { requiredKeys: [] },
  ),
});

/** A nodemailer-shaped error whose server reply quotes the planted secret. */
function errorFor(c: Case): Error {
  const planted = c.encodeSecret ? Buffer.from(c.secret).toString('base64') : c.secret;
  const response = `${c.replyCode ?? ''} ${c.text} ${planted}`.trimStart();
  const error = new Error(`Invalid login: ${response}`) as Error & Record<string, unknown>;
  error.response = response;
  if (c.replyCode !== undefined) error.responseCode = c.replyCode;
  if (c.errorCode !== undefined) error.code = c.errorCode;
  if (c.command !== undefined) error.command = c.command;
  return error;
}

function expectWellFormed(err: MailplugError, secret: string): void {
  expect(isMailplugError(err)).toBe(true);
  expect(ACTIONS).toContain(err.action);
  expect(err.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
  expect(err.hint.length).toBeGreaterThan(10);
  for (const shown of [
    err.message,
    err.hint,
    JSON.stringify(err),
    JSON.stringify(err.details ?? {}),
    err.stack ?? '',
  ]) {
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain(Buffer.from(secret).toString('base64'));
  }
}

describe('classifySmtpError on arbitrary server replies', () => {
  const run = propertyRun<[Case]>({
    seed: 0x5317,
    numRuns: 300,
    examples: [
      [
        {
          secret: 'ya29-Pl4nted-Access-Token',
          encodeSecret: false,
          replyCode: 535,
          text: '5.7.3 Authentication unsuccessful',
          errorCode: 'EAUTH',
          command: 'AUTH XOAUTH2',
          context: { credentialKind: 'oauth2' },
        },
      ],
      [
        {
          secret: 'hunter2-Pl4nted-Password',
          encodeSecret: true,
          replyCode: 451,
          text: '4.7.0 Temporary server error',
          errorCode: undefined,
          command: 'MAIL FROM',
          context: {},
        },
      ],
    ],
  });

  it(`never throws, always gives a MailplugError with a valid action and never shows the secret (${run.label})`, () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        registerSecret(c.secret);
        expectWellFormed(classifySmtpError(errorFor(c), c.context), c.secret);
      }),
      run.params,
    );
  });

  const shapes = propertyRun<[unknown]>({
    seed: 0x5318,
    numRuns: 300,
    examples: [
      [undefined],
      [null],
      ['535 5.7.8 Error'],
      [{ responseCode: 'x' }],
      [Object.assign(Object.create(null), { code: 'ECONNRESET' })],
      [{ rejectedErrors: [null] }],
    ],
  });
  it(`accepts any thrown value: primitives, null-prototype objects, fields of any type (${shapes.label})`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.integer(),
          fc.constant(null),
          fc.constant(undefined),
          fc.anything({ withNullPrototype: true }),
          fc.record(
            {
              response: fc.anything(),
              responseCode: fc.anything(),
              code: fc.anything(),
              message: fc.anything(),
              cause: fc.anything({ withNullPrototype: true }),
              rejectedErrors: fc.array(fc.anything({ withNullPrototype: true }), { maxLength: 3 }),
            },
            { requiredKeys: [], noNullPrototype: false },
          ),
        ),
        (thrown) => {
          const err = classifySmtpError(thrown);
          expect(isMailplugError(err)).toBe(true);
          expect(ACTIONS).toContain(err.action);
          expect(() => JSON.stringify(err)).not.toThrow();
        },
      ),
      shapes.params,
    );
  });

  it('a 4xx reply is always retry, a bare 535 with a password a user fix (examples)', () => {
    const deferred = classifySmtpError(errorFor({ ...baseCase, replyCode: 421, text: 'Try later' }));
    expect(deferred.action).toBe('retry');
    const refused = classifySmtpError(
      errorFor({ ...baseCase, replyCode: 535, text: '5.7.8 Authentication failed', errorCode: 'EAUTH' }),
      { credentialKind: 'password' },
    );
    expect(refused.action).toBe('user');
  });
});

const baseCase: Case = {
  secret: 'Pl4nted-Secret-Value-0001',
  encodeSecret: false,
  replyCode: undefined,
  text: '',
  errorCode: undefined,
  command: undefined,
  context: {},
};
