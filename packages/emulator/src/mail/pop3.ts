import type { SecureContext } from 'node:tls';
import { type Authorizer, decodePlain, decodeXoauth2 } from './auth.js';
import { type LineConnection, LineTooLongError } from './line-connection.js';
import type { MailScript } from './script.js';
import type { MailStore, StoredMessage } from './store.js';

export interface Pop3Context {
  authorizer: Authorizer;
  script: MailScript;
  store: MailStore;
  tlsContext: SecureContext;
  /** Mailboxes held by a session in TRANSACTION state (RFC 1939 exclusive lock). */
  locks: Set<string>;
}

const AUTH_FAILED = '-ERR [AUTH] Authentication failure: unknown user name or wrong password.';

/** RFC 1939 byte-stuffing: lines beginning with "." get another "."; ends with CRLF.CRLF. */
export function dotStuff(content: Buffer): string {
  const lines = content.toString('latin1').split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return `${lines.map((line) => (line.startsWith('.') ? `.${line}` : line)).join('\r\n')}${lines.length ? '\r\n' : ''}.\r\n`;
}

function topOf(raw: Buffer, bodyLines: number): Buffer {
  const text = raw.toString('latin1');
  const split = /\r?\n\r?\n/.exec(text);
  if (!split) return raw;
  const headEnd = split.index + split[0].length;
  const body = text.slice(headEnd).split(/\r?\n/).slice(0, bodyLines).join('\r\n');
  return Buffer.from(text.slice(0, headEnd) + body, 'latin1');
}

/** One POP3 session (RFC 1939, 2449 CAPA, 2595 STLS, 5034 SASL, 3206 response codes). */
export async function runPop3Session(connection: LineConnection, context: Pop3Context): Promise<void> {
  const { authorizer, script, store, locks } = context;
  const send = (line: string) => connection.write(`${line}\r\n`);
  let state = 'authorization' as 'authorization' | 'transaction';
  let pendingUser: string | undefined;
  let mailbox = '';
  let messages: StoredMessage[] = [];
  const deleted = new Set<number>();

  const readSaslResponse = async (): Promise<string | null> => {
    send('+ ');
    const line = await connection.readLine();
    return line === null || line.trim() === '*' ? null : line;
  };

  /** Enters TRANSACTION for `target` unless another session holds it. */
  const login = (target: string): void => {
    if (locks.has(target)) {
      send('-ERR [IN-USE] Mailbox is locked by another POP3 session, try again later.');
      return;
    }
    locks.add(target);
    mailbox = target;
    messages = store.list(target);
    state = 'transaction';
    send(`+OK Logged in, ${messages.length} message${messages.length === 1 ? '' : 's'}.`);
  };

  const authenticate = async (mechanism: string, initial: string | undefined): Promise<void> => {
    const upper = mechanism.toUpperCase();
    if (upper !== 'PLAIN' && upper !== 'XOAUTH2') {
      send('-ERR Unsupported authentication mechanism.');
      return;
    }
    const response =
      initial === undefined || initial === '' ? await readSaslResponse() : initial === '=' ? '' : initial;
    if (response === null) {
      send('-ERR Authentication cancelled.');
      return;
    }
    if (upper === 'PLAIN') {
      const plain = decodePlain(response);
      const scripted = script.take('pop3', 'auth', plain?.user);
      if (scripted) return send(scripted);
      const target = plain ? authorizer.checkPassword(plain.user, plain.password) : null;
      return target ? login(target) : send(AUTH_FAILED);
    }
    const oauth = decodeXoauth2(response);
    const scripted = script.take('pop3', 'auth', oauth?.user);
    if (scripted) return send(scripted);
    if (!oauth) return send('-ERR [AUTH] Invalid SASL XOAUTH2 response.');
    const outcome = await authorizer.checkToken('pop3', oauth.user, oauth.token);
    return outcome.ok ? login(outcome.mailbox) : send(AUTH_FAILED);
  };

  const message = (arg: string | undefined): StoredMessage | undefined => {
    const index = Number(arg);
    if (!Number.isInteger(index) || index < 1 || index > messages.length || deleted.has(index)) {
      send(`-ERR No such message.`);
      return undefined;
    }
    return messages[index - 1];
  };

  const capabilities = () => [
    'TOP',
    'UIDL',
    'USER',
    'RESP-CODES',
    'AUTH-RESP-CODE',
    'PIPELINING',
    'SASL PLAIN XOAUTH2',
    ...(connection.secure ? [] : ['STLS']),
    'IMPLEMENTATION Mailplug-Emulator',
  ];

  send('+OK Mailplug emulator POP3 server ready.');
  try {
    for (;;) {
      let line: string | null;
      try {
        line = await connection.readLine();
      } catch (error) {
        if (error instanceof LineTooLongError) {
          send('-ERR Line too long.');
          continue;
        }
        throw error;
      }
      if (line === null) return; // dropped connection: nothing is committed
      const [verbRaw = '', ...args] = line.trim().split(/\s+/);
      const verb = verbRaw.toUpperCase();
      if (verb === 'QUIT') {
        if (state === 'transaction') {
          store.remove(messages.filter((_m, index) => deleted.has(index + 1)));
        }
        send('+OK Bye.');
        return;
      }
      if (verb === 'CAPA') {
        connection.write(`+OK Capability list follows\r\n${capabilities().join('\r\n')}\r\n.\r\n`);
        continue;
      }
      if (verb === 'NOOP' && state === 'transaction') {
        send('+OK');
        continue;
      }
      if (state === 'authorization') {
        switch (verb) {
          case 'STLS':
            if (connection.secure) send('-ERR Already using TLS.');
            else {
              send('+OK Begin TLS negotiation.');
              await connection.startTls(context.tlsContext);
            }
            break;
          case 'USER':
            pendingUser = args[0];
            send(pendingUser ? '+OK' : '-ERR Missing user name.');
            break;
          case 'PASS': {
            if (!pendingUser) {
              send('-ERR USER first.');
              break;
            }
            const scripted = script.take('pop3', 'auth', pendingUser);
            if (scripted) {
              send(scripted);
              break;
            }
            // PASS takes the rest of the line: passwords may contain spaces.
            const target = authorizer.checkPassword(pendingUser, line.trim().slice(5));
            if (target) login(target);
            else send(AUTH_FAILED);
            break;
          }
          case 'AUTH':
            if (!args[0]) connection.write('+OK\r\nPLAIN\r\nXOAUTH2\r\n.\r\n');
            else await authenticate(args[0], args[1]);
            break;
          default:
            send(verb ? '-ERR Command not valid before authentication.' : '-ERR Empty command.');
        }
        continue;
      }

      const scripted = script.take('pop3', 'command', mailbox, verb);
      if (scripted) {
        send(scripted);
        continue;
      }
      const live = () => messages.map((m, index) => ({ m, n: index + 1 })).filter(({ n }) => !deleted.has(n));
      switch (verb) {
        case 'STAT': {
          const current = live();
          send(`+OK ${current.length} ${current.reduce((sum, { m }) => sum + m.size, 0)}`);
          break;
        }
        case 'LIST':
        case 'UIDL': {
          const describe = (m: StoredMessage) => (verb === 'LIST' ? String(m.size) : `${m.uid}`);
          if (args[0] !== undefined) {
            const found = message(args[0]);
            if (found) send(`+OK ${args[0]} ${describe(found)}`);
          } else {
            const lines = live().map(({ m, n }) => `${n} ${describe(m)}\r\n`);
            connection.write(`+OK ${lines.length} messages\r\n${lines.join('')}.\r\n`);
          }
          break;
        }
        case 'RETR': {
          const found = message(args[0]);
          if (found) connection.write(`+OK ${found.size} octets\r\n${dotStuff(found.raw)}`);
          break;
        }
        case 'TOP': {
          const lines = Number(args[1]);
          if (!Number.isInteger(lines) || lines < 0) {
            send('-ERR Syntax: TOP <message> <lines>.');
            break;
          }
          const found = message(args[0]);
          if (found) connection.write(`+OK\r\n${dotStuff(topOf(found.raw, lines))}`);
          break;
        }
        case 'DELE': {
          const found = message(args[0]);
          if (found) {
            deleted.add(Number(args[0]));
            send(`+OK Message ${args[0]} deleted.`);
          }
          break;
        }
        case 'RSET':
          deleted.clear();
          send(`+OK ${messages.length} messages.`);
          break;
        default:
          send(
            verb === 'USER' || verb === 'PASS' || verb === 'AUTH'
              ? '-ERR Already authenticated.'
              : '-ERR Unknown command.',
          );
      }
    }
  } finally {
    if (state === 'transaction') locks.delete(mailbox);
  }
}
