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
import { GRAPH_CLOUDS } from '../src/graph-clouds.js';
import { classifyGraphResponse, type GraphRequestContext } from '../src/graph-errors.js';

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

/** Graph codes that name a cause the admin, user or developer must fix, whatever the status. */
const NAMED_CODES = new Set([
  'MailboxNotEnabledForRESTAPI',
  'MailboxNotSupportedForRESTAPI',
  'ErrorSendAsDenied',
  'ErrorAccessDenied',
  'InvalidAuthenticationToken',
  'ErrorInvalidRecipients',
  'ErrorInvalidUser',
  'ResourceNotFound',
  'ErrorMessageSizeExceeded',
  'RequestEntityTooLarge',
]);

const graphShaped = fc.record(
  {
    error: fc.record(
      {
        code: fc.oneof(
          fc.constantFrom(...NAMED_CODES, 'ApplicationThrottled', 'UnknownError'),
          fc.string(),
          fc.anything(),
        ),
        message: fc.oneof(fc.string({ maxLength: 120 }), fc.anything()),
        innerError: fc.record({ 'request-id': fc.oneof(fc.uuid(), fc.anything()) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

const contexts: GraphRequestContext[] = [
  {
    mailbox: 'office@example.com',
    cloud: GRAPH_CLOUDS.global,
    token: { appOnly: false, permissions: ['Mail.Send'], audience: 'https://graph.microsoft.com' },
  },
  {
    mailbox: 'shared@example.com',
    from: 'boss@example.com',
    cloud: GRAPH_CLOUDS.global,
    token: { appOnly: true, permissions: [] },
  },
];

describe('classifyGraphResponse on arbitrary Graph, proxy and gateway answers', () => {
  const run = propertyRun<[number, string, string | null]>({
    seed: 0x6a9,
    numRuns: 400,
    examples: [
      [503, '<html>Service Unavailable</html>', null],
      [429, '{"error":{"code":"ErrorSendAsDenied"}}', 'soon'],
      [500, '{"error":{"code":"UnknownError","message":null}}', '5'],
    ],
  });
  it(`never throws; 429 and every 5xx are retry, whatever code the answer names (${run.label})`, () => {
    fc.assert(
      fc.property(
        statusArb,
        bodyArb(graphShaped),
        fc.option(fc.string({ maxLength: 30 }), { nil: null }),
        (status, text, retryAfter) => {
          for (const ctx of contexts) {
            const err = classifyGraphResponse(httpAnswer(status, text, retryAfter), ctx);
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
    seed: 0x6aa,
    numRuns: 200,
    examples: [['Pl4nted-Graph-Token-0001', 400, 'ErrorInvalidRecipients']],
  });
  it(`never shows a secret the answer echoes (${secrets.label})`, () => {
    fc.assert(
      fc.property(
        secretArb,
        statusArb,
        fc.constantFrom(...NAMED_CODES, 'BadRequest', 'UnknownError'),
        (secret, status, code) => {
          registerSecret(secret);
          const text = JSON.stringify({
            error: { code, message: `Recipient '${secret}' is not resolved; token ${secret}` },
          });
          const err = classifyGraphResponse(httpAnswer(status, text), contexts[0] as GraphRequestContext);
          for (const shown of [err.message, err.hint, JSON.stringify(err), err.stack ?? ''])
            expect(shown).not.toContain(secret);
        },
      ),
      secrets.params,
    );
  });
});
