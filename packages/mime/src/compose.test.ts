import { createTransport } from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { composeMessage } from './compose.js';
import { toMailOptions } from './mail-options.js';

const fixed = { Date: 'Thu, 03 Dec 2026 10:00:00 +0000', 'Message-ID': '<fixed-1@example.test>' };

describe('toMailOptions', () => {
  it('maps addresses, bodies, headers and attachments, and defaults the sender', () => {
    const options = toMailOptions(
      {
        to: ['bob@example.test', { name: 'Cy', address: 'cy@example.test' }],
        cc: 'dee@example.test',
        replyTo: { address: 'desk@example.test' },
        subject: 'Report',
        text: 'see attached',
        headers: { 'X-Ticket': '42' },
        attachments: [{ filename: 'a.txt', content: new Uint8Array([104, 105]), contentType: 'text/plain' }],
      },
      'ann@example.test',
    );
    expect(options).toMatchObject({
      from: 'ann@example.test',
      to: ['bob@example.test', { name: 'Cy', address: 'cy@example.test' }],
      cc: ['dee@example.test'],
      replyTo: { name: '', address: 'desk@example.test' },
      subject: 'Report',
      text: 'see attached',
      headers: { 'X-Ticket': '42' },
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    expect(options.bcc).toBeUndefined();
    expect(options.html).toBeUndefined();
    expect(Buffer.isBuffer(options.attachments?.[0]?.content)).toBe(true);
    expect(options.attachments?.[0]?.content.toString()).toBe('hi');
  });

  it('carries the message’s messageId into the Message-ID header', async () => {
    const message = { to: 'y@example.test', subject: 's', text: 't', messageId: '<stable-7@example.test>' };
    expect(toMailOptions(message, 'ann@example.test').messageId).toBe('<stable-7@example.test>');
    const composed = await composeMessage(message, 'ann@example.test');
    expect(composed.messageId).toBe('<stable-7@example.test>');
    expect(composed.raw.toString()).toMatch(/^Message-ID: <stable-7@example\.test>\r$/m);
  });

  it('keeps the message’s own From', () => {
    expect(
      toMailOptions({ from: 'x@example.test', to: 'y@example.test', subject: 's' }, 'ann@example.test').from,
    ).toBe('x@example.test');
  });
});

describe('composeMessage', () => {
  it('writes the bytes nodemailer itself writes for the message, Bcc header kept for the HTTP APIs', async () => {
    const message = {
      to: 'bob@example.test',
      bcc: 'audit@example.test',
      subject: 'Same bytes',
      text: 'line one\nline two',
      headers: fixed,
    };
    const composed = await composeMessage(message, 'ann@example.test');
    // nodemailer's stream transport runs the same compose step as its SMTP transport and, like
    // the HTTP routes, keeps Bcc in the bytes.
    const nodemailerOwn = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const info = await nodemailerOwn.sendMail(toMailOptions(message, 'ann@example.test'));
    const raw = composed.raw.toString();
    expect(raw).toContain('Bcc: audit@example.test\r\n');
    expect(raw).toBe((info.message as Buffer).toString());
  });

  it('uses CRLF line breaks only, and reports the Message-ID and every recipient', async () => {
    const composed = await composeMessage(
      {
        to: ['bob@example.test'],
        cc: 'cy@example.test',
        bcc: ['dee@example.test'],
        subject: 'x',
        text: 'a\nb',
      },
      'ann@example.test',
    );
    const raw = composed.raw.toString();
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(composed.messageId).toMatch(/^<[^<>@\s]+@[^<>\s]+>$/);
    expect(raw).toContain(`Message-ID: ${composed.messageId}\r\n`);
    expect(composed.recipients).toEqual(['bob@example.test', 'cy@example.test', 'dee@example.test']);
  });

  it('keeps a caller-provided Message-ID header', async () => {
    const composed = await composeMessage(
      { to: 'bob@example.test', subject: 'x', headers: fixed },
      'ann@example.test',
    );
    expect(composed.messageId).toBe('<fixed-1@example.test>');
  });

  it('never reads a file or URL named as attachment content', async () => {
    const composed = await composeMessage(
      {
        to: 'bob@example.test',
        subject: 'x',
        attachments: [{ filename: 'passwd', content: '/etc/passwd' }],
      },
      'ann@example.test',
    );
    const raw = composed.raw.toString();
    expect(raw).toContain('filename=passwd');
    expect(raw).not.toContain('root:');
  });
});
