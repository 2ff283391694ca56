import { imapString } from './format.js';
import type { Completion, ImapSession } from './session.js';
import { type ImapCommand, type ImapToken, tokenText } from './tokenizer.js';

const SYSTEM_FLAGS = '\\Answered \\Flagged \\Deleted \\Seen \\Draft';

function listPattern(reference: string, pattern: string): RegExp {
  const escaped = `${reference}${pattern}`
    .split('')
    .map((char) =>
      char === '*' ? '.*' : char === '%' ? '[^/]*' : char.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${escaped}$`, 'i');
}

function list(session: ImapSession, command: ImapCommand, verb: 'LIST' | 'LSUB'): Completion {
  const reference = tokenText(command.args[0]);
  const pattern = tokenText(command.args[1]);
  if (reference === undefined || pattern === undefined) return `BAD ${verb} needs a reference and a pattern.`;
  if (pattern === '') {
    session.write(`* ${verb} (\\Noselect) "/" ""\r\n`);
    return `OK ${verb} completed.`;
  }
  const matcher = listPattern(reference, pattern);
  for (const folder of session.context.store.folders(session.mailbox)) {
    // INBOX matches case-insensitively; other names are compared as given by the regex flag too,
    // which is lenient but harmless for an emulator.
    if (!matcher.test(folder.name)) continue;
    const flags = ['\\HasNoChildren', ...(folder.specialUse ? [folder.specialUse] : [])].join(' ');
    session.write([`* ${verb} (${flags}) "/" `, ...imapString(folder.name), '\r\n']);
  }
  return `OK ${verb} completed.`;
}

function select(session: ImapSession, command: ImapCommand, readOnly: boolean): Completion {
  const verb = readOnly ? 'EXAMINE' : 'SELECT';
  const name = tokenText(command.args[0]);
  session.selected = undefined;
  session.state = 'authenticated';
  if (name === undefined) return `BAD ${verb} needs a mailbox name.`;
  const folder = session.context.store.folder(session.mailbox, name);
  if (!folder) return 'NO [NONEXISTENT] Mailbox does not exist.';
  session.selected = { folder, readOnly, view: [...folder.messages] };
  session.state = 'selected';
  const firstUnseen = folder.messages.findIndex((message) => !message.flags.has('\\Seen'));
  session.write(
    [
      `* FLAGS (${SYSTEM_FLAGS})`,
      `* OK [PERMANENTFLAGS (${readOnly ? '' : `${SYSTEM_FLAGS} \\*`})] Flags permitted.`,
      `* ${folder.messages.length} EXISTS`,
      '* 0 RECENT',
      ...(firstUnseen >= 0 ? [`* OK [UNSEEN ${firstUnseen + 1}] First unseen.`] : []),
      `* OK [UIDVALIDITY ${folder.uidValidity}] UIDs valid.`,
      `* OK [UIDNEXT ${folder.uidNext}] Predicted next UID.`,
      '',
    ].join('\r\n'),
  );
  return `OK [${readOnly ? 'READ-ONLY' : 'READ-WRITE'}] ${verb} completed.`;
}

function status(session: ImapSession, command: ImapCommand): Completion {
  const name = tokenText(command.args[0]);
  const items = command.args[1];
  if (name === undefined || items?.kind !== 'list') return 'BAD STATUS needs a mailbox and a list of items.';
  const folder = session.context.store.folder(session.mailbox, name);
  if (!folder) return 'NO [NONEXISTENT] Mailbox does not exist.';
  const values: string[] = [];
  for (const item of items.items) {
    const key = tokenText(item)?.toUpperCase();
    const value = {
      MESSAGES: folder.messages.length,
      RECENT: 0,
      UIDNEXT: folder.uidNext,
      UIDVALIDITY: folder.uidValidity,
      UNSEEN: folder.messages.filter((message) => !message.flags.has('\\Seen')).length,
      SIZE: folder.messages.reduce((sum, message) => sum + message.size, 0),
    }[key ?? ''];
    if (value === undefined) return `BAD Unknown STATUS item ${String(key).slice(0, 30)}.`;
    values.push(`${key} ${value}`);
  }
  session.write(['* STATUS ', ...imapString(folder.name), ` (${values.join(' ')})\r\n`]);
  return 'OK STATUS completed.';
}

function append(session: ImapSession, command: ImapCommand): Completion {
  const name = tokenText(command.args[0]);
  const rest = command.args.slice(1);
  const message = rest[rest.length - 1];
  if (name === undefined || message?.kind !== 'string')
    return 'BAD APPEND needs a mailbox and a message literal.';
  const folder = session.context.store.folder(session.mailbox, name);
  if (!folder) return 'NO [TRYCREATE] Mailbox does not exist.';
  const flagsToken = rest.find(
    (token): token is Extract<ImapToken, { kind: 'list' }> => token.kind === 'list',
  );
  const flags = (flagsToken?.items ?? []).map(tokenText).filter((flag): flag is string => !!flag);
  const dateText =
    rest.length === 3
      ? tokenText(rest[1])
      : rest.length === 2 && rest[0]?.kind === 'string'
        ? rest[0].value
        : undefined;
  const parsedDate = dateText ? new Date(dateText.replace(/^(\d+)-(\w+)-(\d+)/, '$1 $2 $3')) : undefined;
  const stored = session.context.store.deliver(session.mailbox, message.bytes, {
    folder: folder.name,
    flags,
    ...(parsedDate && !Number.isNaN(parsedDate.getTime()) ? { receivedAt: parsedDate } : {}),
  });
  if (session.selected?.folder === folder) session.sync(false);
  return `OK [APPENDUID ${folder.uidValidity} ${stored.uid}] APPEND completed.`;
}

/** Commands valid in authenticated and selected state that work on folders; undefined if not one. */
export async function runFolderCommand(
  session: ImapSession,
  command: ImapCommand,
): Promise<Completion | undefined> {
  const { store } = session.context;
  switch (command.name) {
    case 'NAMESPACE':
      session.write('* NAMESPACE (("" "/")) NIL NIL\r\n');
      return 'OK NAMESPACE completed.';
    case 'ENABLE':
      session.write('* ENABLED\r\n');
      return 'OK ENABLE completed.';
    case 'LIST':
    case 'XLIST':
      return list(session, command, 'LIST');
    case 'LSUB':
      return list(session, command, 'LSUB');
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
      return `OK ${command.name} completed.`;
    case 'CREATE': {
      const name = tokenText(command.args[0])?.replace(/\/$/, '');
      if (!name) return 'BAD CREATE needs a mailbox name.';
      if (store.folder(session.mailbox, name)) return 'NO [ALREADYEXISTS] Mailbox already exists.';
      store.createFolder(session.mailbox, name);
      return 'OK CREATE completed.';
    }
    case 'DELETE':
    case 'RENAME':
      return `NO [CANNOT] ${command.name} is not supported by the emulator.`;
    case 'STATUS':
      return status(session, command);
    case 'SELECT':
    case 'EXAMINE':
      return select(session, command, command.name === 'EXAMINE');
    case 'APPEND':
      return append(session, command);
    case 'CLOSE':
    case 'UNSELECT': {
      const selected = session.selected;
      if (!selected) return 'BAD No mailbox selected.';
      if (command.name === 'CLOSE' && !selected.readOnly) {
        store.remove(selected.folder.messages.filter((message) => message.flags.has('\\Deleted')));
      }
      session.selected = undefined;
      session.state = 'authenticated';
      return `OK ${command.name} completed.`;
    }
    default:
      return undefined;
  }
}
