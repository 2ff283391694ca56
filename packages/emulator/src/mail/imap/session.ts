import type { SecureContext } from 'node:tls';
import { type Authorizer, decodeOauthBearer, decodePlain, decodeXoauth2 } from '../auth.js';
import { type LineConnection, LineTooLongError } from '../line-connection.js';
import type { MailScript } from '../script.js';
import type { MailFolder, MailStore, StoredMessage } from '../store.js';
import { runFolderCommand } from './folder-commands.js';
import type { ResponsePart } from './format.js';
import { runMessageCommand } from './message-commands.js';
import { type ImapCommand, ImapSyntaxError, parseCommand, readImapCommand, tokenText } from './tokenizer.js';

export interface ImapContext {
  authorizer: Authorizer;
  script: MailScript;
  store: MailStore;
  tlsContext: SecureContext;
}

export interface SelectedFolder {
  folder: MailFolder;
  readOnly: boolean;
  /** The client's view: index + 1 is the message sequence number. */
  view: StoredMessage[];
}

export interface ImapSession {
  connection: LineConnection;
  context: ImapContext;
  state: 'not-authenticated' | 'authenticated' | 'selected' | 'logout';
  mailbox: string;
  selected: SelectedFolder | undefined;
  write(parts: ResponsePart[] | string): void;
  /** Reports messages added (EXISTS) and, when allowed, removed (EXPUNGE) since the last sync. */
  sync(allowExpunge: boolean): void;
}

/** Tagged completion without the tag, e.g. `OK FETCH completed`. */
export type Completion = string;

const AUTH_FAILED = 'NO [AUTHENTICATIONFAILED] AUTHENTICATE failed.';

function capabilities(session: ImapSession): string {
  const caps = [
    'IMAP4rev1',
    'LITERAL+',
    'SASL-IR',
    'ID',
    'NAMESPACE',
    'IDLE',
    'UIDPLUS',
    'MOVE',
    'UNSELECT',
    'SPECIAL-USE',
  ];
  if (session.state === 'not-authenticated') {
    if (!session.connection.secure) caps.push('STARTTLS');
    caps.push('AUTH=PLAIN', 'AUTH=XOAUTH2', 'AUTH=OAUTHBEARER');
  }
  return caps.join(' ');
}

async function authenticate(session: ImapSession, command: ImapCommand): Promise<Completion> {
  const { authorizer, script } = session.context;
  const mechanism = tokenText(command.args[0])?.toUpperCase();
  if (!mechanism || !['PLAIN', 'XOAUTH2', 'OAUTHBEARER'].includes(mechanism)) {
    return 'NO [CANNOT] Unsupported authentication mechanism.';
  }
  let response = tokenText(command.args[1]);
  if (response === undefined) {
    session.write('+ \r\n');
    const line = await session.connection.readLine();
    if (line === null) return 'NO Connection closed.';
    if (line.trim() === '*') return 'BAD AUTHENTICATE cancelled.';
    response = line;
  }
  if (response === '=') response = '';
  if (mechanism === 'PLAIN') {
    const plain = decodePlain(response);
    const scripted = script.take('imap', 'auth', plain?.user);
    if (scripted) return scripted;
    const mailbox = plain ? authorizer.checkPassword(plain.user, plain.password) : null;
    return mailbox ? loggedIn(session, mailbox, 'AUTHENTICATE') : AUTH_FAILED;
  }
  const oauth = mechanism === 'XOAUTH2' ? decodeXoauth2(response) : decodeOauthBearer(response);
  const scripted = script.take('imap', 'auth', oauth?.user);
  if (scripted) return scripted;
  if (!oauth) return 'BAD Invalid SASL response.';
  const outcome = await authorizer.checkToken('imap', oauth.user, oauth.token);
  if (outcome.ok) return loggedIn(session, outcome.mailbox, 'AUTHENTICATE');
  // SASL error challenge (RFC 7628 section 3.2.2); the client answers with a dummy line.
  session.write(`+ ${Buffer.from(JSON.stringify(outcome.challenge)).toString('base64')}\r\n`);
  const ack = await session.connection.readLine();
  return ack === null ? 'NO Connection closed.' : AUTH_FAILED;
}

function loggedIn(session: ImapSession, mailbox: string, verb: string): Completion {
  session.mailbox = mailbox;
  session.state = 'authenticated';
  return `OK ${verb} completed.`;
}

async function idle(session: ImapSession): Promise<Completion> {
  const selected = session.selected;
  session.write('+ idling\r\n');
  const unsubscribe = session.context.store.subscribe((event) => {
    if (selected && event.mailbox === session.mailbox && event.folder === selected.folder.name)
      session.sync(true);
  });
  try {
    session.sync(true);
    const line = await session.connection.readLine();
    if (line === null) return 'NO Connection closed.';
    return line.trim().toUpperCase() === 'DONE' ? 'OK IDLE terminated.' : 'BAD Expected DONE.';
  } finally {
    unsubscribe();
  }
}

async function dispatch(session: ImapSession, command: ImapCommand): Promise<Completion> {
  const { name } = command;
  switch (name) {
    case 'CAPABILITY':
      session.write(`* CAPABILITY ${capabilities(session)}\r\n`);
      return 'OK CAPABILITY completed.';
    case 'NOOP':
    case 'CHECK':
      session.sync(true);
      return `OK ${name} completed.`;
    case 'LOGOUT':
      session.write('* BYE Mailplug emulator logging out.\r\n');
      session.state = 'logout';
      return 'OK LOGOUT completed.';
    case 'ID':
      session.write('* ID ("name" "Mailplug Emulator" "vendor" "Mailplug")\r\n');
      return 'OK ID completed.';
  }
  if (session.state === 'not-authenticated') {
    switch (name) {
      case 'STARTTLS':
        if (session.connection.secure) return 'BAD TLS is already active.';
        session.write(`${command.tag} OK Begin TLS negotiation now.\r\n`);
        await session.connection.startTls(session.context.tlsContext);
        return '';
      case 'AUTHENTICATE':
        return authenticate(session, command);
      case 'LOGIN': {
        const user = tokenText(command.args[0]);
        const password = tokenText(command.args[1]);
        if (user === undefined || password === undefined) return 'BAD LOGIN needs user name and password.';
        const scripted = session.context.script.take('imap', 'auth', user);
        if (scripted) return scripted;
        const mailbox = session.context.authorizer.checkPassword(user, password);
        return mailbox
          ? loggedIn(session, mailbox, 'LOGIN')
          : 'NO [AUTHENTICATIONFAILED] Authentication failed.';
      }
      default:
        return 'BAD Command not valid before authentication.';
    }
  }
  if (name === 'AUTHENTICATE' || name === 'LOGIN' || name === 'STARTTLS') return 'BAD Already authenticated.';
  const scripted = session.context.script.take('imap', 'command', session.mailbox, name);
  if (scripted) return scripted;
  if (name === 'IDLE') return idle(session);
  const folderResult = await runFolderCommand(session, command);
  if (folderResult !== undefined) return folderResult;
  if (!session.selected) return 'BAD No mailbox selected.';
  const messageResult = await runMessageCommand(session, session.selected, command);
  return messageResult ?? 'BAD Unknown command.';
}

const toBuffer = (parts: ResponsePart[] | string): Buffer =>
  typeof parts === 'string'
    ? Buffer.from(parts, 'utf8')
    : Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)));

/** One IMAP4rev1 session; every failure becomes a BAD/NO response, never an exception. */
export async function runImapSession(connection: LineConnection, context: ImapContext): Promise<void> {
  const session: ImapSession = {
    connection,
    context,
    state: 'not-authenticated',
    mailbox: '',
    selected: undefined,
    write: (parts) => connection.write(toBuffer(parts)),
    sync(allowExpunge) {
      const selected = session.selected;
      if (!selected) return;
      const current = selected.folder.messages;
      if (allowExpunge) {
        const live = new Set(current);
        for (let index = selected.view.length - 1; index >= 0; index--) {
          if (!live.has(selected.view[index] as StoredMessage)) {
            selected.view.splice(index, 1);
            session.write(`* ${index + 1} EXPUNGE\r\n`);
          }
        }
      }
      const known = new Set(selected.view);
      const added = current.filter((message) => !known.has(message));
      if (added.length > 0) {
        selected.view.push(...added);
        session.write(`* ${selected.view.length} EXISTS\r\n`);
      }
    },
  };
  session.write(`* OK [CAPABILITY ${capabilities(session)}] Mailplug emulator IMAP4rev1 ready.\r\n`);
  while (session.state !== 'logout') {
    let raw: Buffer | null;
    try {
      raw = await readImapCommand(connection);
    } catch (error) {
      if (error instanceof LineTooLongError || error instanceof ImapSyntaxError) {
        session.write(`* BAD ${error.message}.\r\n`);
        if (error instanceof ImapSyntaxError) return; // unread literal bytes: the stream is out of sync
        continue;
      }
      throw error;
    }
    if (raw === null) return;
    if (raw.length === 0) continue;
    let command: ImapCommand;
    try {
      command = parseCommand(raw);
    } catch (error) {
      const tag = (error as { tag?: string }).tag ?? '*';
      session.write(`${tag} BAD ${error instanceof Error ? error.message : 'Syntax error'}.\r\n`);
      continue;
    }
    let completion: Completion;
    try {
      completion = await dispatch(session, command);
    } catch (error) {
      completion =
        error instanceof ImapSyntaxError ? `BAD ${error.message}.` : 'NO [SERVERBUG] Internal error.';
    }
    if (completion) session.write(`${command.tag} ${completion}\r\n`);
  }
}
