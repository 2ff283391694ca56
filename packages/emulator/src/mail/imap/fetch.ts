import { headerLength } from '../message-parse.js';
import type { StoredMessage } from '../store.js';
import { bodyStructure, envelope, internalDate, type ResponsePart } from './format.js';
import { ImapSyntaxError, type ImapToken } from './tokenizer.js';

export type FetchItem =
  | { kind: 'UID' | 'FLAGS' | 'RFC822.SIZE' | 'INTERNALDATE' | 'ENVELOPE' | 'BODYSTRUCTURE' }
  | {
      kind: 'section';
      /** Name in the response, e.g. `BODY[HEADER.FIELDS (SUBJECT)]<0>`. */
      responseName: string;
      section: string;
      fields: string[];
      peek: boolean;
      partial?: [number, number | undefined];
    };

const MACROS: Record<string, string[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE'],
};
const SIMPLE = new Set(['UID', 'FLAGS', 'RFC822.SIZE', 'INTERNALDATE', 'ENVELOPE', 'BODYSTRUCTURE']);
const SECTION = /^(BODY|BODY\.PEEK|BINARY|BINARY\.PEEK)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?$/i;

function parseItem(text: string): FetchItem[] {
  const upper = text.toUpperCase();
  if (MACROS[upper]) return (MACROS[upper] ?? []).flatMap(parseItem);
  if (SIMPLE.has(upper)) return [{ kind: upper as 'UID' }];
  if (upper === 'BODY') return [{ kind: 'BODYSTRUCTURE' }];
  if (upper === 'RFC822')
    return [{ kind: 'section', responseName: 'RFC822', section: '', fields: [], peek: false }];
  if (upper === 'RFC822.HEADER')
    return [{ kind: 'section', responseName: 'RFC822.HEADER', section: 'HEADER', fields: [], peek: true }];
  if (upper === 'RFC822.TEXT')
    return [{ kind: 'section', responseName: 'RFC822.TEXT', section: 'TEXT', fields: [], peek: false }];
  const match = SECTION.exec(text);
  if (!match) throw new ImapSyntaxError(`Unknown FETCH item ${text.slice(0, 40)}`);
  const command = (match[1] ?? '').toUpperCase();
  const rawSection = (match[2] ?? '').trim();
  const fieldsMatch = /^(HEADER\.FIELDS(?:\.NOT)?)\s*\(([^)]*)\)$/i.exec(rawSection);
  let section = rawSection.toUpperCase();
  let fields: string[] = [];
  if (fieldsMatch) {
    section = (fieldsMatch[1] ?? '').toUpperCase();
    fields = (fieldsMatch[2] ?? '').split(/\s+/).filter(Boolean);
  }
  if (
    !['', 'HEADER', 'TEXT', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT', '1', 'MIME', '1.MIME'].includes(section)
  ) {
    throw new ImapSyntaxError(`Unsupported section ${section.slice(0, 40)}`);
  }
  const partial: [number, number | undefined] | undefined =
    match[3] !== undefined
      ? [Number(match[3]), match[4] !== undefined ? Number(match[4]) : undefined]
      : undefined;
  const base = command.startsWith('BINARY') ? 'BINARY' : 'BODY';
  const sectionText = fieldsMatch ? `${section} (${fields.join(' ')})` : section;
  return [
    {
      kind: 'section',
      responseName: `${base}[${sectionText}]${partial ? `<${partial[0]}>` : ''}`,
      section,
      fields,
      peek: command.endsWith('.PEEK'),
      ...(partial ? { partial } : {}),
    },
  ];
}

/** FETCH attribute argument: a single item/macro atom or a parenthesised list. */
export function parseFetchItems(token: ImapToken | undefined): FetchItem[] {
  if (!token) throw new ImapSyntaxError('Missing FETCH items');
  const atoms = token.kind === 'list' ? token.items : [token];
  return atoms.flatMap((item) => {
    if (item.kind !== 'atom') throw new ImapSyntaxError('Bad FETCH item');
    return parseItem(item.value);
  });
}

/** Header block split into whole fields (continuation lines kept). */
function headerFields(header: string): Array<{ name: string; text: string }> {
  const fields: Array<{ name: string; text: string }> = [];
  for (const line of header.split(/(?<=\n)/)) {
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line) && last) last.text += line;
    else if (line.trim().length > 0)
      fields.push({ name: line.slice(0, line.indexOf(':')).trim().toUpperCase(), text: line });
  }
  return fields;
}

export function sectionContent(raw: Buffer, section: string, fields: string[]): Buffer {
  const split = headerLength(raw);
  switch (section) {
    case '':
      return raw;
    case 'TEXT':
    case '1':
      return raw.subarray(split);
    case 'HEADER':
    case 'MIME':
    case '1.MIME':
      return raw.subarray(0, split);
    default: {
      const wanted = new Set(fields.map((field) => field.toUpperCase()));
      const keep = section === 'HEADER.FIELDS';
      const selected = headerFields(raw.subarray(0, split).toString('latin1')).filter(
        (field) => wanted.has(field.name) === keep,
      );
      return Buffer.from(`${selected.map((field) => field.text).join('')}\r\n`, 'latin1');
    }
  }
}

export const flagList = (message: StoredMessage): string => `(${[...message.flags].join(' ')})`;

/** Builds `* n FETCH (...)`; marks \Seen for non-peek body fetches on read-write mailboxes. */
export function fetchResponse(
  message: StoredMessage,
  sequence: number,
  items: FetchItem[],
  options: { uid: boolean; readOnly: boolean },
): ResponsePart[] {
  const wanted = [...items];
  if (options.uid && !wanted.some((item) => item.kind === 'UID')) wanted.unshift({ kind: 'UID' });
  const marksSeen = wanted.some((item) => item.kind === 'section' && !item.peek) && !options.readOnly;
  if (marksSeen && !message.flags.has('\\Seen')) {
    message.flags.add('\\Seen');
    if (!wanted.some((item) => item.kind === 'FLAGS')) wanted.push({ kind: 'FLAGS' });
  }
  const parts: ResponsePart[] = [`* ${sequence} FETCH (`];
  wanted.forEach((item, index) => {
    if (index > 0) parts.push(' ');
    switch (item.kind) {
      case 'UID':
        parts.push(`UID ${message.uid}`);
        break;
      case 'FLAGS':
        parts.push(`FLAGS ${flagList(message)}`);
        break;
      case 'RFC822.SIZE':
        parts.push(`RFC822.SIZE ${message.size}`);
        break;
      case 'INTERNALDATE':
        parts.push(`INTERNALDATE ${internalDate(message.receivedAt)}`);
        break;
      case 'ENVELOPE':
        parts.push('ENVELOPE ', ...envelope(message));
        break;
      case 'BODYSTRUCTURE': {
        const body = message.raw.subarray(headerLength(message.raw));
        const lines = body.toString('latin1').split('\n').length;
        parts.push('BODYSTRUCTURE ', ...bodyStructure(message, body.length, lines));
        break;
      }
      case 'section': {
        let content = sectionContent(message.raw, item.section, item.fields);
        if (item.partial) {
          const [start, length] = item.partial;
          content = content.subarray(start, length === undefined ? undefined : start + length);
        }
        parts.push(`${item.responseName} {${content.length}}\r\n`, content);
        break;
      }
    }
  });
  parts.push(')\r\n');
  return parts;
}
