/**
 * The emulator's small web page: received messages (from the mail store) and recent identity
 * events, plus JSON twins (`/api/messages`, `/api/events`) and the CA certificate (`/ca.pem`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IdentityEvents } from '../identity/events.js';

/** The part of the mail store the page reads (kept structural so the page works without mail servers). */
export interface MessageSource {
  all(): readonly {
    mailbox: string;
    folder: string;
    subject: string;
    size: number;
    receivedAt: Date;
    envelope: { from: string; to: string[] };
  }[];
}

export interface WebPageContext {
  readonly events: IdentityEvents;
  readonly messages?: MessageSource | undefined;
  readonly caCertPem?: string;
  /** Lines shown under "Endpoints". */
  readonly endpoints: () => Record<string, string>;
  readonly requestCount: () => number;
}

const esc = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function messagesJson(ctx: WebPageContext) {
  return (ctx.messages?.all() ?? []).map((m) => ({
    mailbox: m.mailbox,
    folder: m.folder,
    subject: m.subject,
    from: m.envelope.from,
    to: m.envelope.to,
    size: m.size,
    receivedAt: m.receivedAt.toISOString(),
  }));
}

export function renderIndex(ctx: WebPageContext): string {
  const messages = messagesJson(ctx).reverse();
  const events = [...ctx.events.list()].reverse().slice(0, 100);
  const rows = messages
    .map(
      (m) =>
        `<tr><td>${esc(m.receivedAt)}</td><td>${esc(m.mailbox)}</td><td>${esc(m.from)}</td><td>${esc(m.subject)}</td><td>${m.size}</td></tr>`,
    )
    .join('');
  const eventRows = events
    .map(
      (e) =>
        `<tr><td>${esc(new Date(e.at).toISOString())}</td><td>${esc(e.flavour)}</td><td>${esc(e.kind)}</td><td>${esc(e.grant ?? '')}</td><td>${esc(e.user ?? '')}</td><td>${esc(e.clientId ?? '')}</td><td>${esc(e.errorCode ? `AADSTS${e.errorCode}` : (e.error ?? ''))}</td></tr>`,
    )
    .join('');
  const endpoints = Object.entries(ctx.endpoints())
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(v)}</code></td></tr>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mailplug emulator</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;margin-bottom:2rem}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;font-size:.9rem}</style></head>
<body><h1>Mailplug emulator</h1><p>${ctx.requestCount()} requests served. <a href="/ca.pem">CA certificate</a></p>
<h2>Endpoints</h2><table id="endpoints">${endpoints}</table>
<h2>Received messages (${messages.length})</h2><table id="messages"><tr><th>Received</th><th>Mailbox</th><th>From</th><th>Subject</th><th>Size</th></tr>${rows}</table>
<h2>Identity events</h2><table id="events"><tr><th>At</th><th>Provider</th><th>Event</th><th>Grant</th><th>User</th><th>Client</th><th>Error</th></tr>${eventRows}</table>
</body></html>`;
}

/** Serves the page routes; resolves false for any other path. */
export function handleWeb(req: IncomingMessage, res: ServerResponse, ctx: WebPageContext): boolean {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const send = (status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  if (req.method !== 'GET') return false;
  if (path === '/') send(200, 'text/html; charset=utf-8', renderIndex(ctx));
  else if (path === '/api/messages') send(200, 'application/json', JSON.stringify(messagesJson(ctx)));
  else if (path === '/api/events') send(200, 'application/json', JSON.stringify(ctx.events.list()));
  else if (path === '/ca.pem' && ctx.caCertPem) send(200, 'application/x-pem-file', ctx.caCertPem);
  else return false;
  return true;
}
