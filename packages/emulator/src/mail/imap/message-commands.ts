import type { StoredMessage } from '../store.js';
import { fetchResponse, flagList, parseFetchItems } from './fetch.js';
import { inRanges, parseSequenceSet, uidList } from './format.js';
import { compileSearch } from './search.js';
import type { Completion, ImapSession, SelectedFolder } from './session.js';
import { type ImapCommand, ImapSyntaxError, tokenText } from './tokenizer.js';

interface Target {
  message: StoredMessage;
  sequence: number;
}

/** Messages addressed by a sequence set (or UID set for UID commands), in view order. */
function resolve(selected: SelectedFolder, setText: string | undefined, byUid: boolean): Target[] {
  if (setText === undefined) throw new ImapSyntaxError('Missing message set');
  const view = selected.view;
  const max = byUid ? (view[view.length - 1]?.uid ?? 0) : view.length;
  const ranges = parseSequenceSet(setText, max);
  if (!ranges) throw new ImapSyntaxError('Bad message set');
  const targets = view.map((message, index) => ({ message, sequence: index + 1 }));
  return targets.filter(({ message, sequence }) => inRanges(ranges, byUid ? message.uid : sequence));
}

function store(
  session: ImapSession,
  selected: SelectedFolder,
  command: ImapCommand,
  byUid: boolean,
): Completion {
  const verb = byUid ? 'UID STORE' : 'STORE';
  if (selected.readOnly) return `NO [READ-ONLY] Mailbox is read-only.`;
  const targets = resolve(selected, tokenText(command.args[0]), byUid);
  const item = tokenText(command.args[1])?.toUpperCase() ?? '';
  const match = /^([+-]?)FLAGS(\.SILENT)?$/.exec(item);
  if (!match) throw new ImapSyntaxError('STORE supports FLAGS, +FLAGS and -FLAGS');
  const flagTokens = command.args
    .slice(2)
    .flatMap((token) => (token.kind === 'list' ? token.items : [token]));
  const flags = flagTokens.map(tokenText).filter((flag): flag is string => !!flag && flag !== '\\Recent');
  for (const { message, sequence } of targets) {
    if (match[1] === '+') for (const flag of flags) message.flags.add(flag);
    else if (match[1] === '-') for (const flag of flags) message.flags.delete(flag);
    else message.flags = new Set(flags);
    if (!match[2]) {
      session.write(
        `* ${sequence} FETCH (FLAGS ${flagList(message)}${byUid ? ` UID ${message.uid}` : ''})\r\n`,
      );
    }
  }
  return `OK ${verb} completed.`;
}

function copyOrMove(
  session: ImapSession,
  selected: SelectedFolder,
  command: ImapCommand,
  byUid: boolean,
  move: boolean,
): Completion {
  const verb = `${byUid ? 'UID ' : ''}${move ? 'MOVE' : 'COPY'}`;
  const targets = resolve(selected, tokenText(command.args[0]), byUid);
  const destinationName = tokenText(command.args[1]);
  if (destinationName === undefined) throw new ImapSyntaxError('Missing destination mailbox');
  const { store } = session.context;
  const destination = store.folder(session.mailbox, destinationName);
  if (!destination) return 'NO [TRYCREATE] Destination mailbox does not exist.';
  if (move && selected.readOnly) return 'NO [READ-ONLY] Mailbox is read-only.';
  if (targets.length === 0) return `OK ${verb} completed, nothing to do.`;
  const copies = targets.map(({ message }) => store.copy(message, destination.name));
  const code = `COPYUID ${destination.uidValidity} ${uidList(targets.map((t) => t.message.uid))} ${uidList(
    copies.map((copy) => copy.uid),
  )}`;
  if (!move) return `OK [${code}] ${verb} completed.`;
  session.write(`* OK [${code}] Moved.\r\n`);
  store.remove(targets.map((target) => target.message));
  session.sync(true);
  return `OK ${verb} completed.`;
}

/** FETCH/STORE/SEARCH/COPY/MOVE/EXPUNGE and their UID forms; undefined if not one of them. */
export async function runMessageCommand(
  session: ImapSession,
  selected: SelectedFolder,
  command: ImapCommand,
): Promise<Completion | undefined> {
  const byUid = command.name.startsWith('UID ');
  const verb = byUid ? command.name.slice(4) : command.name;
  switch (verb) {
    case 'FETCH': {
      const targets = resolve(selected, tokenText(command.args[0]), byUid);
      const items = parseFetchItems(command.args[1]);
      for (const { message, sequence } of targets) {
        session.write(fetchResponse(message, sequence, items, { uid: byUid, readOnly: selected.readOnly }));
      }
      return `OK ${command.name} completed.`;
    }
    case 'STORE':
      return store(session, selected, command, byUid);
    case 'SEARCH': {
      const predicate = compileSearch(command.args);
      const view = selected.view;
      const maxUid = view[view.length - 1]?.uid ?? 0;
      const hits = view
        .map((message, index) => ({ message, sequence: index + 1 }))
        .filter(({ message, sequence }) => predicate({ message, sequence, maxSequence: view.length, maxUid }))
        .map(({ message, sequence }) => (byUid ? message.uid : sequence));
      session.write(`* SEARCH${hits.map((hit) => ` ${hit}`).join('')}\r\n`);
      return `OK ${command.name} completed.`;
    }
    case 'COPY':
    case 'MOVE':
      return copyOrMove(session, selected, command, byUid, verb === 'MOVE');
    case 'EXPUNGE': {
      if (selected.readOnly) return 'NO [READ-ONLY] Mailbox is read-only.';
      const candidates = byUid
        ? resolve(selected, tokenText(command.args[0]), true).map((target) => target.message)
        : selected.view;
      session.context.store.remove(candidates.filter((message) => message.flags.has('\\Deleted')));
      session.sync(true);
      return `OK ${command.name} completed.`;
    }
    default:
      return undefined;
  }
}
