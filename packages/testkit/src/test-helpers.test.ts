import { MailplugError } from '@mailplug/core';
import { describe, expect, it } from 'vitest';
import { assertClassifiedError, httpAnswer } from './test-helpers.js';

const error = (fields: Partial<ConstructorParameters<typeof MailplugError>[0]>) =>
  new MailplugError({
    code: 'GRAPH_UNAVAILABLE',
    action: 'retry',
    message: 'm',
    hint: 'Send again later.',
    ...fields,
  });

describe('assertClassifiedError', () => {
  it('accepts an error a host can show and refuses each way one can be broken', () => {
    expect(() => assertClassifiedError(error({}))).not.toThrow();
    expect(() => assertClassifiedError(new Error('plain'))).toThrow(/not a MailplugError/);
    expect(() => assertClassifiedError(error({ action: 'nobody' as never }))).toThrow(/unknown action/);
    expect(() => assertClassifiedError(error({ code: 'graphUnavailable' }))).toThrow(/UPPER_SNAKE/);
    expect(() => assertClassifiedError(error({ hint: 'Retry.' }))).toThrow(/names no fix/);
  });
});

describe('httpAnswer', () => {
  it('answers Retry-After case-insensitively and nothing else', () => {
    const answer = httpAnswer(429, '{}', '5');
    expect(answer.headers.get('Retry-After')).toBe('5');
    expect(answer.headers.get('content-type')).toBeNull();
    expect(httpAnswer(503, '').headers.get('retry-after')).toBeNull();
  });
});
