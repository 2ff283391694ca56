import { Readable } from 'node:stream';
import type { Transporter } from 'nodemailer';

/**
 * How far one attempt at sending a message got. nodemailer pipes the message content into the
 * socket only after the server accepted MAIL FROM, RCPT TO and DATA (`354`), and the end-of-data
 * `.` follows the content's last byte; this is what decides whether a failed attempt may be
 * repeated (nothing of the message left) or might already have been delivered.
 */
export interface DeliveryProgress {
  /** The server accepted the envelope and the content started to flow. */
  contentStarted: boolean;
  /** All of the content was handed to the socket; the end-of-data `.` follows at once. */
  contentEnded: boolean;
}

/** The mail option that carries an attempt's progress to the plugin (nodemailer copies own string keys only). */
export const DELIVERY_PROGRESS_OPTION = 'mailplugDeliveryProgress';

export function newDeliveryProgress(): DeliveryProgress {
  return { contentStarted: false, contentEnded: false };
}

/**
 * Installs a nodemailer `stream` plugin that wraps each message's content in a stream which is
 * pulled only by its consumer: the first pull marks `contentStarted`, reading past the last chunk
 * marks `contentEnded`. Nothing is read ahead before the server asked for the content, and at most
 * a few buffers' worth is ahead of the socket, so `contentEnded` errs only towards "may have
 * been delivered".
 */
export function trackDeliveryProgress(transport: Transporter): void {
  transport.use('stream', (mail, done) => {
    const progress = (mail.data as Record<string, unknown>)[DELIVERY_PROGRESS_OPTION] as
      | DeliveryProgress
      | undefined;
    // `processFunc` is MimeNode's post-processing hook (the one DKIM signing uses).
    const message = mail.message as unknown as { processFunc(fn: (input: Readable) => Readable): void };
    if (progress) message.processFunc((input) => trackedContent(input, progress));
    done();
  });
}

/**
 * Content is handed on in slices of at most this size. A Buffer attachment arrives as one chunk
 * of the whole encoded file, and a socket takes any single chunk whole, so without slicing a
 * stalled server would leave the entire message queued in memory and "handed to the socket".
 */
const SLICE_BYTES = 64 * 1024;

function trackedContent(input: Readable, progress: DeliveryProgress): Readable {
  // Pulls synchronously whatever the content stream has ready, so a message leaves in as few
  // socket writes as nodemailer makes on its own (an async iterator handed on one chunk per tick).
  let rest: Buffer | undefined;
  let inputEnded = false;
  let waiting = false;
  const output = new Readable({
    read() {
      progress.contentStarted = true;
      pump();
    },
    destroy(error, callback) {
      input.destroy(error ?? undefined);
      callback(error);
    },
  });
  const finish = () => {
    if (progress.contentEnded) return;
    progress.contentEnded = true;
    output.push(null);
  };
  function pump(): void {
    for (;;) {
      if (!rest) {
        const chunk = input.read() as Buffer | null;
        if (chunk === null) break;
        rest = chunk;
      }
      const slice = rest.length > SLICE_BYTES ? rest.subarray(0, SLICE_BYTES) : rest;
      rest = rest.length > SLICE_BYTES ? rest.subarray(SLICE_BYTES) : undefined;
      if (!output.push(slice)) return;
    }
    if (inputEnded) {
      finish();
      return;
    }
    if (waiting) return;
    waiting = true;
    input.once('readable', () => {
      waiting = false;
      pump();
    });
  }
  input.once('end', () => {
    inputEnded = true;
    if (!rest) finish();
  });
  input.once('error', (error) => output.destroy(error));
  return output;
}
