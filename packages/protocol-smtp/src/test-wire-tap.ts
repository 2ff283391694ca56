// Test helper (not part of the published entry): a plaintext TCP tap in front of a real SMTP server.
import net from 'node:net';

export interface SmtpWireTap {
  readonly host: '127.0.0.1';
  readonly port: number;
  /**
   * Every line the client sent (without CRLF) in order: commands and SASL continuation lines,
   * message content excluded.
   */
  readonly clientLines: readonly string[];
  /** Command lines the tap refused as too long. */
  readonly refusedLines: readonly string[];
  close(): Promise<void>;
}

export interface SmtpWireTapOptions {
  /**
   * Refuse command lines longer than this many octets including CRLF with `500 5.5.2 Line too long`
   * (without forwarding them), as Dovecot 2.3 submission does for 512. A line answering a `334`
   * challenge is a SASL response, not a command, and is not limited (RFC 4954 §4). Default: no limit.
   */
  readonly maxCommandLineOctets?: number;
}

/**
 * Listens on 127.0.0.1:0 and relays every connection to `target`, recording the client's command
 * lines as they appear on the wire. Server replies pass through untouched. Only for plaintext
 * SMTP (security `none`): after STARTTLS the tap could not read the commands.
 */
export async function startSmtpWireTap(
  target: { readonly host: string; readonly port: number },
  options: SmtpWireTapOptions = {},
): Promise<SmtpWireTap> {
  const clientLines: string[] = [];
  const refusedLines: string[] = [];
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target.host, port: target.port });
    sockets.add(client).add(upstream);
    for (const socket of [client, upstream]) {
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    let buffered = '';
    let inData = false;
    // Set when the server sent a 334 challenge: the client's next line is a SASL response.
    let awaitingResponse = false;
    let replies = '';
    upstream.on('data', (chunk: Buffer) => {
      replies += chunk.toString('latin1');
      const complete = replies.lastIndexOf('\r\n');
      if (complete >= 0) {
        if (/^334(?: |$)/m.test(replies.slice(0, complete))) awaitingResponse = true;
        replies = replies.slice(complete + 2);
      }
      client.write(chunk);
    });
    upstream.on('end', () => client.end());
    client.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (inData) {
          if (line === '.') inData = false;
          upstream.write(`${line}\r\n`, 'latin1');
          continue;
        }
        clientLines.push(line);
        if (awaitingResponse) {
          awaitingResponse = false;
          upstream.write(`${line}\r\n`, 'latin1');
          continue;
        }
        const limit = options.maxCommandLineOctets;
        if (limit !== undefined && Buffer.byteLength(line, 'latin1') + 2 > limit) {
          refusedLines.push(line);
          client.write('500 5.5.2 Line too long\r\n');
          continue;
        }
        if (/^DATA$/i.test(line)) inData = true;
        upstream.write(`${line}\r\n`, 'latin1');
      }
    });
    client.on('end', () => upstream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    clientLines,
    refusedLines,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
