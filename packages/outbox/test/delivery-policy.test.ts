import { mailplugError } from '@mailplug/core';
import { describe, expect, it } from 'vitest';
import { decide, quotaKind } from '../src/delivery-policy.js';
import {
  defaultSendingLimits,
  EXCHANGE_ONLINE_LIMITS,
  GMAIL_LIMITS,
  GOOGLE_WORKSPACE_LIMITS,
} from '../src/index.js';
import { testAccount } from './mailer-bed.js';

const smtpError = (code: string, action: 'retry' | 'admin' | 'user', response: string, extra = {}) => {
  const [replyCode, enhancedStatus] = response.split(' ');
  return mailplugError(code, action, `Server replied: ${response}`, 'Fix it.', {
    details: { replyCode: Number(replyCode), enhancedStatus, response, ...extra },
  });
};

const base = { attempts: 1, windowStart: 0, now: 1_000, retry: {}, quota: {}, random: () => 0.5 };

describe('quota replies', () => {
  it('recognizes 432 4.3.2 and 554 5.2.0 SubmissionQuotaExceeded by reply, status and text', () => {
    expect(
      quotaKind(
        smtpError('SMTP_TRANSIENT', 'retry', '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded'),
      ),
    ).toBe('concurrency');
    expect(
      quotaKind(
        smtpError(
          'SMTP_MESSAGE_REJECTED',
          'admin',
          '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException',
        ),
      ),
    ).toBe('daily');
    expect(
      quotaKind(smtpError('SMTP_MESSAGE_REJECTED', 'admin', '550 5.4.5 Daily user sending limit exceeded')),
    ).toBe('daily');
    expect(
      quotaKind(smtpError('SMTP_MESSAGE_REJECTED', 'admin', '554 5.7.1 Message rejected as spam')),
    ).toBeUndefined();
    expect(quotaKind(smtpError('SMTP_TRANSIENT', 'retry', '451 4.3.0 Try again later'))).toBeUndefined();
  });

  it('finds the quota reply in a cause the provider wrapped', () => {
    const original = smtpError('SMTP_TRANSIENT', 'retry', '432 4.3.2 sender thread limit exceeded');
    const wrapped = mailplugError('ACME_EXPLAINED', 'retry', 'Explained.', 'Wait.', { cause: original });
    expect(quotaKind(wrapped)).toBe('concurrency');
  });

  it("pauses for the host's policy, else the error's retryAfterMs, else the default", () => {
    const error = smtpError('SMTP_TRANSIENT', 'retry', '432 4.3.2 sender thread limit exceeded');
    expect(decide({ ...base, error })).toMatchObject({ kind: 'quota', pauseUntil: 61_000 });
    expect(decide({ ...base, error, quota: { concurrencyPauseMs: 5_000 } })).toMatchObject({
      pauseUntil: 6_000,
    });
    const suggested = mailplugError('SMTP_MAILBOX_CONCURRENCY_LIMIT', 'retry', 'Busy.', 'Wait.', {
      retryAfterMs: 9_000,
    });
    expect(decide({ ...base, error: suggested })).toMatchObject({ kind: 'quota', pauseUntil: 10_000 });
  });
});

describe('decide', () => {
  it('holds the account for a sign-in error, but fails a message whose every recipient was refused', () => {
    expect(
      decide({ ...base, error: mailplugError('REAUTH_REQUIRED', 'user', 'Sign in.', 'Sign in again.') }).kind,
    ).toBe('hold');
    expect(
      decide({ ...base, error: mailplugError('SMTP_RECIPIENTS_REJECTED', 'user', 'No.', 'Check.') }).kind,
    ).toBe('fail');
  });

  it('fails admin and developer errors with the classified error itself', () => {
    const error = mailplugError('SMTP_AUTH_DISABLED', 'admin', 'Off.', 'Turn it on.');
    expect(decide({ ...base, error })).toEqual({ kind: 'fail', error });
  });

  it('backs off exponentially with jitter, at least retryAfterMs', () => {
    const error = mailplugError('SMTP_TRANSIENT', 'retry', 'Later.', 'Wait.');
    const policy = { initialDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0.5 };
    // step 1000 × 2^(n−1), jitter 0.5 with random 0.5 → 0.75 × step
    expect(decide({ ...base, error, retry: policy, attempts: 1 })).toMatchObject({
      kind: 'retry',
      notBefore: 1_750,
    });
    expect(decide({ ...base, error, retry: policy, attempts: 3 })).toMatchObject({ notBefore: 4_000 });
    const slow = mailplugError('TRANSIENT', 'retry', 'Throttled.', 'Wait.', { retryAfterMs: 30_000 });
    expect(decide({ ...base, error: slow, retry: policy })).toMatchObject({ notBefore: 31_000 });
  });

  it('fails with OUTBOX_RETRIES_EXHAUSTED or OUTBOX_EXPIRED past the ceilings, naming the last error', () => {
    const error = mailplugError('SMTP_TRANSIENT', 'retry', 'Later.', 'Wait.');
    const exhausted = decide({ ...base, error, attempts: 5, retry: { maxAttempts: 5 } });
    expect(exhausted.kind).toBe('fail');
    expect(exhausted.error).toMatchObject({
      code: 'OUTBOX_RETRIES_EXHAUSTED',
      action: 'admin',
      cause: error,
    });
    const expired = decide({ ...base, error, now: 100_000, retry: { maxAgeMs: 50_000 } });
    expect(expired.error.code).toBe('OUTBOX_EXPIRED');
    expect(expired.error.hint).toMatch(/outbox\.retry/);
  });

  it('retries an error that is not a MailplugError, as OUTBOX_UNCLASSIFIED_ERROR', () => {
    const decision = decide({ ...base, error: new TypeError('boom') });
    expect(decision).toMatchObject({ kind: 'retry' });
    expect(decision.error.code).toBe('OUTBOX_UNCLASSIFIED_ERROR');
  });
});

describe('default sending limits', () => {
  it('follow the provider and the server', () => {
    const microsoft = testAccount(587, { auth: { provider: 'm365-delegated', settings: {} } });
    expect(defaultSendingLimits(microsoft)).toBe(EXCHANGE_ONLINE_LIMITS);
    const exchangeHost = testAccount(587, {
      server: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
    });
    expect(defaultSendingLimits(exchangeHost)).toEqual({ messagesPerMinute: 30, recipientsPerDay: 10_000 });
    const workspace = testAccount(587, {
      auth: { provider: 'gmail-oauth', settings: {} },
      identity: { fromAddress: 'office@clinic.example' },
    });
    expect(defaultSendingLimits(workspace)).toBe(GOOGLE_WORKSPACE_LIMITS);
    const gmail = testAccount(587, {
      server: { host: 'smtp.gmail.com', port: 587, security: 'starttls' },
      identity: { fromAddress: 'someone@gmail.com' },
    });
    expect(defaultSendingLimits(gmail)).toBe(GMAIL_LIMITS);
    expect(defaultSendingLimits(testAccount(2525))).toEqual({});
  });
});
