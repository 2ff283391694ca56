import { isMailplugError, mailplugError } from '@mailplug/core';
import { OUTBOX_STATES, OutboxErrorCode, type OutboxState } from '@mailplug/outbox';
import type { CommandContext, CommandSpec } from '../command.js';
import { listOption, stringOption } from '../command.js';
import { findAccount } from '../config-store.js';
import { UsageError } from '../exit-codes.js';
import { renderHold, renderMessage, renderMessageTable } from '../outbox-view.js';
import { OK } from '../output.js';
import { oneLine } from '../terminal-text.js';

function idFrom(ctx: CommandContext, what = '<id>'): string {
  const id = ctx.positionals[0];
  if (!id) throw new UsageError(`Missing ${what}.`);
  return id;
}

function unknownMessage(id: string) {
  return mailplugError(
    OutboxErrorCode.MessageUnknown,
    'admin',
    `The outbox has no message "${oneLine(id)}".`,
    'Copy the id from "mailplug-console outbox list" (ids are never reused).',
    { details: { id } },
  );
}

/** The outbox's own "no such message" speaks to a developer; the console's to the admin typing ids. */
async function withMessage<T>(id: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (isMailplugError(error) && error.code === OutboxErrorCode.MessageUnknown) throw unknownMessage(id);
    throw error;
  }
}

const list: CommandSpec = {
  name: 'outbox list',
  summary: 'Messages in the outbox (enqueue order) with their state; held accounts with what to do.',
  options: {
    account: { type: 'string' },
    state: { type: 'string', multiple: true },
    limit: { type: 'string' },
  },
  optionHelp: [
    ['--account <id>', 'only this account'],
    ['--state <state>', `only these states (repeatable): ${OUTBOX_STATES.join(', ')}`],
    ['--limit <n>', 'at most n messages (default 100)'],
  ],
  examples: ['mailplug-console outbox list', 'mailplug-console outbox list --state held --state failed'],
  async run(ctx) {
    const states = listOption(ctx.values, 'state');
    const unknown = states.filter((s) => !(OUTBOX_STATES as readonly string[]).includes(s));
    if (unknown.length > 0)
      throw new UsageError(`Unknown state ${unknown.join(', ')}; use ${OUTBOX_STATES.join(', ')}.`);
    const limit = Number(stringOption(ctx.values, 'limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit takes a whole number above 0.');
    const accountId = stringOption(ctx.values, 'account');
    const outbox = await ctx.host().outbox();
    const messages = await outbox.list({
      ...(accountId ? { accountId } : {}),
      ...(states.length ? { states: states as OutboxState[] } : {}),
      limit,
    });
    const heldAccounts = [...new Set(messages.filter((m) => m.state === 'held').map((m) => m.accountId))];
    const holds = await Promise.all(heldAccounts.map((id) => outbox.accountStatus(id)));
    if (messages.length === 0) ctx.print('No messages.');
    else ctx.print(renderMessageTable(messages));
    for (const status of holds) for (const line of renderHold(status)) ctx.print(line);
    ctx.emit({ ok: true, messages, holds });
    return undefined;
  },
};

const show: CommandSpec = {
  name: 'outbox show',
  summary: 'One message: state, Message-ID, attempts with outcome, error code and hint (never the body).',
  args: '<id>',
  examples: ['mailplug-console outbox show 0b6f…', 'mailplug-console outbox show 0b6f… --json'],
  async run(ctx) {
    const id = idFrom(ctx);
    const outbox = await ctx.host().outbox();
    const message = await outbox.get(id);
    if (!message) throw unknownMessage(id);
    for (const line of renderMessage(message)) ctx.print(line);
    if (message.state === 'held')
      for (const line of renderHold(await outbox.accountStatus(message.accountId))) ctx.print(line);
    ctx.emit({ ok: true, message });
    return undefined;
  },
};

const retry: CommandSpec = {
  name: 'outbox retry',
  summary:
    'Send a failed, held, deferred or cancelled message again now, with a fresh attempt ceiling (a running worker takes it).',
  args: '<id>',
  examples: ['mailplug-console outbox retry 0b6f…'],
  async run(ctx) {
    const id = idFrom(ctx);
    const outbox = await ctx.host().outbox();
    await withMessage(id, () => outbox.retry(id));
    const state = (await outbox.get(id))?.state;
    ctx.print(
      state === 'held'
        ? `! ${id} stays held: its account is on hold until a sign-in or "outbox release".`
        : `${OK} ${id} is queued again; a running worker sends it.`,
    );
    ctx.emit({ ok: true, id, state });
    return undefined;
  },
};

const release: CommandSpec = {
  name: 'outbox release',
  summary:
    "Release an account's hold without waiting for a sign-in (after fixing its password, for example); its held messages are due again.",
  args: '<account>',
  examples: ['mailplug-console outbox release office'],
  async run(ctx) {
    const host = ctx.host();
    const account = findAccount(await host.config.read(), idFrom(ctx, '<account>'));
    const released = await (await host.outbox()).release(account.id);
    ctx.print(
      released > 0
        ? `${OK} Released ${released} held message${released === 1 ? '' : 's'} of ${account.id}; a running worker sends them.`
        : `${OK} ${account.id} has no held messages.`,
    );
    ctx.emit({ ok: true, accountId: account.id, released });
    return undefined;
  },
};

const cancel: CommandSpec = {
  name: 'outbox cancel',
  summary:
    'Cancel a message that has not been sent (it stays listed as cancelled; "outbox retry" revives it).',
  args: '<id>',
  examples: ['mailplug-console outbox cancel 0b6f…'],
  async run(ctx) {
    const id = idFrom(ctx);
    const outbox = await ctx.host().outbox();
    await withMessage(id, () => outbox.cancel(id));
    ctx.print(`${OK} Cancelled ${oneLine(id)}.`);
    ctx.emit({ ok: true, id, state: 'cancelled' });
    return undefined;
  },
};

export const outboxCommands: readonly CommandSpec[] = [list, show, retry, release, cancel];
