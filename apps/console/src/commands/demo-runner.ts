/**
 * The demo's bookkeeping: part headers, running one console command as a step (nested output,
 * exit-code and output checks, timing), skipped parts, showing what the emulator's SMTP server
 * received, and the closing summary table. The script itself is in `demo.ts`.
 */
import { ExitCode } from '../exit-codes.js';
import { messageBody, parseHeaders } from '../operations.js';
import { type ConsoleIo, FAIL, formatMs, formatTable, OK, SKIP } from '../output.js';
import { followSignInHeadless, nestedIo } from './demo-support.js';

export type RunConsole = (argv: readonly string[], io: ConsoleIo) => Promise<number>;
export type Emulator = Awaited<ReturnType<typeof import('@mailplug/emulator')['startEmulator']>>;

export interface StepResult {
  readonly part: string;
  readonly step: string;
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly ms: number;
  readonly note?: string;
}

export interface StepOptions {
  /** The exit code that means success (default 0). */
  readonly expect?: number;
  readonly stdin?: string;
  /** Returns why the output is wrong, or undefined when it is right. */
  readonly verify?: (output: string) => string | undefined;
}

export interface DemoRunnerOptions {
  readonly runConsole: RunConsole;
  readonly say: (text: string) => void;
  /** The io nested commands write through (indented under the step). */
  readonly parentIo: ConsoleIo;
  readonly env: NodeJS.ProcessEnv;
  readonly emulator: Emulator;
  /** A person clicks through sign-ins; otherwise they are followed headlessly. */
  readonly browser: boolean;
  /** Who approves device codes and sends. */
  readonly sender: string;
  /** Whose mailbox `received` looks in. */
  readonly recipient: string;
}

export interface DemoRunner {
  /** Starts a part; its name (up to the first `:`, `(` or `→`) labels the steps that follow. */
  header(title: string): void;
  /** Runs one console command as a step; true when it exited as expected and its output checked out. */
  step(name: string, argv: readonly string[], options?: StepOptions): Promise<boolean>;
  /** Shows what the emulator's SMTP server received for `subject` (a step of its own). */
  received(subject: string): void;
  /** Records a whole part as skipped. */
  skip(title: string, reason: string): void;
  /** Sends one message from `account` (as `actingUser`, if any) and shows what the server received. */
  sendAndShow(
    name: string,
    account: string,
    message: { subject: string; text: string; actingUser?: string },
  ): Promise<void>;
  /** Prints the summary table and totals; returns the results and how many failed. */
  summarise(): { results: readonly StepResult[]; failed: number };
}

const partOf = (title: string) => title.split(/[:(→]/)[0]?.trim() ?? title;

function quote(arg: string): string {
  if (arg.includes('BEGIN CERTIFICATE')) return '<pem>';
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function createDemoRunner(options: DemoRunnerOptions): DemoRunner {
  const { say, emulator, recipient } = options;
  const results: StepResult[] = [];
  let part = '';

  function header(title: string): void {
    part = partOf(title);
    say(`\n━━ ${title} ${'━'.repeat(Math.max(3, 66 - title.length))}`);
  }

  async function step(
    name: string,
    argv: readonly string[],
    stepOptions: StepOptions = {},
  ): Promise<boolean> {
    say(`\n  ▸ ${name}\n    $ mailplug-console ${argv.map(quote).join(' ')}`);
    const io = nestedIo(options.parentIo, options.env, {
      ...(stepOptions.stdin !== undefined ? { stdin: stepOptions.stdin } : {}),
      ...(options.browser
        ? {}
        : {
            openUrl: (url: string) => followSignInHeadless(url, emulator.caCertPem),
            onDeviceCode: async (prompt: { userCode: string }) => {
              emulator.identity.approveDeviceCode(prompt.userCode, options.sender);
            },
          }),
    });
    const started = performance.now();
    const code = await options.runConsole(argv, io);
    const expected = stepOptions.expect ?? ExitCode.Ok;
    let note = code === expected ? undefined : `exit code ${code}, expected ${expected}`;
    if (!note && stepOptions.verify) note = stepOptions.verify(io.output());
    const ok = note === undefined;
    results.push({
      part,
      step: name,
      status: ok ? 'ok' : 'failed',
      ms: performance.now() - started,
      ...(note ? { note } : {}),
    });
    say(`    ${ok ? OK : FAIL} ${name}${note ? ` — ${note}` : ''}`);
    return ok;
  }

  /** Prints what the emulator's SMTP server received for a subject, straight from its mail store. */
  function received(subject: string): void {
    const message = emulator.mail?.list(recipient).find((m) => m.subject === subject);
    say('\n  ▸ What the server received');
    if (!message) {
      say(`    ${FAIL} no message "${subject}" in ${recipient}'s mailbox`);
      results.push({
        part,
        step: 'server received the message',
        status: 'failed',
        ms: 0,
        note: 'not in mailbox',
      });
      return;
    }
    const raw = Buffer.from(message.raw);
    const headers = parseHeaders(raw);
    say(
      `    From:    ${headers.from ?? ''}\n    To:      ${headers.to ?? ''}\n    Subject: ${headers.subject ?? ''}`,
    );
    const body = messageBody(raw).trim().split(/\r?\n/).slice(0, 8);
    for (const line of body) say(`    | ${line}`);
    results.push({ part, step: 'server received the message', status: 'ok', ms: 0 });
  }

  return {
    header,
    step,
    received,
    skip(title, reason) {
      header(title);
      say(`  ${SKIP} skipped: ${reason}`);
      results.push({ part: partOf(title), step: '(all)', status: 'skipped', ms: 0, note: reason });
    },
    async sendAndShow(name, account, message) {
      const argv = [
        'send',
        account,
        ...(message.actingUser ? ['--as', message.actingUser] : []),
        ...['--to', recipient, '--subject', message.subject, '--text', message.text],
      ];
      if (await step(name, argv)) received(message.subject);
    },
    summarise() {
      say('\n━━ Summary ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━');
      say(
        formatTable(
          ['', 'PART', 'STEP', 'TIME', 'NOTE'],
          results.map((r) => [
            r.status === 'ok' ? OK : r.status === 'failed' ? FAIL : SKIP,
            r.part,
            r.step,
            r.ms ? formatMs(r.ms) : '',
            r.note ?? '',
          ]),
        ),
      );
      const failed = results.filter((r) => r.status === 'failed').length;
      const skipped = results.filter((r) => r.status === 'skipped').length;
      const passed = results.length - failed - skipped;
      say(`\n${failed ? FAIL : OK} ${passed} passed, ${failed} failed, ${skipped} skipped`);
      return { results, failed };
    },
  };
}
