import { registerSecret } from '@mailplug/core';
import {
  assertClassifiedError,
  GATEWAY_ERROR_BODIES,
  HTTP_ERROR_STATUSES,
  httpAnswer,
  propertyRun,
} from '@mailplug/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyGmailResponse, GMAIL_SEND_SCOPE, type GmailRequestContext } from '../src/gmail-errors.js';

const secretArb = fc.stringMatching(/^[A-Za-z0-9._~-]{12,40}$/);
const statusArb = fc.oneof(fc.constantFrom(...HTTP_ERROR_STATUSES), fc.integer({ min: 300, max: 599 }));
/** Bodies a server, proxy or gateway might send: anything, non-JSON text, or error-shaped JSON. */
const bodyArb = (errorShaped: fc.Arbitrary<unknown>) =>
  fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.json({ maxDepth: 4 }),
    fc.constantFrom(...GATEWAY_ERROR_BODIES),
    errorShaped.map((v) => JSON.stringify(v)),
  );

/** Google reasons that name a cause the admin, user or developer must fix, whatever the status. */
const NAMED_REASONS = new Set([
  'insufficientPermissions',
  'failedPrecondition',
  'authError',
  'invalidArgument',
  'badRequest',
  'invalid',
]);
const RATE_REASONS = ['rateLimitExceeded', 'userRateLimitExceeded', 'dailyLimitExceeded', 'quotaExceeded'];

const googleShaped = fc.record(
  {
    error: fc.record(
      {
        code: fc.oneof(fc.integer(), fc.anything()),
        message: fc.oneof(
          fc.string({ maxLength: 120 }),
          fc.constantFrom(
            'Mail service not enabled',
            'Delegation denied',
            'Retry after 2026-12-05T10:00:00.000Z',
          ),
          fc.anything(),
        ),
        status: fc.oneof(
          fc.constantFrom('FAILED_PRECONDITION', 'UNAVAILABLE', 'PERMISSION_DENIED'),
          fc.anything(),
        ),
        errors: fc.oneof(
          fc.array(
            fc.record(
              {
                reason: fc.oneof(
                  fc.constantFrom(...NAMED_REASONS, ...RATE_REASONS, 'backendError'),
                  fc.string(),
                  fc.anything(),
                ),
              },
              { requiredKeys: [] },
            ),
            { maxLength: 3 },
          ),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

const contexts: GmailRequestContext[] = [
  { mailbox: 'office@example.com', scopes: [GMAIL_SEND_SCOPE] },
  { mailbox: 'shared@example.com', scopes: [] },
];

describe('classifyGmailResponse on arbitrary Google, proxy and gateway answers', () => {
  const run = propertyRun<[number, string, string | null]>({
    seed: 0x6a1,
    numRuns: 400,
    examples: [
      [503, '<html>Service Unavailable</html>', null],
      [429, '{"error":{"errors":[{"reason":"insufficientPermissions"}]}}', 'soon'],
      [500, '{"error":{"errors":"backendError","status":null}}', '5'],
    ],
  });
  it(`never throws; 429 and every 5xx are retry, whatever reason the answer names (${run.label})`, () => {
    fc.assert(
      fc.property(
        statusArb,
        bodyArb(googleShaped),
        fc.option(fc.string({ maxLength: 30 }), { nil: null }),
        (status, text, retryAfter) => {
          for (const ctx of contexts) {
            const err = classifyGmailResponse(httpAnswer(status, text, retryAfter), ctx);
            assertClassifiedError(err);
            if (status === 429) expect(err.action).toBe('retry');
            if (status >= 500) expect(err.action).toBe('retry');
          }
        },
      ),
      run.params,
    );
  });

  const secrets = propertyRun<[string, number, string]>({
    seed: 0x6a2,
    numRuns: 200,
    examples: [['Pl4nted-Google-Token-0001', 400, 'invalidArgument']],
  });
  it(`never shows a secret the answer echoes (${secrets.label})`, () => {
    fc.assert(
      fc.property(
        secretArb,
        statusArb,
        fc.constantFrom(...NAMED_REASONS, ...RATE_REASONS, 'forbidden', 'backendError'),
        (secret, status, reason) => {
          registerSecret(secret);
          const text = JSON.stringify({
            error: { message: `Invalid To header: ${secret} (token ${secret})`, errors: [{ reason }] },
          });
          const err = classifyGmailResponse(httpAnswer(status, text), contexts[0] as GmailRequestContext);
          for (const shown of [err.message, err.hint, JSON.stringify(err), err.stack ?? ''])
            expect(shown).not.toContain(secret);
        },
      ),
      secrets.params,
    );
  });
});
