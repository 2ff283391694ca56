import { isMailplugError, redact } from '@mailplug/core';
import { UsageError } from './exit-codes.js';
import { oneLine } from './terminal-text.js';

/** Where a command writes; tests and the demo pass their own. */
export interface ConsoleIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
  /** Hosts that can open a browser (or the demo's headless stand-in) handle sign-in URLs here. */
  readonly openUrl?: (url: string) => Promise<void>;
  /** Called with a device code prompt after it was printed (the demo approves it in the emulator). */
  readonly onDeviceCode?: (prompt: { userCode: string; verificationUri: string }) => Promise<void> | void;
}

export const OK = '✓';
export const FAIL = '✗';
export const SKIP = '–';

/**
 * Reads all of stdin (for `--password-stdin`-style flags), without the final newline. Bytes that
 * are not UTF-8 are refused rather than turned into U+FFFD: a password silently changed that way
 * would fail later, far from its cause.
 */
export async function readAllStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new UsageError(
      'The text on stdin is not valid UTF-8; convert it first (e.g. iconv -f latin1 -t utf-8) and pipe it again.',
    );
  }
  return text.replace(/\r?\n$/, '');
}

/** A plain text table with a header row; cells are padded to the widest value. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatWhen(epochMs: number | undefined, now = Date.now()): string {
  if (epochMs === undefined) return 'unknown';
  const diff = epochMs - now;
  const minutes = Math.round(Math.abs(diff) / 60_000);
  const human =
    minutes < 120
      ? `${minutes} min`
      : minutes < 48 * 60
        ? `${Math.round(minutes / 60)} h`
        : `${Math.round(minutes / 1440)} days`;
  return `${new Date(epochMs).toISOString()} (${diff >= 0 ? `in ${human}` : `${human} ago`})`;
}

/** Renders an error for people: message, hint, code and who acts, plus validation issues. */
export function formatError(error: unknown): string {
  if (isMailplugError(error)) {
    // Messages quote servers and files: each part stays on its own line and drives no terminal.
    const lines = [
      `${FAIL} ${oneLine(error.message)}`,
      `  hint: ${oneLine(error.hint)}`,
      `  code: ${oneLine(error.code)} (who acts: ${error.action})`,
    ];
    const issues = (error.details as { issues?: unknown } | undefined)?.issues;
    if (Array.isArray(issues) && issues.length > 0) {
      lines.push(`  ${issues.length} issue${issues.length === 1 ? '' : 's'}:`);
      for (const issue of issues as { path?: string; message?: string; fix?: string }[]) {
        lines.push(
          `  - ${oneLine(issue.path) || '(account)'}: ${oneLine(issue.message)}`,
          `      fix: ${oneLine(issue.fix)}`,
        );
      }
    }
    return lines.join('\n');
  }
  if (error instanceof UsageError) return `${FAIL} ${oneLine(error.message)}`;
  return `${FAIL} ${oneLine(redact(error instanceof Error ? error.message : String(error)))}`;
}

/** The JSON shape of an error on stdout with `--json`. */
export function errorJson(error: unknown): Record<string, unknown> {
  if (isMailplugError(error)) return { ok: false, error: error.toJSON() };
  if (error instanceof UsageError) return { ok: false, error: { code: 'USAGE', message: error.message } };
  return {
    ok: false,
    error: { code: 'FAILED', message: redact(error instanceof Error ? error.message : String(error)) },
  };
}
