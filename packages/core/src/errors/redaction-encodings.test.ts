import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MailplugError } from '../spec/v1/mailplug-error.js';
import { REDACTED, redact, registerSecret } from '../spec/v1/redact.js';
import { mailplugError } from './codes.js';

// Security review point 5: secrets travel base64-, hex- and URL-encoded, inside SASL blobs, and a
// secret may be registered only after the error that contains it was built.
describe('redaction of encoded secrets', () => {
  const secret = `pw-${'Zq9!x/+y'}-${Date.now()}`;
  registerSecret(secret);
  const bytes = Buffer.from(secret);

  it.each([
    ['raw', secret],
    ['base64', bytes.toString('base64')],
    ['base64 without padding', bytes.toString('base64').replace(/=+$/, '')],
    ['base64url', bytes.toString('base64url')],
    ['hex', bytes.toString('hex')],
    ['URL-encoded', encodeURIComponent(secret)],
    ['form-encoded', new URLSearchParams({ p: secret }).toString().slice(2)],
    ['SASL PLAIN blob', Buffer.from(`\0ann@example.com\0${secret}`).toString('base64')],
    ['HTTP Basic', `Basic ${Buffer.from(`ann:${secret}`).toString('base64')}`],
  ])('masks the %s form', (_name, form) => {
    const out = redact(`535 5.7.8 rejected: ${form} end`);
    expect(out).not.toContain(form);
    expect(out).toContain(REDACTED);
  });

  it('masks a long token cut short (its first 12 characters)', () => {
    const token = `tok_${'a1B2c3D4e5F6g7H8i9J0'.repeat(2)}`;
    registerSecret(token);
    expect(redact(`token=${token.slice(0, 14)}…`)).not.toContain(token.slice(0, 12));
  });

  it('masks echoed AUTH lines and OAuth codes even for values never registered', () => {
    expect(redact('500 unrecognised: AUTH PLAIN AGFubkBleGFtcGxlLmNvbQBodW50ZXIy')).toBe(
      `500 unrecognised: AUTH PLAIN ${REDACTED}`,
    );
    expect(
      redact('POST /token grant_type=authorization_code&code=4/0AeanS0abc&redirect_uri=x'),
    ).not.toContain('4/0AeanS0abc');
  });

  it('masks short secrets as whole words only', () => {
    registerSecret('hunt2');
    expect(redact('password hunt2 was refused')).toBe(`password ${REDACTED} was refused`);
    expect(redact('hunt22 and shunt2 stay')).toBe('hunt22 and shunt2 stay');
  });

  it('masks a secret registered after the error was built, in message, hint, stack, JSON and inspect', () => {
    const late = `late-secret-${Date.now()}-value`;
    const error = mailplugError('X', 'admin', `server said ${late}`, `do not paste ${late}`, {
      cause: new Error(`cause with ${late}`),
      details: { echoed: late },
    });
    registerSecret(late);
    const renderings = [
      error.message,
      error.hint,
      String(error.stack),
      JSON.stringify(error),
      inspect(error),
      String(error),
    ];
    for (const text of renderings) expect(text).not.toContain(late);
  });

  it('util.inspect shows code, action, hint and the cause chain', () => {
    const inner = mailplugError('INNER', 'retry', 'inner failed', 'Wait.');
    const outer = new MailplugError({
      code: 'OUTER',
      action: 'admin',
      message: 'outer',
      hint: 'Fix it.',
      cause: inner,
    });
    const text = inspect(outer);
    expect(text).toContain('MailplugError [OUTER]: outer — Fix it.');
    expect(text).toContain('action: admin');
    expect(text).toContain('cause: MailplugError [INNER]: inner failed — Wait.');
  });

  it('shares one registry across copies of core in a process (globalThis, Symbol.for)', () => {
    const stateKey = Symbol.for('@mailplug/core.redaction.v1');
    const shared = (globalThis as Record<symbol, { known: Set<string> }>)[stateKey];
    expect(shared?.known.has(secret)).toBe(true);
  });
});
