// Test helper (not part of the published entry): testkit's wire tap, taught SMTP, in front of a real SMTP server.
import { startWireTap, type WireTapConnection } from '@mailplug/testkit';

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
 * Relays connections to `target`, recording the client's command lines as they appear on the
 * wire. Server replies pass through untouched. Only for plaintext SMTP (security `none`): after
 * STARTTLS the tap could not read the commands.
 */
export async function startSmtpWireTap(
  target: { readonly host: string; readonly port: number },
  options: SmtpWireTapOptions = {},
): Promise<SmtpWireTap> {
  const clientLines: string[] = [];
  const refusedLines: string[] = [];
  // Per connection: inside DATA (content is not recorded or limited), and whether the server just
  // sent a 334 challenge (the client's next line is a SASL response).
  const states = new WeakMap<WireTapConnection, { inData: boolean; awaitingResponse: boolean }>();
  const stateOf = (connection: WireTapConnection) => {
    const state = states.get(connection) ?? { inData: false, awaitingResponse: false };
    states.set(connection, state);
    return state;
  };
  const tap = await startWireTap({
    target,
    onServerLine(line, connection) {
      if (/^334(?: |$)/.test(line)) stateOf(connection).awaitingResponse = true;
      return undefined;
    },
    onClientLine(line, connection) {
      const state = stateOf(connection);
      if (state.inData) {
        if (line === '.') state.inData = false;
        return undefined;
      }
      clientLines.push(line);
      if (state.awaitingResponse) {
        state.awaitingResponse = false;
        return undefined;
      }
      const limit = options.maxCommandLineOctets;
      if (limit !== undefined && Buffer.byteLength(line, 'latin1') + 2 > limit) {
        refusedLines.push(line);
        connection.writeToClient('500 5.5.2 Line too long\r\n');
        return null;
      }
      if (/^DATA$/i.test(line)) state.inData = true;
      return undefined;
    },
  });
  return { host: tap.host, port: tap.port, clientLines, refusedLines, close: () => tap.close() };
}
