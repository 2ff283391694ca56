import { headerValue, parseHeaders } from '../message-parse.js';
import type { StoredMessage } from '../store.js';
import { inRanges, parseSequenceSet } from './format.js';
import { ImapSyntaxError, type ImapToken, tokenText } from './tokenizer.js';

export interface SearchContext {
  message: StoredMessage;
  sequence: number;
  maxSequence: number;
  maxUid: number;
}

type Predicate = (context: SearchContext) => boolean;

const FLAG_KEYS: Record<string, [string, boolean]> = {
  SEEN: ['\\Seen', true],
  UNSEEN: ['\\Seen', false],
  FLAGGED: ['\\Flagged', true],
  UNFLAGGED: ['\\Flagged', false],
  DELETED: ['\\Deleted', true],
  UNDELETED: ['\\Deleted', false],
  ANSWERED: ['\\Answered', true],
  UNANSWERED: ['\\Answered', false],
  DRAFT: ['\\Draft', true],
  UNDRAFT: ['\\Draft', false],
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** `1-Feb-2024` -> UTC midnight epoch ms. */
function parseDate(text: string | undefined): number {
  const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text ?? '');
  const month = MONTHS.indexOf((match?.[2] ?? '').toLowerCase());
  if (!match || month < 0) throw new ImapSyntaxError('Bad date');
  return Date.UTC(Number(match[3]), month, Number(match[1]));
}

const DAY = 86_400_000;
const dayOf = (date: Date) => Math.floor(date.getTime() / DAY) * DAY;
const contains = (haystack: string | undefined, needle: string) =>
  (haystack ?? '').toLowerCase().includes(needle.toLowerCase());
const header = (message: StoredMessage, name: string) => headerValue(parseHeaders(message.raw), name);

/**
 * Compiles SEARCH criteria (RFC 3501 section 6.4.4; the commonly used subset) into a predicate.
 * Unknown keys throw ImapSyntaxError so the command answers BAD.
 */
export function compileSearch(tokens: ImapToken[]): Predicate {
  let pos = 0;
  const nextText = (): string => {
    const value = tokenText(tokens[pos++]);
    if (value === undefined) throw new ImapSyntaxError('Missing search argument');
    return value;
  };
  const one = (): Predicate => {
    const token = tokens[pos++];
    if (!token) throw new ImapSyntaxError('Missing search key');
    if (token.kind === 'list') return all(compileSearch(token.items));
    const key = token.value.toUpperCase();
    const flag = FLAG_KEYS[key];
    if (flag) return ({ message }) => message.flags.has(flag[0]) === flag[1];
    switch (key) {
      case 'ALL':
        return () => true;
      case 'NEW':
      case 'RECENT':
        return () => false; // no session ever sees \Recent messages here
      case 'OLD':
        return () => true;
      case 'KEYWORD': {
        const keyword = nextText();
        return ({ message }) => message.flags.has(keyword);
      }
      case 'UNKEYWORD': {
        const keyword = nextText();
        return ({ message }) => !message.flags.has(keyword);
      }
      case 'UID': {
        const set = nextText();
        return ({ message, maxUid }) => {
          const ranges = parseSequenceSet(set, maxUid);
          if (!ranges) throw new ImapSyntaxError('Bad UID set');
          return inRanges(ranges, message.uid);
        };
      }
      case 'NOT': {
        const inner = one();
        return (context) => !inner(context);
      }
      case 'OR': {
        const left = one();
        const right = one();
        return (context) => left(context) || right(context);
      }
      case 'SUBJECT':
      case 'FROM':
      case 'TO':
      case 'CC':
      case 'BCC': {
        const needle = nextText();
        return ({ message }) => contains(header(message, key.toLowerCase()), needle);
      }
      case 'HEADER': {
        const name = nextText();
        const needle = nextText();
        return ({ message }) => {
          const value = header(message, name);
          return value !== undefined && contains(value, needle);
        };
      }
      case 'BODY':
      case 'TEXT': {
        const needle = nextText();
        return ({ message }) => contains(message.raw.toString('utf8'), needle);
      }
      case 'LARGER': {
        const size = Number(nextText());
        return ({ message }) => message.size > size;
      }
      case 'SMALLER': {
        const size = Number(nextText());
        return ({ message }) => message.size < size;
      }
      case 'SINCE':
      case 'SENTSINCE': {
        const day = parseDate(nextText());
        return ({ message }) => dayOf(message.receivedAt) >= day;
      }
      case 'BEFORE':
      case 'SENTBEFORE': {
        const day = parseDate(nextText());
        return ({ message }) => dayOf(message.receivedAt) < day;
      }
      case 'ON':
      case 'SENTON': {
        const day = parseDate(nextText());
        return ({ message }) => dayOf(message.receivedAt) === day;
      }
      default: {
        if (!/^[\d*:,]+$/.test(key)) throw new ImapSyntaxError(`Unknown search key ${key.slice(0, 30)}`);
        return ({ sequence, maxSequence }) => {
          const ranges = parseSequenceSet(key, maxSequence);
          if (!ranges) throw new ImapSyntaxError('Bad sequence set');
          return inRanges(ranges, sequence);
        };
      }
    }
  };
  const predicates: Predicate[] = [];
  if (tokenText(tokens[0])?.toUpperCase() === 'CHARSET') pos = 2;
  while (pos < tokens.length) predicates.push(one());
  if (predicates.length === 0) throw new ImapSyntaxError('Empty search');
  return all(predicates);
}

function all(predicates: Predicate | Predicate[]): Predicate {
  const list = Array.isArray(predicates) ? predicates : [predicates];
  return (context) => list.every((predicate) => predicate(context));
}
