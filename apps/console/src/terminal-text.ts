/**
 * Text from outside (server replies, received headers, identity claims, error messages that quote
 * a server) must never drive the admin's terminal: an OSC 52 sequence writes the clipboard,
 * `ESC [2J` clears the screen, a carriage return overwrites a line with a fake "✓ Sent".
 */

// Whole escape sequences go, payload included, in their 7-bit (ESC …) and 8-bit C1 forms:
// OSC (…BEL or ST), DCS/SOS/PM/APC strings (…ST), CSI, and two-character ESC sequences.
const ESCAPE_SEQUENCES = new RegExp(
  [
    '(?:\\x1b\\]|\\x9d)[^\\x07\\x1b\\x9c]*(?:\\x07|\\x1b\\\\|\\x9c)?',
    '(?:\\x1b[PX^_]|[\\x90\\x98\\x9e\\x9f])[^\\x1b\\x9c]*(?:\\x1b\\\\|\\x9c)?',
    '(?:\\x1b\\[|\\x9b)[0-?]*[ -/]*[@-~]?',
    '\\x1b[ -/]*[0-~]?',
  ].join('|'),
  'g',
);
// What is left of C0 (except tab and newline), DEL and C1.
const CONTROL_CHARACTERS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** Removes escape sequences and control characters; keeps `\n` and `\t`. Idempotent. */
export function stripControls(text: string): string {
  return text.replace(ESCAPE_SEQUENCES, '').replace(CONTROL_CHARACTERS, '');
}

/**
 * For an untrusted value shown inside one line of console output: controls stripped and line
 * breaks folded to ` ⏎ `, so the value cannot start a line of its own that looks like ours.
 */
export function oneLine(text: string | undefined): string {
  return stripControls(text ?? '')
    .replace(/[ \t]*\n[ \t\n]*/g, ' ⏎ ')
    .trim();
}

/**
 * JSON for stdout: `JSON.stringify` escapes C0 but leaves DEL and C1 (U+0080–U+009F, which some
 * terminals obey as 8-bit controls) raw; they are escaped too, so the data stays intact.
 */
export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** A writer that strips controls from everything written through it (the console's own output has none). */
export function sanitizingWriter(target: { write(text: string): unknown }): { write(text: string): unknown } {
  return { write: (text: string) => target.write(stripControls(text)) };
}
