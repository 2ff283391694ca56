import type { ServerSettings } from '@mailplug/core';
import { startWireTap } from '@mailplug/testkit';

export interface ImapWireTap {
  /** Point the client here (implicit TLS, trusting the tap's own CA). */
  readonly server: ServerSettings;
  /** Every command line the client sent, in order, with its tag removed (`UID FETCH 7 (...)`). */
  readonly commands: string[];
  /** Sizes of the literals (`{n}`) the server sent, e.g. message bodies, in order. */
  readonly literals: number[];
  close(): Promise<void>;
}

/**
 * testkit's TLS-terminating wire tap in front of an implicit-TLS IMAP server, taught IMAP literals:
 * it records what the client sends, so tests can count round trips on the wire rather than trust
 * the client's account of them. Client literals are not framed (enough for FETCH).
 */
export async function startImapWireTap(
  upstream: ServerSettings,
  options: {
    /** Rewrites server response lines (never literal bytes) on their way to the client. */
    rewriteServerLine?: (line: string) => string;
    /** Rewrites client command lines (tag included) on their way to the server; `commands` keeps the originals. */
    rewriteClientLine?: (line: string) => string;
  } = {},
): Promise<ImapWireTap> {
  const commands: string[] = [];
  const literals: number[] = [];
  const tap = await startWireTap({
    target: upstream,
    tls: upstream.tls?.ca ? { targetCa: upstream.tls.ca } : {},
    onClientLine(line) {
      commands.push(line.replace(/^\S+ /, ''));
      return options.rewriteClientLine?.(line);
    },
    serverRawOctetsAfter(line) {
      const literal = /\{(\d+)\}$/.exec(line);
      if (!literal) return 0;
      literals.push(Number(literal[1]));
      return Number(literal[1]);
    },
    onServerLine: (line) => options.rewriteServerLine?.(line),
  });
  return {
    server: {
      ...upstream,
      port: tap.port,
      security: 'tls',
      // The tap terminates TLS with its own CA here, so caPem is always set.
      tls: tap.caPem !== undefined ? { ca: tap.caPem } : {},
    },
    commands,
    literals,
    close: () => tap.close(),
  };
}
