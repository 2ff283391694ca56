import { describe, expect, it } from 'vitest';
import { parseFault } from '../../src/faults/parse-fault.js';

describe('parseFault (the --fault text form)', () => {
  it.each([
    [
      'microsoft/token=429,retry-after=5',
      'microsoft',
      { endpoint: 'token', status: 429, retryAfterSeconds: 5, times: 1 },
    ],
    ['google/messages.send=429', 'google', { endpoint: 'messages.send', status: 429, times: 1 }],
    ['oauth/token=503-text,times=2', 'oauth', { endpoint: 'token', status: 503, body: 'text', times: 2 }],
    [
      'microsoft/sendMail=502-html,times=forever',
      'microsoft',
      { endpoint: 'sendMail', status: 502, body: 'html', times: Number.POSITIVE_INFINITY },
    ],
    [
      'google/token=black-hole,grant=jwt-bearer',
      'google',
      { endpoint: 'token', blackHole: true, grant: ['jwt-bearer'] },
    ],
    [
      'microsoft/token=reset,grant=authorization_code+refresh_token,client=abc,user=a@b.test',
      'microsoft',
      { reset: true, grant: ['authorization_code', 'refresh_token'], clientId: 'abc', user: 'a@b.test' },
    ],
    ['microsoft/token=aadsts-50076', 'microsoft', { aadsts: 50076 }],
    ['google/token=error-invalid_grant', 'google', { error: 'invalid_grant' }],
    ['microsoft/sendMail=graph-ErrorSendAsDenied', 'microsoft', { graphError: 'ErrorSendAsDenied' }],
    ['google/messages.send=gmail-userRateLimitExceeded', 'google', { gmailError: 'userRateLimitExceeded' }],
    ['oauth/any=delay-250', 'oauth', { endpoint: 'any', delayMs: 250 }],
  ])('%s', (text, flavour, spec) => {
    const parsed = parseFault(text);
    expect(parsed.flavour).toBe(flavour);
    expect(parsed.spec).toMatchObject(spec);
  });

  it('uses the default count the caller gives (the CLI: until the emulator stops)', () => {
    expect(parseFault('google/token=503', Number.POSITIVE_INFINITY).spec.times).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it.each([
    ['yahoo/token=503', /unknown flavour 'yahoo'/],
    ['google/inbox=503', /unknown endpoint 'inbox'/],
    ['google/token=418', /status 418 is not one of/],
    ['google/token=teapot', /unknown fault shape 'teapot'/],
    ['google/token=503,times=0', /bad option 'times=0'/],
    ['google token 503', /not in the form/],
  ])('refuses %s with the syntax', (text, why) => {
    expect(() => parseFault(text)).toThrow(why);
    expect(() => parseFault(text)).toThrow(/Syntax: <microsoft\|google\|oauth>\/<endpoint>=/);
  });
});
